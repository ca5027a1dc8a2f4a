// Checks of request fields that need no engine state beyond a model's public
// shape information. Every error names the offending field; the codes follow
// the API contract (INVALID_ARGUMENT for malformed input, NOT_FOUND for an
// unknown layer or parameter).
//
// All functions are pure and thread-safe.
#ifndef BRAINSERVE_SERVER_REQUEST_VALIDATION_H_
#define BRAINSERVE_SERVER_REQUEST_VALIDATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/model_service.pb.h"
#include "engine/model.h"
#include "engine/tensor_codec.h"

namespace brainserve::server {

// Longest model name, in characters.
inline constexpr size_t kMaxModelNameLength = 128;

// Checks `name` against [A-Za-z0-9][A-Za-z0-9._-]{0,127}; `field` names it.
absl::Status ValidateModelName(absl::string_view name, absl::string_view field);

// The engine's precision for a CreateModelRequest's `precision`;
// INVALID_ARGUMENT naming the field for a value the API does not define.
absl::StatusOr<engine::Precision> PrecisionFromProto(int precision);
v1::Precision PrecisionToProto(engine::Precision precision);

// Checks that `shape` is [B, *sample] with B >= 1; errors name
// `field`.shape, e.g. "input.shape: [2, 3] has rank 2, expected [B, 4, 3]".
absl::Status ValidateBatchedShape(absl::Span<const int64_t> shape,
                                  absl::Span<const int64_t> sample,
                                  absl::string_view field);

// A Forward request that passed ValidateForwardRequest().
struct ValidatedForward {
  int64_t batch_rows = 0;  // B, the leading dim of input.shape
  engine::CheckedMasks masks;  // decoded once, checked by the model
  engine::TensorEncoding encoding =
      engine::TensorEncoding::kValues;  // of the input
};

// Checks input (shape [B, *input_shape], B >= 1, encoding) and masks.
// The model name is not checked here.
absl::StatusOr<ValidatedForward> ValidateForwardRequest(
    const v1::ForwardRequest& request, const engine::Model& model);

// Checks an UpdateParameters request against `model`'s parameters and
// converts it for engine::Model::Update(). `layer_names` lists the model's
// layers (to tell an unknown layer from an unknown parameter). Rejects an
// empty update list and a parameter named twice.
absl::StatusOr<std::vector<engine::ParameterUpdate>> ValidateUpdates(
    const v1::UpdateParametersRequest& request, const engine::Model& model,
    absl::Span<const std::string> layer_names);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_REQUEST_VALIDATION_H_
