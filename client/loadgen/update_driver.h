// Sends UpdateParameters to one model at a fixed rate while Forward load runs
// (the online-learning case), and records each update's latency and status.
//
// REPLACE sends every parameter of the model (or the selected ones), with the
// values read once by GetParameters at creation (so the model's outputs stay
// meaningful while the server still swaps in a full new snapshot). ADD sends a
// small delta to every parameter, alternating +delta and -delta so the model
// does not drift. Requests are serialized once; latency is from the send to the
// response. Acknowledged versions feed the VersionTracker.
//
// Thread safety: Start/Stop from one controlling thread; TakeResults from
// any thread after Stop.
#ifndef BRAINSERVE_CLIENT_LOADGEN_UPDATE_DRIVER_H_
#define BRAINSERVE_CLIENT_LOADGEN_UPDATE_DRIVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/loadgen/latency_stats.h"
#include "client/loadgen/version_tracker.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/byte_buffer.h"

namespace brainserve::loadgen {

enum class UpdateMode { kReplace, kAdd };

struct UpdateResults {
  LatencySamples latency;            // successful and failed updates
  std::map<int32_t, int64_t> codes;  // grpc::StatusCode -> count
  int64_t late_starts = 0;           // updates sent more than one period late
  uint64_t last_version = 0;
};

class UpdateDriver {
 public:
  struct Options {
    std::string model;
    // Updates per second (> 0).
    double rate_hz = 10;
    UpdateMode mode = UpdateMode::kReplace;
    // ADD: magnitude of the per-element delta.
    float add_delta = 1e-6f;
    // Encode the values as Tensor.raw (else Tensor.values).
    bool raw_encoding = true;
    // Per-call deadline, in milliseconds.
    int64_t timeout_ms = 10000;
    // "layer/name" of the parameters to update; empty = every parameter.
    std::vector<std::string> parameters;
  };

  // Reads the model's parameters (GetParameters) and prepares the requests.
  static absl::StatusOr<std::unique_ptr<UpdateDriver>> Create(
      const Options& options, std::shared_ptr<grpc::Channel> channel,
      VersionTracker* versions);
  ~UpdateDriver();

  // Bytes of tensor data per update request.
  int64_t payload_bytes() const { return payload_bytes_; }
  int parameter_count() const { return parameter_count_; }

  void Start();
  // Stops after the update in flight, if any, completes.
  void Stop();
  // Moves out the results gathered since the last call.
  UpdateResults TakeResults();

 private:
  UpdateDriver(const Options& options, std::shared_ptr<grpc::Channel> channel,
               VersionTracker* versions);
  void Loop();
  bool StopRequestedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_;
  }

  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  VersionTracker* const versions_;
  // REPLACE uses requests_[0]; ADD alternates requests_[0] (+) and [1] (-).
  std::vector<grpc::ByteBuffer> requests_;
  int64_t payload_bytes_ = 0;
  int parameter_count_ = 0;
  std::thread thread_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  UpdateResults results_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_UPDATE_DRIVER_H_
