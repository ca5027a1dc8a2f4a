#include "server/inference_protocol/model_infer_io.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/inference_protocol/infer_validation.h"

namespace brainserve::server::inference_protocol {

ModelInferIo::ModelInferIo(const inference::ModelInferRequest* request,
                           inference::ModelInferResponse* response,
                           const grpc::CallbackServerContext* context,
                           engine::TensorEncoding encoding, InferDone done)
    : request_(request),
      response_(response),
      context_(context),
      encoding_(encoding),
      done_(std::move(done)) {}

void ModelInferIo::CopyInput(float* dst) const {
  if (encoding_ == engine::TensorEncoding::kRaw) {
    const std::string& raw = request_->raw_input_contents(0);
    engine::LittleEndianToFloats(raw.data(), raw.size() / sizeof(float), dst);
    return;
  }
  const auto& values = request_->inputs(0).contents().fp32_contents();
  std::memcpy(dst, values.data(), sizeof(float) * values.size());
}

const float* ModelInferIo::InputInPlace() const {
  if (encoding_ == engine::TensorEncoding::kRaw) {
    return engine::LittleEndianFloatsInPlace(request_->raw_input_contents(0));
  }
  const auto& values = request_->inputs(0).contents().fp32_contents();
  return values.empty() ? nullptr : values.data();
}

void ModelInferIo::SetOutput(absl::Span<const int64_t> shape,
                             absl::Span<const float> data, uint64_t version) {
  response_->set_model_name(request_->model_name());
  response_->set_model_version(absl::StrCat(version));
  response_->set_id(request_->id());
  inference::ModelInferResponse::InferOutputTensor* output =
      response_->add_outputs();
  output->set_name(kOutputName);
  output->set_datatype(kDatatype);
  output->mutable_shape()->Add(shape.begin(), shape.end());
  if (encoding_ == engine::TensorEncoding::kRaw) {
    *response_->add_raw_output_contents() = engine::LittleEndianBytes(data);
  } else {
    output->mutable_contents()->mutable_fp32_contents()->Add(data.begin(),
                                                             data.end());
  }
}

void ModelInferIo::Finish(const absl::Status& status,
                          const grpc::Status& grpc_status) {
  done_(status, grpc_status);
}

}  // namespace brainserve::server::inference_protocol
