// Drives Forward (or the Open Inference Protocol's ModelInfer) calls
// asynchronously over a few HTTP/2 connections.
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
#include "client/loadgen/request_driver.h"
#include "client/loadgen/version_tracker.h"
#include "grpcpp/channel.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace brainserve::loadgen {

class ForwardDriver : public RequestDriver {
 public:
  struct Options {
    // Completion-queue polling threads.
    int completion_threads = 1;
    // Per-call deadline, in milliseconds.
    int64_t timeout_ms = 10000;
    // Open loop: most calls outstanding at once; the dispatcher waits (and
    // the wait counts in the latency) beyond it.
    int64_t max_inflight = 20000;
    // The unary method called with the serialized requests, and how its
    // responses report the version: ForwardResponse.version (false) or
    // ModelInferResponse.model_version (true).
    std::string method = "/brainserve.v1.ModelService/Forward";
    bool model_infer = false;
  };

  // `channels` (>= 1) and `requests` (>= 1 serialized requests of
  // options.method, sent in rotation) are shared; `versions` must outlive the driver.
  static absl::StatusOr<std::unique_ptr<ForwardDriver>> Create(
      const Options& options,
      std::vector<std::shared_ptr<grpc::Channel>> channels,
      std::vector<grpc::ByteBuffer> requests, VersionTracker* versions);

  // Stops, drains and joins every thread.
  ~ForwardDriver() override;

  // RequestDriver.
  void StartClosedLoop(int concurrency, int64_t max_calls) override;
  void StartOpenLoop(std::unique_ptr<ArrivalSchedule> schedule,
                     int64_t max_calls) override;
  void StopAndDrain() override;
  std::vector<CallRecord> TakeRecords() override;
  int64_t issued() const override;
  bool budget_exhausted() const override;

 private:
  struct Call;

  ForwardDriver(const Options& options,
                std::vector<std::shared_ptr<grpc::Channel>> channels,
                std::vector<grpc::ByteBuffer> requests,
                VersionTracker* versions);

  // The version a successful response reports; false if it does not parse.
  bool ResponseVersion(grpc::ByteBuffer* response, uint64_t* version) const;
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
