// brainserve.v1.ModelService on gRPC's callback API.
//
// Every handler times the call (RpcRecorder), validates, calls the
// implementation, converts the status in one place (status_util.h), records
// metrics and finishes the reactor. Nothing blocks or computes on gRPC's
// threads:
//   Forward          -> the model's ForwardExecutor; a batch worker finishes;
//   CreateModel,
//   DeleteModel      -> the admin WorkQueue (parameter initialization is
//                       CPU-heavy, and both commit to the store); it
//                       finishes;
//   UpdateParameters -> the update WorkQueue (weight preparation and the
//                       store commit), separate from the admin queue so an
//                       update never waits behind another model's creation;
//   the rest         -> cheap lookups and copies, finished inline.
//
// Thread safety: handlers run concurrently on gRPC threads; all state they
// touch is thread-safe. Borrowed pointers must outlive the service.
#ifndef BRAINSERVE_SERVER_MODEL_SERVICE_IMPL_H_
#define BRAINSERVE_SERVER_MODEL_SERVICE_IMPL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "server/metrics/reporter.h"
#include "server/model_manager.h"
#include "server/model_registry.h"
#include "server/served_model.h"
#include "server/work_queue.h"

namespace brainserve::server {

class ModelServiceImpl final : public v1::ModelService::CallbackService {
 public:
  ModelServiceImpl(ModelRegistry* registry, ModelManager* manager,
                   WorkQueue* admin_queue, WorkQueue* update_queue,
                   metrics::Reporter* reporter);

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
  // Validates the name in `field` and finds the model.
  absl::StatusOr<std::shared_ptr<ServedModel>> Lookup(
      absl::string_view name, absl::string_view field) const;

  ModelRegistry* const registry_;
  ModelManager* const manager_;
  WorkQueue* const admin_queue_;
  WorkQueue* const update_queue_;
  metrics::Reporter* const reporter_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_SERVICE_IMPL_H_
