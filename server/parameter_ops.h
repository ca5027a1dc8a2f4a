// The logic behind UpdateParameters and GetParameters on one served model.
//
// UpdateModelParameters validates every update (request_validation.h), then
// lets the engine apply them atomically: the engine prepares the new snapshot
// (derived weights included) off the hot path and swaps it in, so forwards of
// this and other models never wait. It records the attempt in the model's
// metrics (brainserve_parameter_updates_total / _duration_seconds, and the
// version gauge on success).
//
// ReadModelParameters answers with `values` encoding: GetParametersRequest has
// no tensor to take an encoding from, and `values` is what JSON clients and
// the CLI print. Empty layer / name select everything; an unknown layer or a
// selection that matches no parameter is NOT_FOUND.
//
// Thread-safe; UpdateModelParameters is CPU-heavy (run it off gRPC threads).
#ifndef BRAINSERVE_SERVER_PARAMETER_OPS_H_
#define BRAINSERVE_SERVER_PARAMETER_OPS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "server/served_model.h"

namespace brainserve::server {

// Returns the new version. INVALID_ARGUMENT / NOT_FOUND from validation,
// FAILED_PRECONDITION on an expected_version mismatch.
absl::StatusOr<uint64_t> UpdateModelParameters(
    const ServedModel& model, const v1::UpdateParametersRequest& request);

absl::Status ReadModelParameters(const ServedModel& model,
                                 const v1::GetParametersRequest& request,
                                 v1::GetParametersResponse* response);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_PARAMETER_OPS_H_
