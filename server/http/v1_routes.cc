// brainserve's own operations over HTTP, in the protobuf JSON mapping of the
// ModelService messages (field names as in the .proto, e.g. "input_shape";
// lowerCamelCase is accepted too; 64-bit integers such as "version" are
// strings):
//   GET    /v1/models                       ListModels
//   POST   /v1/models                       CreateModel (CreateModelRequest)
//   GET    /v1/models/{name}                GetModel (?min_version=)
//   DELETE /v1/models/{name}                DeleteModel
//   GET    /v1/models/{name}/parameters     GetParameters
//                                           (?layer=&name=&min_version=)
//   POST   /v1/models/{name}/parameters     UpdateParameters
//                                           (UpdateParametersRequest)
// Each runs the code its gRPC handler runs (CreateModel and DeleteModel on
// the admin queue, UpdateParameters on the update queue), is authorized and
// audited as its gRPC form, and is recorded under the same metrics method
// label.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "server/auth/method_roles.h"
#include "server/change_audit.h"
#include "server/http/routes.h"
#include "server/parameter_ops.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server::http {
namespace {

using metrics::Method;
namespace methods = auth::methods;

constexpr char kModelPath[] = R"(/v1/models/([^/]+))";

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Serializing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::Status FromJson(const std::string& body,
                      google::protobuf::Message* message) {
  auto status = google::protobuf::util::JsonStringToMessage(body, message);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("request body: ", std::string(status.message())));
}

// The min_version query parameter of a read (0 when absent).
absl::StatusOr<uint64_t> MinVersion(const httplib::Request& request) {
  if (!request.has_param("min_version")) return uint64_t{0};
  const std::string value = request.get_param_value("min_version");
  uint64_t version = 0;
  if (!absl::SimpleAtoi(value, &version) || version == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_version: '", value, "' is not a version (an integer >= 1)"));
  }
  return version;
}

// Finds the model of a read (with ?min_version=, read-your-writes).
absl::StatusOr<std::shared_ptr<ServedModel>> FindModel(
    const HttpBackends& b, const httplib::Request& request,
    const std::string& name, RpcRecorder& recorder) {
  absl::StatusOr<uint64_t> min_version = MinVersion(request);
  if (!min_version.ok()) return min_version.status();
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      FindForRead(b, name, "name", *min_version, "min_version");
  if (model.ok()) recorder.Attribute((*model)->reporter());
  return model;
}

// Records the call and answers `status`, or `message` as JSON when OK.
void Reply(RpcRecorder& recorder, const absl::Status& status,
           const google::protobuf::Message& message,
           httplib::Response* response) {
  recorder.Complete(status);
  if (!status.ok()) return ReplyError(status, response);
  ReplyJson(ToJson(message), response);
}

void ListModels(const HttpBackends& b, const httplib::Request& request,
                httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kListModels);
  v1::ListModelsResponse list;
  absl::Status status = Admit(b, request, methods::kListModels);
  if (status.ok()) {
    for (const std::shared_ptr<ServedModel>& model : b.registry->List()) {
      model->FillInfo(list.add_models());
    }
  }
  Reply(recorder, status, list, response);
}

void CreateModel(const HttpBackends& b, const httplib::Request& request,
                 httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kCreateModel);
  v1::CreateModelRequest create;
  v1::ModelInfo info;
  absl::Status status = FromJson(request.body, &create);
  // A body that does not parse is still audited, as an unnamed create.
  absl::Status admitted = AdmitChange(b, request, methods::kCreateModel,
                                      AuditEventFor(create), recorder);
  if (!admitted.ok()) status = admitted;
  if (status.ok()) {
    status = RunOnQueue(b.admin_queue, [&] {
      absl::StatusOr<std::shared_ptr<ServedModel>> model =
          b.manager->Create(create);
      if (!model.ok()) return model.status();
      recorder.Attribute((*model)->reporter());
      recorder.audit()->new_version = (*model)->engine().snapshot()->version();
      (*model)->FillInfo(&info);
      return absl::OkStatus();
    });
  }
  Reply(recorder, status, info, response);
}

void GetModel(const HttpBackends& b, const httplib::Request& request,
              httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kGetModel);
  v1::ModelInfo info;
  absl::Status status = Admit(b, request, methods::kGetModel);
  if (status.ok()) {
    absl::StatusOr<std::shared_ptr<ServedModel>> model =
        FindModel(b, request, request.matches[1], recorder);
    if (model.ok()) (*model)->FillInfo(&info);
    status = model.status();
  }
  Reply(recorder, status, info, response);
}

