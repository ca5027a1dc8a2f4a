#include "server/forward_call.h"

#include <chrono>
#include <utility>

#include "engine/tensor_codec.h"

namespace brainserve::server {

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

GrpcForwardIo::GrpcForwardIo(grpc::CallbackServerContext* context,
                             const v1::ForwardRequest* request,
                             v1::ForwardResponse* response,
                             grpc::ServerUnaryReactor* reactor,
                             engine::TensorEncoding encoding)
    : context_(context),
      request_(request),
      response_(response),
      reactor_(reactor),
      encoding_(encoding) {}

void GrpcForwardIo::CopyInput(float* dst) const {
  engine::CopyTensorData(request_->input(), dst);
}

const float* GrpcForwardIo::InputInPlace() const {
  return engine::TensorFloatsInPlace(request_->input());
}

void GrpcForwardIo::SetOutput(absl::Span<const int64_t> shape,
                              absl::Span<const float> data, uint64_t version) {
  engine::EncodeTensor(shape, data, encoding_, response_->mutable_output());
  response_->set_version(version);
}

void GrpcForwardIo::Finish(const absl::Status&,
                           const grpc::Status& grpc_status) {
  reactor_->Finish(grpc_status);
}

ForwardCall::ForwardCall(std::unique_ptr<ForwardIo> io, int64_t batch_rows,
                         engine::CheckedMasks masks, absl::Time deadline,
                         RpcRecorder recorder)
    : io_(std::move(io)),
      batch_rows_(batch_rows),
      masks_(std::move(masks)),
      deadline_(deadline),
      recorder_(std::move(recorder)) {}

ForwardCall::~ForwardCall() {
  if (!finished_) {
    Finish(absl::InternalError("forward call dropped without completion"));
  }
}

void ForwardCall::Finish(const absl::Status& status) {
  if (finished_) return;
  finished_ = true;
  const grpc::Status grpc_status = recorder_.Complete(status);
  io_->Finish(status, grpc_status);
}

}  // namespace brainserve::server
