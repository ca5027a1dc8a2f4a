#include "server/model_service_impl.h"

#include <exception>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/admission/admission.h"
#include "server/auth/method_roles.h"
#include "server/change_audit.h"
#include "server/forward_call.h"
#include "server/parameter_ops.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server {
namespace {

using metrics::Method;
namespace methods = auth::methods;

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
    TaskRunner* queue, grpc::CallbackServerContext* context,
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

ModelServiceImpl::ModelServiceImpl(
    ModelRegistry* registry, ModelManager* manager, WorkQueue* admin_queue,
    WorkQueue* update_queue, metrics::Reporter* reporter,
    const ModelReader* reader, const auth::GrpcAuthorizer* authorizer,
    auth::AuditLog* audit_log)
    : registry_(registry),
      manager_(manager),
      admin_queue_(admin_queue),
      update_queue_(update_queue),
      reporter_(reporter),
      reader_(reader),
      authorizer_(authorizer),
      audit_log_(audit_log) {}

absl::Status ModelServiceImpl::AdmitSize(
    absl::string_view method,
    const google::protobuf::MessageLite& request) const {
  const admission::RequestKind kind =
      method == methods::kForward ? admission::RequestKind::kForward
      : method == methods::kUpdateParameters
          ? admission::RequestKind::kUpdate
          : admission::RequestKind::kOther;
  return admission::AdmitRequestSize(
      manager_->admission_limits(), kind, method,
      static_cast<int64_t>(request.ByteSizeLong()));
}

absl::Status ModelServiceImpl::Admit(
    grpc::CallbackServerContext* context, absl::string_view method,
    const google::protobuf::MessageLite& request) const {
  absl::Status status = authorizer_->Authorize(*context, method);
  if (!status.ok()) return status;
  return AdmitSize(method, request);
}

absl::Status ModelServiceImpl::AdmitChange(
    grpc::CallbackServerContext* context, absl::string_view method,
    const google::protobuf::MessageLite& request, auth::AuditEvent event,
    RpcRecorder& recorder) const {
  auth::Caller caller;
  absl::Status status = authorizer_->Authorize(*context, method, &caller);
  AddCaller(caller, &event);
  auth::CallOrigin origin = auth::OriginOf(*context);
  event.peer = std::move(origin.peer);
  event.tls_subject = std::move(origin.tls_subject);
  recorder.Audit(audit_log_, std::move(event));
  if (!status.ok()) return status;
  return AdmitSize(method, request);
}

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
  absl::Status admitted = AdmitChange(context, methods::kCreateModel, *request,
                                      AuditEventFor(*request), *recorder);
  if (!admitted.ok()) return FinishNow(context, *recorder, admitted);
  return FinishOnQueue(admin_queue_, context, std::move(recorder),
                       [this, request, response](RpcRecorder& rec) {
                         absl::StatusOr<std::shared_ptr<ServedModel>> model =
                             manager_->Create(*request);
                         if (!model.ok()) return model.status();
                         rec.Attribute((*model)->reporter());
                         rec.audit()->new_version =
                             (*model)->engine().snapshot()->version();
                         (*model)->FillInfo(response);
                         return absl::OkStatus();
                       });
}

grpc::ServerUnaryReactor* ModelServiceImpl::GetModel(
    grpc::CallbackServerContext* context, const v1::GetModelRequest* request,
    v1::ModelInfo* response) {
  auto recorder = std::make_shared<RpcRecorder>(reporter_, Method::kGetModel);
  absl::Status admitted = Admit(context, methods::kGetModel, *request);
  if (!admitted.ok()) return FinishNow(context, *recorder, admitted);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reader_->Find(request->name(), "name", request->min_version(),
                "min_version", DeadlineOf(*context),
                [recorder, response, reactor](
                    absl::StatusOr<std::shared_ptr<ServedModel>> found) {
                  if (found.ok()) {
                    recorder->Attribute((*found)->reporter());
                    (*found)->FillInfo(response);
                  }
                  reactor->Finish(recorder->Complete(found.status()));
                });
  return reactor;
}

grpc::ServerUnaryReactor* ModelServiceImpl::ListModels(
    grpc::CallbackServerContext* context, const v1::ListModelsRequest* request,
    v1::ListModelsResponse* response) {
  RpcRecorder recorder(reporter_, Method::kListModels);
  absl::Status admitted = Admit(context, methods::kListModels, *request);
  if (!admitted.ok()) return FinishNow(context, recorder, admitted);
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
  absl::Status admitted = AdmitChange(context, methods::kDeleteModel, *request,
                                      AuditEventFor(*request), *recorder);
  if (!admitted.ok()) return FinishNow(context, *recorder, admitted);
  return FinishOnQueue(admin_queue_, context, std::move(recorder),
                       [this, request](RpcRecorder& rec) {
                         // The version being deleted, for the audit line.
                         absl::StatusOr<std::shared_ptr<ServedModel>> model =
                             Lookup(request->name(), "name");
                         if (model.ok()) {
                           rec.audit()->old_version =
                               (*model)->engine().snapshot()->version();
                         }
                         return manager_->Delete(request->name());
                       });
}

