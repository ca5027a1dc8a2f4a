// inference.GRPCInferenceService (the Open Inference Protocol, KServe v2) on
// gRPC's callback API, served on the same port as brainserve.v1.ModelService.
//
// Each handler authorizes its call (auth/method_roles.h: ServerLive and
// ServerReady are open, the rest need a reader token) and is a thin adapter
// over InferenceProtocol (which the HTTP
// front end shares): ModelInfer hands the call to the model's executor and a
// batch worker finishes it; the others are lookups finished inline. Statuses
// go through the one mapping (status_util.h).
//
// Thread safety: handlers run concurrently on gRPC threads. `protocol` is
// borrowed and must outlive the service.
#ifndef BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFERENCE_SERVICE_H_
#define BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFERENCE_SERVICE_H_

#include "inference/grpc_predict_v2.grpc.pb.h"
#include "server/admission/admission.h"
#include "server/auth/grpc_authorizer.h"
#include "server/inference_protocol/inference_protocol.h"

namespace brainserve::server::inference_protocol {

class InferenceService final
    : public inference::GRPCInferenceService::CallbackService {
 public:
  // `authorizer` must not be null (it admits everyone when authentication
  // is off).
  // ModelInfer requests over `limits.max_forward_message_bytes` are
  // RESOURCE_EXHAUSTED (after authorization, before anything else).
  InferenceService(const InferenceProtocol* protocol,
                   const auth::GrpcAuthorizer* authorizer,
                   const admission::AdmissionLimits& limits);

  grpc::ServerUnaryReactor* ServerLive(
      grpc::CallbackServerContext* context,
      const inference::ServerLiveRequest* request,
      inference::ServerLiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerReady(
      grpc::CallbackServerContext* context,
      const inference::ServerReadyRequest* request,
      inference::ServerReadyResponse* response) override;
  grpc::ServerUnaryReactor* ModelReady(
      grpc::CallbackServerContext* context,
      const inference::ModelReadyRequest* request,
      inference::ModelReadyResponse* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(
      grpc::CallbackServerContext* context,
      const inference::ServerMetadataRequest* request,
      inference::ServerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(
      grpc::CallbackServerContext* context,
      const inference::ModelMetadataRequest* request,
      inference::ModelMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfer(
      grpc::CallbackServerContext* context,
      const inference::ModelInferRequest* request,
      inference::ModelInferResponse* response) override;

 private:
  const InferenceProtocol* const protocol_;
  const auth::GrpcAuthorizer* const authorizer_;
  const admission::AdmissionLimits limits_;
};

}  // namespace brainserve::server::inference_protocol

#endif  // BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFERENCE_SERVICE_H_
