// brainserve.v1.ModelService on gRPC's callback API.
//
// Every handler times the call (RpcRecorder), authorizes it (Admit: the
// caller's token must carry the role auth/method_roles.h assigns; changes
// also start their audit record, AdmitChange), validates, calls the
// implementation, converts the status in one place (status_util.h), records
// metrics and finishes the reactor. Nothing blocks or computes on gRPC's
// threads:
//   Forward          -> the model's ForwardExecutor; a batch worker finishes;
//   CreateModel,
//   DeleteModel      -> the admin WorkQueue (parameter initialization is
//                       CPU-heavy, and both commit to the store); it
//                       finishes;
//   UpdateParameters -> the model's ModelUpdateQueue (bounded, in order), run
//                       on the update WorkQueue's threads (weight preparation
//                       and the store commit), separate from the admin queue
//                       so an update never waits behind another model's
//                       creation;
//   the rest         -> cheap lookups and copies, finished inline.
// A min_version (read-your-writes) on Forward, GetModel or GetParameters
// parks the call at the model's VersionGate, holding no thread, until the
// version is applied (model_reader.h).
//
// Thread safety: handlers run concurrently on gRPC threads; all state they
// touch is thread-safe. Borrowed pointers must outlive the service.
#ifndef BRAINSERVE_SERVER_MODEL_SERVICE_IMPL_H_
#define BRAINSERVE_SERVER_MODEL_SERVICE_IMPL_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "server/auth/audit_log.h"
#include "server/auth/grpc_authorizer.h"
#include "server/metrics/reporter.h"
#include "server/model_manager.h"
#include "server/model_reader.h"
#include "server/model_registry.h"
#include "server/rpc_recorder.h"
#include "server/served_model.h"
#include "server/work_queue.h"

namespace brainserve::server {

class ModelServiceImpl final : public v1::ModelService::CallbackService {
 public:
  // `reader` finds models for reads (the read-your-writes rule).
  // `authorizer` must not be null (it admits everyone when authentication
  // is off); `audit_log` null writes no audit lines.
  ModelServiceImpl(ModelRegistry* registry, ModelManager* manager,
                   WorkQueue* admin_queue, WorkQueue* update_queue,
                   metrics::Reporter* reporter,
                   const ModelReader* reader,
                   const auth::GrpcAuthorizer* authorizer,
                   auth::AuditLog* audit_log);

  grpc::ServerUnaryReactor* CreateModel(grpc::CallbackServerContext* context,
                                        const v1::CreateModelRequest* request,
                                        v1::ModelInfo* response) override;
  grpc::ServerUnaryReactor* GetModel(grpc::CallbackServerContext* context,
                                     const v1::GetModelRequest* request,
                                     v1::ModelInfo* response) override;
  grpc::ServerUnaryReactor* ListModels(
      grpc::CallbackServerContext* context,
      const v1::ListModelsRequest* request,
      v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteModel(
      grpc::CallbackServerContext* context,
      const v1::DeleteModelRequest* request,
      v1::DeleteModelResponse* response) override;
  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* context,
                                    const v1::ForwardRequest* request,
                                    v1::ForwardResponse* response) override;
  grpc::ServerUnaryReactor* UpdateParameters(
      grpc::CallbackServerContext* context,
      const v1::UpdateParametersRequest* request,
      v1::UpdateParametersResponse* response) override;
  grpc::ServerUnaryReactor* GetParameters(
      grpc::CallbackServerContext* context,
      const v1::GetParametersRequest* request,
      v1::GetParametersResponse* response) override;

 private:
  // The authorization check every handler starts with, then the request's
  // size against its method's cap (admission::AdmitRequestSize).
  absl::Status Admit(grpc::CallbackServerContext* context,
                     absl::string_view method,
                     const google::protobuf::MessageLite& request) const;
  // Admit() for a change: also gives `recorder` the call's audit record
  // (`event` plus caller and origin), written when the call completes,
  // whether it was refused, failed or succeeded.
  absl::Status AdmitChange(grpc::CallbackServerContext* context,
                           absl::string_view method,
                           const google::protobuf::MessageLite& request,
                           auth::AuditEvent event,
                           RpcRecorder& recorder) const;
  // The request's size against its method's cap.
  absl::Status AdmitSize(absl::string_view method,
                         const google::protobuf::MessageLite& request) const;

  // Validates the name in `field` and finds the model.
  absl::StatusOr<std::shared_ptr<ServedModel>> Lookup(
      absl::string_view name, absl::string_view field) const;


  ModelRegistry* const registry_;
  ModelManager* const manager_;
  WorkQueue* const admin_queue_;
  WorkQueue* const update_queue_;
  metrics::Reporter* const reporter_;
  const ModelReader* const reader_;
  const auth::GrpcAuthorizer* const authorizer_;
  auth::AuditLog* const audit_log_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_SERVICE_IMPL_H_
