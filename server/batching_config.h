// Per-model dynamic batching options: the proto's optional fields resolved
// against the server-wide defaults (flags), validated, and reported back.
#ifndef BRAINSERVE_SERVER_BATCHING_CONFIG_H_
#define BRAINSERVE_SERVER_BATCHING_CONFIG_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"

namespace brainserve::server {

// Effective batching options of one model.
struct ModelBatchingOptions {
  // Largest batch the scheduler forms, in rows. 1 disables batching; a request
  // with more rows runs alone.
  int64_t max_batch_size = 64;
  // How long the oldest queued request may wait for its batch to fill, in
  // microseconds. 0 = never wait while a worker is idle.
  int64_t max_queue_delay_us = 0;
  // Most requests that may wait in the model's queue; more are rejected with
  // RESOURCE_EXHAUSTED.
  int64_t max_queue_size = 1024;
  // Threads that execute this model's batches.
  int num_batch_workers = 1;
};

// Bounds of the accepted values (inclusive).
inline constexpr int64_t kMaxBatchSizeLimit = 1 << 20;
inline constexpr int64_t kMaxQueueDelayUsLimit = 10'000'000;  // 10 s
inline constexpr int64_t kMaxQueueSizeLimit = 1 << 20;
inline constexpr int kMaxBatchWorkersLimit = 64;

// Checks every field; INVALID_ARGUMENT names `<field_prefix>.<field>`, e.g.
// "batching.max_batch_size: 0, must be in [1, 1048576]".
absl::Status ValidateBatchingOptions(const ModelBatchingOptions& options,
                                     const char* field_prefix);

// Overlays the fields set in `requested` on `defaults` and validates.
absl::StatusOr<ModelBatchingOptions> ResolveBatchingOptions(
    const v1::BatchingOptions& requested, const ModelBatchingOptions& defaults);

// The proto form, every field set (ModelInfo.batching).
v1::BatchingOptions ToProto(const ModelBatchingOptions& options);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_BATCHING_CONFIG_H_
