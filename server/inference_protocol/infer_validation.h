// How a brainserve model looks through the Open Inference Protocol, and the
// checks of the protocol's requests against it.
//
// Every model is one inference model with one input `input` and one output
// `output`, datatype FP32, shape [-1, *input_shape] / [-1, *output_shape].
// Errors are INVALID_ARGUMENT naming the field ("inputs[0].datatype: ..."),
// except a requested version the model has not reached, which is
// FAILED_PRECONDITION naming the field (see CheckVersionServed).
//
// All functions are pure and thread-safe.
#ifndef BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFER_VALIDATION_H_
#define BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFER_VALIDATION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model.h"
#include "engine/tensor_codec.h"
#include "inference/grpc_predict_v2.pb.h"

namespace brainserve::server::inference_protocol {

inline constexpr char kInputName[] = "input";
inline constexpr char kOutputName[] = "output";
inline constexpr char kDatatype[] = "FP32";

// A ModelInferRequest that passed ValidateInferRequest().
struct ValidatedInfer {
  int64_t batch_rows = 0;  // B, the leading dim of inputs[0].shape
  // kRaw: the data is raw_input_contents[0]; kValues:
  // inputs[0].contents.fp32_contents. The response uses the same form.
  engine::TensorEncoding encoding = engine::TensorEncoding::kValues;
};

// Checks inputs (exactly one, named `input`, FP32, shape [B, *input_shape],
// B >= 1, data in exactly one of the two forms with the right size) and the
// requested outputs (only `output`). The model name and version are not
// checked here.
absl::StatusOr<ValidatedInfer> ValidateInferRequest(
    const inference::ModelInferRequest& request, const engine::Model& model);

// The version a request names in `field`: 0 for empty (any version),
// otherwise a decimal >= 1.
absl::StatusOr<uint64_t> ParseModelVersion(absl::string_view version,
                                           absl::string_view field);

// The read-your-writes rule: a request naming version `requested` is served
// by the current version when that is at least `requested` (versions only
// grow, so the answer is never older than what was asked for);
// FAILED_PRECONDITION naming `field` when the model is not there yet.
absl::Status CheckVersionServed(uint64_t requested, uint64_t current,
                                absl::string_view model_name,
                                absl::string_view field);

}  // namespace brainserve::server::inference_protocol

#endif  // BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFER_VALIDATION_H_
