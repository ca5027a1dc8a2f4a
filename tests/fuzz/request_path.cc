#include "tests/fuzz/request_path.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/model.h"
#include "engine/tensor_codec.h"
#include "server/admission/admission.h"
#include "server/inference_protocol/infer_validation.h"
#include "server/request_validation.h"
#include "tests/fuzz/fuzz_models.h"

namespace brainserve::fuzz {
namespace {

// Computes `input` ([rows, *input_shape]) as `segments`; the forward of an
// admitted request must succeed.
std::vector<float> Compute(const engine::Model& model,
                           const std::vector<float>& input, int64_t rows,
                           absl::Span<const engine::ForwardSegment> segments) {
  std::vector<float> output(
      static_cast<size_t>(rows * model.output_sample_size()));
  absl::Status status = model.Forward(*model.snapshot(), input.data(), rows,
                                      segments, output.data());
  Require(status.ok(), "Forward of an admitted request", status);
  return output;
}

// The batcher's path: the same request twice in one batch, one segment
// per call with the call's checked masks (forward_batch.cc).
void CheckBatchInvariance(absl::string_view name, const engine::Model& model,
                          const std::vector<float>& input, int64_t rows,
                          const engine::CheckedMasks& masks,
                          const std::vector<float>& output) {
  const auto limits = FuzzAdmissionLimits();
  if (!server::admission::AdmitForward(limits, name, model, 2 * rows,
                                       static_cast<int64_t>(masks.size()))
           .ok()) {
    return;
  }
  std::vector<float> doubled = input;
  doubled.insert(doubled.end(), input.begin(), input.end());
  const engine::ForwardSegment twice[] = {{rows, &masks}, {rows, &masks}};
  std::vector<float> batch_output = Compute(model, doubled, 2 * rows, twice);
  Require(SameFloats(batch_output.data(), output.data(), output.size()) &&
              SameFloats(batch_output.data() + output.size(), output.data(),
                         output.size()),
          "batch of the request twice gives the request's rows bitwise");
}

// Encodes the output as the response does and decodes it again.
void CheckResponseRoundTrip(const engine::Model& model, int64_t rows,
                            const std::vector<float>& output,
                            engine::TensorEncoding encoding) {
  std::vector<int64_t> shape = {rows};
  shape.insert(shape.end(), model.output_shape().begin(),
               model.output_shape().end());
  v1::Tensor encoded;
  engine::EncodeTensor(shape, output, encoding, &encoded);
  absl::StatusOr<engine::DenseTensor> decoded =
      engine::DecodeTensor(encoded, "output");
  Require(decoded.ok(), "an encoded response decodes", decoded.status());
  Require(decoded->shape == shape &&
              decoded->data.size() == output.size() &&
              SameFloats(decoded->data.data(), output.data(), output.size()),
          "response round trip");
}

// Admission, then compute and check (shared by both protocols).
absl::Status AdmitAndRun(absl::string_view name, const engine::Model& model,
                         const std::vector<float>& input, int64_t rows,
                         const engine::CheckedMasks& masks,
                         engine::TensorEncoding encoding) {
  const engine::ForwardSegment alone[] = {{rows, &masks}};
  std::vector<float> output = Compute(model, input, rows, alone);
  CheckBatchInvariance(name, model, input, rows, masks, output);
  CheckResponseRoundTrip(model, rows, output, encoding);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunForward(const v1::ForwardRequest& request) {
  absl::Status status = server::ValidateModelName(request.model(), "model");
  if (!status.ok()) return status;
  const engine::Model* model = FixedModel(request.model());
  if (model == nullptr) return absl::NotFoundError("model");
  absl::StatusOr<server::ValidatedForward> validated =
      server::ValidateForwardRequest(request, *model);
  if (!validated.ok()) return validated.status();
  const int64_t rows = validated->batch_rows;
  status = server::admission::AdmitForward(
      FuzzAdmissionLimits(), request.model(), *model, rows,
      static_cast<int64_t>(validated->masks.size()));
  if (!status.ok()) return status;
  std::vector<float> input(
      static_cast<size_t>(rows * model->input_sample_size()));
  engine::CopyTensorData(request.input(), input.data());
  return AdmitAndRun(request.model(), *model, input, rows, validated->masks,
                     validated->encoding);
}

absl::Status RunModelInfer(const inference::ModelInferRequest& request) {
  absl::Status status = server::ValidateModelName(request.model_name(), "name");
  if (!status.ok()) return status;
  absl::StatusOr<uint64_t> version = server::inference_protocol::ParseModelVersion(
      request.model_version(), "model_version");
  if (!version.ok()) return version.status();
  const engine::Model* model = FixedModel(request.model_name());
  if (model == nullptr) return absl::NotFoundError("model");
  status = server::inference_protocol::CheckVersionServed(
      *version, model->snapshot()->version(), request.model_name(),
      "model_version");
  if (!status.ok()) return status;
  absl::StatusOr<server::inference_protocol::ValidatedInfer> validated =
      server::inference_protocol::ValidateInferRequest(request, *model);
  if (!validated.ok()) return validated.status();
  const int64_t rows = validated->batch_rows;
  status = server::admission::AdmitForward(FuzzAdmissionLimits(),
                                           request.model_name(), *model, rows);
  if (!status.ok()) return status;
  // ModelInferIo::CopyInput.
  std::vector<float> input(
      static_cast<size_t>(rows * model->input_sample_size()));
  if (validated->encoding == engine::TensorEncoding::kRaw) {
    const std::string& raw = request.raw_input_contents(0);
    Require(raw.size() == input.size() * sizeof(float),
            "validated raw input has the input's size");
    if (!raw.empty()) std::memcpy(input.data(), raw.data(), raw.size());
  } else {
    const auto& values = request.inputs(0).contents().fp32_contents();
    Require(static_cast<size_t>(values.size()) == input.size(),
            "validated fp32_contents has the input's size");
    std::copy(values.begin(), values.end(), input.begin());
  }
  return AdmitAndRun(request.model_name(), *model, input, rows, {},
                     validated->encoding);
}

}  // namespace brainserve::fuzz
