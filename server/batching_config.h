// Per-model dynamic batching options: the proto's optional fields resolved
// against the server-wide defaults (flags), validated, and reported back.
#ifndef BRAINSERVE_SERVER_BATCHING_CONFIG_H_
#define BRAINSERVE_SERVER_BATCHING_CONFIG_H_

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "server/batching/scheduler_options.h"

namespace brainserve::server {

// Effective batching options of one model: the scheduler's policy type, so
// its fields, defaults (also the flags' defaults) and bounds are defined once,
// in server/batching/scheduler_options.h.
using ModelBatchingOptions = batching::BatchingPolicy;

// Overlays the fields set in `requested` on `defaults` and validates
// (batching::ValidateBatchingPolicy, fields named "batching.<field>").
absl::StatusOr<ModelBatchingOptions> ResolveBatchingOptions(
    const v1::BatchingOptions& requested, const ModelBatchingOptions& defaults);

// The proto form, every field set (ModelInfo.batching).
v1::BatchingOptions ToProto(const ModelBatchingOptions& options);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_BATCHING_CONFIG_H_