void DeleteModel(const HttpBackends& b, const httplib::Request& request,
                 httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kDeleteModel);
  v1::DeleteModelRequest del;
  del.set_name(request.matches[1]);
  absl::Status status = AdmitChange(b, request, methods::kDeleteModel,
                                    AuditEventFor(del), recorder);
  if (status.ok()) {
    status = RunOnQueue(b.admin_queue, [&] {
      // The version being deleted, for the audit line.
      absl::StatusOr<std::shared_ptr<ServedModel>> model =
          b.registry->Get(del.name());
      if (model.ok()) {
        recorder.audit()->old_version =
            (*model)->engine().snapshot()->version();
      }
      return b.manager->Delete(del.name());
    });
  }
  Reply(recorder, status, v1::DeleteModelResponse(), response);
}

void GetParameters(const HttpBackends& b, const httplib::Request& request,
                   httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kGetParameters);
  v1::GetParametersRequest get;
  get.set_model(request.matches[1]);
  get.set_layer(request.get_param_value("layer"));
  get.set_name(request.get_param_value("name"));
  v1::GetParametersResponse parameters;
  absl::Status status = Admit(b, request, methods::kGetParameters);
  if (status.ok()) {
    absl::StatusOr<std::shared_ptr<ServedModel>> model =
        FindModel(b, request, get.model(), recorder);
    status = model.status();
    if (status.ok()) {
      status = ReadModelParameters(**model, get,
                                   b.manager->admission_limits(), &parameters);
    }
  }
  Reply(recorder, status, parameters, response);
}

void UpdateParameters(const HttpBackends& b, const httplib::Request& request,
                      httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kUpdateParameters);
  v1::UpdateParametersRequest update;
  v1::UpdateParametersResponse updated;
  const std::string name = request.matches[1];
  absl::Status status = FromJson(request.body, &update);
  if (status.ok() && !update.model().empty() && update.model() != name) {
    status = absl::InvalidArgumentError(
        absl::StrCat("model: '", update.model(), "' in the body, but the path "
                     "names '", name, "'"));
  }
  update.set_model(name);
  absl::Status admitted = AdmitChange(b, request, methods::kUpdateParameters,
                                      AuditEventFor(update), recorder);
  if (!admitted.ok()) status = admitted;
  if (status.ok()) status = ValidateModelName(name, "name");
  if (status.ok()) {
    // A served model's updates wait in its own bounded queue; on a shared
    // store, a model another replica created is loaded by an update thread.
    absl::StatusOr<std::shared_ptr<ServedModel>> served = b.registry->Get(name);
    TaskRunner* queue = b.update_queue;
    if (served.ok()) queue = &(*served)->updates();
    status = RunOnQueue(queue, [&]() -> absl::Status {
      absl::StatusOr<std::shared_ptr<ServedModel>> model = served;
      if (!model.ok() && absl::IsNotFound(model.status()) &&
          b.manager->shared_store()) {
        model = b.manager->FindOrLoad(name);
      }
      if (!model.ok()) return model.status();
      recorder.Attribute((*model)->reporter());
      absl::StatusOr<uint64_t> version = b.manager->Update(*model, update);
      if (!version.ok()) return version.status();
      updated.set_version(*version);
      // Versions grow by exactly 1 per update.
      recorder.audit()->old_version = *version - 1;
      recorder.audit()->new_version = *version;
      return absl::OkStatus();
    });
  }
  Reply(recorder, status, updated, response);
}

}  // namespace

void AddV1Routes(const HttpBackends& backends, httplib::Server* server) {
  const HttpBackends b = backends;
  server->Get("/v1/models", [b](const httplib::Request& request,
                                httplib::Response& response) {
    ListModels(b, request, &response);
  });
  server->Post("/v1/models", [b](const httplib::Request& request,
                                 httplib::Response& response) {
    CreateModel(b, request, &response);
  });
  server->Get(kModelPath, [b](const httplib::Request& request,
                              httplib::Response& response) {
    GetModel(b, request, &response);
  });
  server->Delete(kModelPath, [b](const httplib::Request& request,
                                 httplib::Response& response) {
    DeleteModel(b, request, &response);
  });
  const std::string parameters = absl::StrCat(kModelPath, "/parameters");
  server->Get(parameters, [b](const httplib::Request& request,
                              httplib::Response& response) {
    GetParameters(b, request, &response);
  });
  server->Post(parameters, [b](const httplib::Request& request,
                               httplib::Response& response) {
    UpdateParameters(b, request, &response);
  });
}

}  // namespace brainserve::server::http
