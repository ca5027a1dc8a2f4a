#include "server/inference_protocol/infer_validation.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/request_validation.h"

namespace brainserve::server::inference_protocol {
namespace {

using inference::InferTensorContents;
using inference::ModelInferRequest;

// The name of the first typed field other than fp32_contents that holds
// data, or nullptr.
const char* OtherTypedContents(const InferTensorContents& contents) {
  if (contents.bool_contents_size() > 0) return "bool_contents";
  if (contents.int_contents_size() > 0) return "int_contents";
  if (contents.int64_contents_size() > 0) return "int64_contents";
  if (contents.uint_contents_size() > 0) return "uint_contents";
  if (contents.uint64_contents_size() > 0) return "uint64_contents";
  if (contents.fp64_contents_size() > 0) return "fp64_contents";
  if (contents.bytes_contents_size() > 0) return "bytes_contents";
  return nullptr;
}

absl::Status ValidateInput(const ModelInferRequest::InferInputTensor& input,
                           const engine::Model& model) {
  if (input.name() != kInputName) {
    return absl::InvalidArgumentError(
        absl::StrCat("inputs[0].name: '", absl::CHexEscape(input.name()),
                     "' is not an input of the model; its one input is '",
                     kInputName, "'"));
  }
  if (input.datatype() != kDatatype) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inputs[0].datatype: '", absl::CHexEscape(input.datatype()),
        "' is not supported; input '", kInputName, "' is ", kDatatype));
  }
  return ValidateBatchedShape(input.shape(), model.input_shape(), "inputs[0]");
}

absl::Status ValidateData(const ModelInferRequest& request,
                          int64_t elements) {
  const InferTensorContents& contents = request.inputs(0).contents();
  if (const char* other = OtherTypedContents(contents)) {
    return absl::InvalidArgumentError(
        absl::StrCat("inputs[0].contents.", other, ": set, but input '",
                     kInputName, "' is ", kDatatype, " (use fp32_contents)"));
  }
  const int64_t want_bytes = elements * static_cast<int64_t>(sizeof(float));
  if (request.raw_input_contents_size() > 0) {
    if (request.raw_input_contents_size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("raw_input_contents: ",
                       request.raw_input_contents_size(),
                       " entries, expected 1 (one per input)"));
    }
    if (contents.fp32_contents_size() > 0) {
      return absl::InvalidArgumentError(
          "inputs[0].contents: set together with raw_input_contents; "
          "exactly one may carry the data");
    }
    const int64_t bytes =
        static_cast<int64_t>(request.raw_input_contents(0).size());
    if (bytes != want_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "raw_input_contents[0]: ", bytes, " bytes, expected ", want_bytes,
          " (", elements, " FP32 elements)"));
    }
    return absl::OkStatus();
  }
  if (contents.fp32_contents_size() != elements) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inputs[0].contents.fp32_contents: ", contents.fp32_contents_size(),
        " elements, expected ", elements,
        " (or the data in raw_input_contents)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ValidatedInfer> ValidateInferRequest(
    const ModelInferRequest& request, const engine::Model& model) {
  if (request.inputs_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inputs: ", request.inputs_size(), " tensors, expected 1 (the model's "
        "one input is '", kInputName, "')"));
  }
  absl::Status status = ValidateInput(request.inputs(0), model);
  if (!status.ok()) return status;
  for (int i = 0; i < request.outputs_size(); ++i) {
    if (request.outputs(i).name() != kOutputName) {
      return absl::InvalidArgumentError(absl::StrCat(
          "outputs[", i, "].name: '", absl::CHexEscape(request.outputs(i).name()),
          "' is not an output of the model; its one output is '", kOutputName,
          "'"));
    }
  }
  const int64_t rows = request.inputs(0).shape(0);
  const int64_t sample = std::max<int64_t>(model.input_sample_size(), 1);
  if (rows > engine::kMaxWireTensorElements / sample) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inputs[0].shape[0]: batch size ", rows, " makes more than ",
        engine::kMaxWireTensorElements, " elements"));
  }
  status = ValidateData(request, rows * model.input_sample_size());
  if (!status.ok()) return status;
  ValidatedInfer out;
  out.batch_rows = rows;
  out.encoding = request.raw_input_contents_size() > 0
                     ? engine::TensorEncoding::kRaw
                     : engine::TensorEncoding::kValues;
  return out;
}

absl::StatusOr<uint64_t> ParseModelVersion(absl::string_view version,
                                           absl::string_view field) {
  if (version.empty()) return uint64_t{0};
  uint64_t parsed = 0;
  const bool digits_only =
      std::all_of(version.begin(), version.end(),
                  [](char c) { return absl::ascii_isdigit(c); });
  if (!digits_only || !absl::SimpleAtoi(version, &parsed) || parsed == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", absl::CHexEscape(version),
                     "' is not a model version (a decimal >= 1, or empty)"));
  }
  return parsed;
}

absl::Status CheckVersionServed(uint64_t requested, uint64_t current,
                                absl::string_view model_name,
                                absl::string_view field) {
  if (requested <= current) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": version ", requested, " of model '", model_name,
                   "' is not served yet (current version ", current, ")"));
}

}  // namespace brainserve::server::inference_protocol
