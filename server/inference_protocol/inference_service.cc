#include "server/inference_protocol/inference_service.h"

#include "absl/time/time.h"
#include "server/auth/method_roles.h"
#include "server/status_util.h"

namespace brainserve::server::inference_protocol {
namespace {

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

namespace methods = auth::methods;

InferenceService::InferenceService(const InferenceProtocol* protocol,
                                   const auth::GrpcAuthorizer* authorizer,
                                   const admission::AdmissionLimits& limits)
    : protocol_(protocol), authorizer_(authorizer), limits_(limits) {}

grpc::ServerUnaryReactor* InferenceService::ServerLive(
    grpc::CallbackServerContext* context, const inference::ServerLiveRequest*,
    inference::ServerLiveResponse* response) {
  absl::Status admitted = authorizer_->Authorize(*context, methods::kServerLive);
  if (!admitted.ok()) return FinishNow(context, admitted);
  response->set_live(true);
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ServerReady(
    grpc::CallbackServerContext* context, const inference::ServerReadyRequest*,
    inference::ServerReadyResponse* response) {
  absl::Status admitted = authorizer_->Authorize(*context, methods::kServerReady);
  if (!admitted.ok()) return FinishNow(context, admitted);
  response->set_ready(protocol_->ready());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ModelReady(
    grpc::CallbackServerContext* context,
    const inference::ModelReadyRequest* request,
    inference::ModelReadyResponse* response) {
  absl::Status admitted = authorizer_->Authorize(*context, methods::kModelReady);
  if (!admitted.ok()) return FinishNow(context, admitted);
  absl::StatusOr<bool> ready =
      protocol_->ModelReady(request->name(), request->version());
  if (ready.ok()) response->set_ready(*ready);
  return FinishNow(context, ready.status());
}

grpc::ServerUnaryReactor* InferenceService::ServerMetadata(
    grpc::CallbackServerContext* context,
    const inference::ServerMetadataRequest*,
    inference::ServerMetadataResponse* response) {
  absl::Status admitted = authorizer_->Authorize(*context, methods::kServerMetadata);
  if (!admitted.ok()) return FinishNow(context, admitted);
  protocol_->FillServerMetadata(response);
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ModelMetadata(
    grpc::CallbackServerContext* context,
    const inference::ModelMetadataRequest* request,
    inference::ModelMetadataResponse* response) {
  absl::Status admitted = authorizer_->Authorize(*context, methods::kModelMetadata);
  if (!admitted.ok()) return FinishNow(context, admitted);
  return FinishNow(context, protocol_->ModelMetadata(*request, response));
}

grpc::ServerUnaryReactor* InferenceService::ModelInfer(
    grpc::CallbackServerContext* context,
    const inference::ModelInferRequest* request,
    inference::ModelInferResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status admitted = authorizer_->Authorize(*context, methods::kModelInfer);
  if (admitted.ok()) {
    admitted = admission::AdmitRequestSize(
        limits_, admission::RequestKind::kForward, methods::kModelInfer,
        static_cast<int64_t>(request->ByteSizeLong()));
  }
  protocol_->Infer(admitted, request, response, context, absl::InfiniteFuture(),
                   [reactor](const absl::Status&, const grpc::Status& status) {
                     reactor->Finish(status);
                   });
  return reactor;
}

}  // namespace brainserve::server::inference_protocol