grpc::ServerUnaryReactor* ModelServiceImpl::Forward(
    grpc::CallbackServerContext* context, const v1::ForwardRequest* request,
    v1::ForwardResponse* response) {
  RpcRecorder recorder(reporter_, Method::kForward);
  absl::Status admitted = Admit(context, methods::kForward, *request);
  if (!admitted.ok()) return FinishNow(context, recorder, admitted);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto shared_recorder = std::make_shared<RpcRecorder>(std::move(recorder));
  // The batch takes the model's snapshot when it runs, so after Find() it
  // is at least min_version.
  reader_->Find(
      request->model(), "model", request->min_version(), "min_version",
      DeadlineOf(*context),
      [context, request, response, reactor,
       shared_recorder](absl::StatusOr<std::shared_ptr<ServedModel>> found) {
        if (!found.ok()) {
          reactor->Finish(shared_recorder->Complete(found.status()));
          return;
        }
        shared_recorder->Attribute((*found)->reporter());
        absl::StatusOr<ValidatedForward> validated =
            ValidateForwardRequest(*request, (*found)->engine());
        if (!validated.ok()) {
          reactor->Finish(shared_recorder->Complete(validated.status()));
          return;
        }
        (*found)->executor().Submit(std::make_unique<ForwardCall>(
            std::make_unique<GrpcForwardIo>(context, request, response,
                                            reactor, validated->encoding),
            validated->batch_rows, std::move(validated->masks),
            DeadlineOf(*context), std::move(*shared_recorder)));
      });
  return reactor;
}

grpc::ServerUnaryReactor* ModelServiceImpl::UpdateParameters(
    grpc::CallbackServerContext* context,
    const v1::UpdateParametersRequest* request,
    v1::UpdateParametersResponse* response) {
  auto recorder =
      std::make_shared<RpcRecorder>(reporter_, Method::kUpdateParameters);
  absl::Status admitted =
      AdmitChange(context, methods::kUpdateParameters, *request,
                  AuditEventFor(*request), *recorder);
  if (!admitted.ok()) return FinishNow(context, *recorder, admitted);
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(request->model(), "model");
  // On a shared store an unknown model may be one another replica created
  // that this one has not loaded yet: the update thread looks.
  if (!model.ok() &&
      !(absl::IsNotFound(model.status()) && manager_->shared_store())) {
    return FinishNow(context, *recorder, model.status());
  }
  // A served model's updates wait in its own bounded queue; the first update
  // of a model this replica has not loaded yet goes straight to the update
  // threads, which load it.
  TaskRunner* queue = update_queue_;
  if (model.ok()) {
    recorder->Attribute((*model)->reporter());
    queue = &(*model)->updates();
  }
  return FinishOnQueue(
      queue, context, std::move(recorder),
      [this, model, request, response](RpcRecorder& rec) -> absl::Status {
        absl::StatusOr<std::shared_ptr<ServedModel>> found =
            model.ok() ? model : manager_->FindOrLoad(request->model());
        if (!found.ok()) return found.status();
        if (!model.ok()) rec.Attribute((*found)->reporter());
        rec.audit()->old_version = (*found)->engine().snapshot()->version();
        absl::StatusOr<uint64_t> version = manager_->Update(*found, *request);
        if (!version.ok()) return version.status();
        response->set_version(*version);
        // Versions grow by exactly 1 per update.
        rec.audit()->old_version = *version - 1;
        rec.audit()->new_version = *version;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ModelServiceImpl::GetParameters(
    grpc::CallbackServerContext* context,
    const v1::GetParametersRequest* request,
    v1::GetParametersResponse* response) {
  auto recorder =
      std::make_shared<RpcRecorder>(reporter_, Method::kGetParameters);
  absl::Status admitted = Admit(context, methods::kGetParameters, *request);
  if (!admitted.ok()) return FinishNow(context, *recorder, admitted);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reader_->Find(request->model(), "model", request->min_version(),
                "min_version", DeadlineOf(*context),
                [manager = manager_, recorder, request, response, reactor](
                    absl::StatusOr<std::shared_ptr<ServedModel>> found) {
                  absl::Status status = found.status();
                  if (found.ok()) {
                    recorder->Attribute((*found)->reporter());
                    status = ReadModelParameters(
                        **found, *request, manager->admission_limits(),
                        response);
                  }
                  reactor->Finish(recorder->Complete(status));
                });
  return reactor;
}

}  // namespace brainserve::server
