// The startup model file (--models_file): a JSON array of CreateModelRequest
// objects in the protobuf JSON mapping, e.g.
//   [{"name": "mlp", "spec": {"input_shape": [64], "layers": [...]}}]
// Errors name the file and, for an element, its index and model name.
#ifndef BRAINSERVE_SERVER_STARTUP_MODELS_H_
#define BRAINSERVE_SERVER_STARTUP_MODELS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/model_service.pb.h"

namespace brainserve::server {

// Parses the JSON text of a models file; `source` names it in errors.
// INVALID_ARGUMENT for malformed JSON, a non-array top level, or an element
// that is not a valid CreateModelRequest (unknown fields are errors).
absl::StatusOr<std::vector<v1::CreateModelRequest>> ParseModelsJson(
    absl::string_view json, absl::string_view source);

// Reads and parses `path`: NOT_FOUND if it cannot be read.
absl::StatusOr<std::vector<v1::CreateModelRequest>> LoadModelsFile(
    const std::string& path);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_STARTUP_MODELS_H_
