// brainserve's own operations over HTTP, in the protobuf JSON mapping of the
// ModelService messages (field names as in the .proto, e.g. "input_shape";
// lowerCamelCase is accepted too; 64-bit integers such as "version" are
// strings):
//   GET    /v1/models                       ListModels
//   POST   /v1/models                       CreateModel (CreateModelRequest)
//   GET    /v1/models/{name}                GetModel
//   DELETE /v1/models/{name}                DeleteModel
//   GET    /v1/models/{name}/parameters     GetParameters (?layer=&name=)
//   POST   /v1/models/{name}/parameters     UpdateParameters
//                                           (UpdateParametersRequest)
// Each runs the code its gRPC handler runs (CreateModel and DeleteModel on
// the admin queue, UpdateParameters on the update queue) and is recorded
// under the same metrics method label.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "server/http/routes.h"
#include "server/parameter_ops.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server::http {
namespace {

using metrics::Method;

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

absl::StatusOr<std::shared_ptr<ServedModel>> Lookup(const HttpBackends& b,
                                                    const std::string& name,
                                                    RpcRecorder& recorder) {
  absl::Status status = ValidateModelName(name, "name");
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<ServedModel>> model = b.registry->Get(name);
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

void ListModels(const HttpBackends& b, httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kListModels);
  v1::ListModelsResponse list;
  for (const std::shared_ptr<ServedModel>& model : b.registry->List()) {
    model->FillInfo(list.add_models());
  }
  Reply(recorder, absl::OkStatus(), list, response);
}

void CreateModel(const HttpBackends& b, const httplib::Request& request,
                 httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kCreateModel);
  v1::CreateModelRequest create;
  v1::ModelInfo info;
  absl::Status status = FromJson(request.body, &create);
  if (status.ok()) {
    status = RunOnQueue(b.admin_queue, [&] {
      absl::StatusOr<std::shared_ptr<ServedModel>> model =
          b.manager->Create(create);
      if (!model.ok()) return model.status();
      recorder.Attribute((*model)->reporter());
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
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(b, request.matches[1], recorder);
  if (model.ok()) (*model)->FillInfo(&info);
  Reply(recorder, model.status(), info, response);
}

void DeleteModel(const HttpBackends& b, const httplib::Request& request,
                 httplib::Response* response) {
  RpcRecorder recorder(b.reporter, Method::kDeleteModel);
  const std::string name = request.matches[1];
  absl::Status status =
      RunOnQueue(b.admin_queue, [&] { return b.manager->Delete(name); });
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
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      Lookup(b, get.model(), recorder);
  absl::Status status = model.status();
  if (status.ok()) status = ReadModelParameters(**model, get, &parameters);
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
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      status.ok() ? Lookup(b, name, recorder)
                  : absl::StatusOr<std::shared_ptr<ServedModel>>(status);
  status = model.status();
  if (status.ok()) {
    update.set_model(name);
    status = RunOnQueue(b.update_queue, [&] {
      absl::StatusOr<uint64_t> version = b.manager->Update(*model, update);
      if (version.ok()) updated.set_version(*version);
      return version.status();
    });
  }
  Reply(recorder, status, updated, response);
}

}  // namespace

void AddV1Routes(const HttpBackends& backends, httplib::Server* server) {
  const HttpBackends b = backends;
  server->Get("/v1/models", [b](const httplib::Request&,
                                httplib::Response& response) {
    ListModels(b, &response);
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
