// Drives Forward calls asynchronously over a few HTTP/2 connections.
//
// Requests are serialized once (grpc::ByteBuffer) and sent with the generic
// stub on completion queues, so a single client process on two cores keeps
// thousands of calls in flight cheaply. Two load shapes:
//  - closed loop: `concurrency` callers, each sending its next call as soon as
//    the previous one completes (latency from the actual send);
//  - open loop: a dispatcher sends at the times an ArrivalSchedule dictates;
//    latency is measured from the *intended* send time, so a server (or
//    client) that falls behind shows up in the latency (no coordinated
//    omission).
// Every completion becomes a CallRecord; the caller collects them with
// TakeRecords(). Each Forward is checked against the VersionTracker floor
// taken when it was sent: a response version below it is a regression.
//
// Thread safety: Start*/StopAndDrain are called by one controlling thread;
// TakeRecords and the counters may be called from any thread.
#ifndef BRAINSERVE_CLIENT_LOADGEN_FORWARD_DRIVER_H_
#define BRAINSERVE_CLIENT_LOADGEN_FORWARD_DRIVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/loadgen/arrival_schedule.h"
#include "client/loadgen/version_tracker.h"
#include "grpcpp/channel.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace brainserve::loadgen {

// One completed Forward call.
struct CallRecord {
  int64_t intended_ns = 0;  // steady clock: when the call was meant to go out
  int64_t done_ns = 0;      // steady clock: when its completion was seen
  int32_t code = 0;         // grpc::StatusCode
  bool version_regressed = false;  // response version < floor at send time
  bool bad_response = false;       // OK status but the body did not parse
};

class ForwardDriver {
 public:
  struct Options {
    // Completion-queue polling threads.
    int completion_threads = 1;
    // Per-call deadline, in milliseconds.
    int64_t timeout_ms = 10000;
    // Open loop: most calls outstanding at once; the dispatcher waits (and
    // the wait counts in the latency) beyond it.
    int64_t max_inflight = 20000;
  };

  // `channels` (>= 1) and `requests` (>= 1 serialized ForwardRequests, sent
  // in rotation) are shared; `versions` must outlive the driver.
  static absl::StatusOr<std::unique_ptr<ForwardDriver>> Create(
      const Options& options,
      std::vector<std::shared_ptr<grpc::Channel>> channels,
      std::vector<grpc::ByteBuffer> requests, VersionTracker* versions);

  // Stops, drains and joins every thread.
  ~ForwardDriver();

  // Starts `concurrency` closed-loop callers; sends at most `max_calls`
  // calls in this phase (0 = unlimited). The driver must be idle.
  void StartClosedLoop(int concurrency, int64_t max_calls);

  // Starts open-loop dispatch at the schedule's times; at most `max_calls`.
  void StartOpenLoop(std::unique_ptr<ArrivalSchedule> schedule,
                     int64_t max_calls);

  // Stops sending and blocks until every outstanding call has completed
  // (bounded by the per-call deadline). Leaves the driver idle.
  void StopAndDrain();

  // Moves out the records completed since the last call.
  std::vector<CallRecord> TakeRecords();

  // Calls sent in the current (or last) phase.
  int64_t issued() const;
  // True once the phase's max_calls have all been sent.
  bool budget_exhausted() const;

 private:
  struct Call;

  ForwardDriver(const Options& options,
                std::vector<std::shared_ptr<grpc::Channel>> channels,
                std::vector<grpc::ByteBuffer> requests,
                VersionTracker* versions);

  // Sends one call on `lane` unless the phase stopped or ran out of budget.
  bool TryIssue(int lane, int64_t intended_ns);
  void PollLoop(grpc::CompletionQueue* cq);
  void DispatchLoop(std::unique_ptr<ArrivalSchedule> schedule);
  bool IssuingStoppedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !issuing_;
  }

  const Options options_;
  const std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  const std::vector<grpc::ByteBuffer> requests_;
  VersionTracker* const versions_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> cqs_;
  std::vector<std::thread> pollers_;
  std::thread dispatcher_;

  mutable absl::Mutex mu_;
  bool issuing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_loop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t max_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t inflight_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_FORWARD_DRIVER_H_
