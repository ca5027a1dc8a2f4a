#include "server/model_service_impl.h"

#include <exception>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/forward_call.h"
#include "server/parameter_ops.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server {
namespace {

using metrics::Method;

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    RpcRecorder& recorder,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(recorder.Complete(status));
  return reactor;
}

// Runs `work` on `queue` and finishes the call with its status; finishes at
// once if the queue refuses it. Exceptions (e.g. std::bad_alloc) become
// RESOURCE_EXHAUSTED / INTERNAL instead of leaving the thread.
grpc::ServerUnaryReactor* FinishOnQueue(
    WorkQueue* queue, grpc::CallbackServerContext* context,
    std::shared_ptr<RpcRecorder> recorder,
    std::function<absl::Status(RpcRecorder&)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status scheduled = queue->Schedule([reactor, recorder, work] {
    absl::Status status;
    try {
      status = work(*recorder);
    } catch (const std::bad_alloc&) {
      status = absl::ResourceExhaustedError("out of memory");
    } catch (const std::exception& e) {
      status = absl::InternalError(e.what());
    }
    reactor->Finish(recorder->Complete(status));
  });
  if (!scheduled.ok()) reactor->Finish(recorder->Complete(scheduled));
  return reactor;
}

}  // namespace

ModelServiceImpl::ModelServiceImpl(ModelRegistry* registry,
                                   ModelManager* manager,
                                   WorkQueue* admin_queue,
                                   WorkQueue* update_queue,
                                   metrics::Reporter* reporter)
    : registry_(registry),
      manager_(manager),
      admin_queue_(admin_queue),
      update_queue_(update_queue),
      reporter_(reporter) {}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelServiceImpl::Lookup(
    absl::string_view name, absl::string_view field) const {
  absl::Status status = ValidateModelName(name, field);
  if (!status.ok()) return status;
  return registry_->Get(name);
}

grpc::ServerUnaryReactor* ModelServiceImpl::CreateModel(
    grpc::CallbackServerContext* context, const v1::CreateModelRequest* request,
    v1::ModelInfo* response) {
  auto recorder =
      std::make_shared<RpcRecorder>(reporter_, Method::kCreateModel);
  return FinishOnQueue(admin_queue_, context, std::move(recorder),
                       [this, request, response](RpcRecorder& rec) {
                         absl::StatusOr<std::shared_ptr<ServedModel>> model =
                             manager_->Create(*request);
                         if (!model.ok()) return model.status();
                         rec.Attribute((*model)->reporter());
                         (*model)->FillInfo(response);
                         return absl::OkStatus();
                       });
}

grpc::ServerUnaryReactor* ModelServiceImpl::GetModel(
    grpc::CallbackServerContext* context, const v1::GetModelRequest* request,
    v1::ModelInfo* response) {
  RpcRecorder recorder(reporter_, Method::kGetModel);
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(request->name(), "name");
  if (model.ok()) {
    recorder.Attribute((*model)->reporter());
    (*model)->FillInfo(response);
  }
  return FinishNow(context, recorder, model.status());
}

grpc::ServerUnaryReactor* ModelServiceImpl::ListModels(
    grpc::CallbackServerContext* context, const v1::ListModelsRequest* request,
    v1::ListModelsResponse* response) {
  RpcRecorder recorder(reporter_, Method::kListModels);
  for (const std::shared_ptr<ServedModel>& model : registry_->List()) {
    model->FillInfo(response->add_models());
  }
  return FinishNow(context, recorder, absl::OkStatus());
}

grpc::ServerUnaryReactor* ModelServiceImpl::DeleteModel(
    grpc::CallbackServerContext* context, const v1::DeleteModelRequest* request,
    v1::DeleteModelResponse* response) {
  // Recorded with model="": the model's own series are gone once it is.
  auto recorder =
      std::make_shared<RpcRecorder>(reporter_, Method::kDeleteModel);
  return FinishOnQueue(admin_queue_, context, std::move(recorder),
                       [this, request](RpcRecorder&) {
                         return manager_->Delete(request->name());
                       });
}

grpc::ServerUnaryReactor* ModelServiceImpl::Forward(
    grpc::CallbackServerContext* context, const v1::ForwardRequest* request,
    v1::ForwardResponse* response) {
  RpcRecorder recorder(reporter_, Method::kForward);
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(request->model(), "model");
  if (!model.ok()) return FinishNow(context, recorder, model.status());
  recorder.Attribute((*model)->reporter());
  absl::StatusOr<ValidatedForward> validated =
      ValidateForwardRequest(*request, (*model)->engine());
  if (!validated.ok()) return FinishNow(context, recorder, validated.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  (*model)->executor().Submit(std::make_unique<ForwardCall>(
      std::make_unique<GrpcForwardIo>(context, request, response, reactor,
                                      validated->encoding),
      validated->batch_rows, std::move(validated->masks), DeadlineOf(*context),
      std::move(recorder)));
  return reactor;
}

grpc::ServerUnaryReactor* ModelServiceImpl::UpdateParameters(
    grpc::CallbackServerContext* context,
    const v1::UpdateParametersRequest* request,
    v1::UpdateParametersResponse* response) {
  auto recorder =
      std::make_shared<RpcRecorder>(reporter_, Method::kUpdateParameters);
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(request->model(), "model");
  if (!model.ok()) return FinishNow(context, *recorder, model.status());
  recorder->Attribute((*model)->reporter());
  return FinishOnQueue(
      update_queue_, context, std::move(recorder),
      [this, model = *std::move(model), request, response](RpcRecorder&) {
        absl::StatusOr<uint64_t> version = manager_->Update(model, *request);
        if (version.ok()) response->set_version(*version);
        return version.status();
      });
}

grpc::ServerUnaryReactor* ModelServiceImpl::GetParameters(
    grpc::CallbackServerContext* context,
    const v1::GetParametersRequest* request,
    v1::GetParametersResponse* response) {
  RpcRecorder recorder(reporter_, Method::kGetParameters);
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(request->model(), "model");
  if (!model.ok()) return FinishNow(context, recorder, model.status());
  recorder.Attribute((*model)->reporter());
  return FinishNow(context, recorder,
                   ReadModelParameters(**model, *request, response));
}

}  // namespace brainserve::server
