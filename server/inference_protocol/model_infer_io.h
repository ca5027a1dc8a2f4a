// ForwardIo of one ModelInfer request (gRPC, or HTTP after its JSON was
// converted): reads the input from `fp32_contents` or `raw_input_contents[0]`
// and answers in the same form, with model_name, id and the parameter
// version that computed the output as model_version (decimal).
//
// Thread safety: as ForwardIo. `context` (may be null: HTTP) answers
// IsCancelled().
#ifndef BRAINSERVE_SERVER_INFERENCE_PROTOCOL_MODEL_INFER_IO_H_
#define BRAINSERVE_SERVER_INFERENCE_PROTOCOL_MODEL_INFER_IO_H_

#include <functional>

#include "absl/status/status.h"
#include "engine/tensor_codec.h"
#include "grpcpp/server_context.h"
#include "inference/grpc_predict_v2.pb.h"
#include "server/forward_call.h"

namespace brainserve::server::inference_protocol {

// Called exactly once when the call completes (the response is filled when
// OK). `grpc_status` is `status` through the one mapping (status_util.h).
using InferDone =
    std::function<void(const absl::Status& status,
                       const grpc::Status& grpc_status)>;

class ModelInferIo final : public ForwardIo {
 public:
  // `request` and `response` must stay valid until `done` runs.
  ModelInferIo(const inference::ModelInferRequest* request,
               inference::ModelInferResponse* response,
               const grpc::CallbackServerContext* context,
               engine::TensorEncoding encoding, InferDone done);

  void CopyInput(float* dst) const override;
  const float* InputInPlace() const override;
  void SetOutput(absl::Span<const int64_t> shape, absl::Span<const float> data,
                 uint64_t version) override;
  void Finish(const absl::Status& status,
              const grpc::Status& grpc_status) override;
  bool IsCancelled() const override {
    return context_ != nullptr && context_->IsCancelled();
  }

 private:
  const inference::ModelInferRequest* const request_;
  inference::ModelInferResponse* const response_;
  const grpc::CallbackServerContext* const context_;
  const engine::TensorEncoding encoding_;
  InferDone done_;
};

}  // namespace brainserve::server::inference_protocol

#endif  // BRAINSERVE_SERVER_INFERENCE_PROTOCOL_MODEL_INFER_IO_H_
