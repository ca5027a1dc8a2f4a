// The Open Inference Protocol's REST routes. Readiness routes answer 200
// when ready and 400 otherwise (as Triton does); everything else answers
// errors with ToHttpStatus() of the same status gRPC would give.
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/auth/method_roles.h"
#include "server/http/routes.h"
#include "server/http/v2_json.h"

namespace brainserve::server::http {
namespace {

namespace methods = auth::methods;

// Model routes, with an optional /versions/{version} segment: matches[1] is
// the model, matches[2] the version ("" when absent).
constexpr char kModelPattern[] = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";

std::string Version(const httplib::Request& request) {
  return request.matches.size() > 2 ? std::string(request.matches[2]) : "";
}

absl::StatusOr<std::optional<size_t>> JsonLength(
    const httplib::Request& request) {
  if (!request.has_header(kInferenceHeaderContentLength)) {
    return std::optional<size_t>();
  }
  size_t length = 0;
  const std::string value =
      request.get_header_value(kInferenceHeaderContentLength);
  if (!absl::SimpleAtoi(value, &length)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kInferenceHeaderContentLength, ": '", value,
                     "' is not a byte count"));
  }
  return std::optional<size_t>(length);
}

void Infer(const HttpBackends& backends, const httplib::Request& request,
           httplib::Response* response) {
  const absl::Time start = absl::Now();
  const std::string model = request.matches[1];
  // A refused caller learns nothing of the model; an unknown model is 404
  // whatever the body holds.
  absl::Status known = Admit(backends, request, methods::kModelInfer);
  if (known.ok()) known = backends.protocol->CheckModel(model, "model_name");
  absl::StatusOr<std::optional<size_t>> json_length =
      known.ok() ? JsonLength(request)
                 : absl::StatusOr<std::optional<size_t>>(known);
  absl::StatusOr<HttpInferRequest> parsed =
      json_length.ok()
          ? ParseInferRequest(model, request.body, *json_length)
          : absl::StatusOr<HttpInferRequest>(json_length.status());
  if (!parsed.ok()) {
    // Refused before InferenceProtocol saw it: record it as it would have.
    backends.reporter->RecordRequest(
        metrics::Method::kModelInfer, parsed.status().code(),
        absl::ToDoubleSeconds(absl::Now() - start));
    return ReplyError(parsed.status(), response);
  }
  parsed->request.set_model_version(Version(request));
  inference::ModelInferResponse infer_response;
  absl::Notification done;
  absl::Status result;
  backends.protocol->Infer(absl::OkStatus(), &parsed->request,
                           &infer_response, nullptr,
                           absl::InfiniteFuture(),
                           [&](const absl::Status& status, const grpc::Status&) {
                             result = status;
                             done.Notify();
                           });
  done.WaitForNotification();
  if (!result.ok()) return ReplyError(result, response);
  HttpBody body = RenderInferResponse(infer_response, parsed->binary_output);
  if (!body.json_length.has_value()) {
    return ReplyJson(std::move(body.body), response);
  }
  response->set_header(kInferenceHeaderContentLength,
                       absl::StrCat(*body.json_length));
  response->set_content(std::move(body.body), "application/octet-stream");
}

}  // namespace

void AddV2Routes(const HttpBackends& backends, httplib::Server* server) {
  const inference_protocol::InferenceProtocol* protocol = backends.protocol;
  const HttpBackends b = backends;
  server->Get("/v2/health/live",
              [](const httplib::Request&, httplib::Response& response) {
                ReplyJson(R"({"live":true})", &response);
              });
  server->Get("/v2/health/ready",
              [protocol](const httplib::Request&, httplib::Response& response) {
                if (protocol->ready()) return ReplyJson(R"({"ready":true})", &response);
                response.status = 400;
                response.set_content(
                    ErrorJson("server is not ready (starting or draining)"),
                    "application/json");
              });
  // Liveness and readiness are open (method_roles.h), like grpc.health.v1.
  server->Get("/v2", [protocol, b](const httplib::Request& request,
                                   httplib::Response& response) {
    absl::Status admitted = Admit(b, request, methods::kServerMetadata);
    if (!admitted.ok()) return ReplyError(admitted, &response);
    inference::ServerMetadataResponse metadata;
    protocol->FillServerMetadata(&metadata);
    ReplyJson(RenderServerMetadata(metadata), &response);
  });
  server->Get(kModelPattern, [protocol, b](const httplib::Request& request,
                                           httplib::Response& response) {
    absl::Status admitted = Admit(b, request, methods::kModelMetadata);
    if (!admitted.ok()) return ReplyError(admitted, &response);
    inference::ModelMetadataRequest metadata_request;
    metadata_request.set_name(request.matches[1]);
    metadata_request.set_version(Version(request));
    inference::ModelMetadataResponse metadata;
    absl::Status status = protocol->ModelMetadata(metadata_request, &metadata);
    if (!status.ok()) return ReplyError(status, &response);
    ReplyJson(RenderModelMetadata(metadata), &response);
  });
  server->Get(absl::StrCat(kModelPattern, "/ready"),
              [protocol, b](const httplib::Request& request,
                            httplib::Response& response) {
                absl::Status admitted = Admit(b, request, methods::kModelReady);
                if (!admitted.ok()) return ReplyError(admitted, &response);
                const std::string name = request.matches[1];
                absl::StatusOr<bool> ready =
                    protocol->ModelReady(name, Version(request));
                if (!ready.ok()) return ReplyError(ready.status(), &response);
                if (*ready) {
                  // `name` passed ValidateModelName: no JSON escaping needed.
                  return ReplyJson(absl::StrCat(R"({"name":")", name,
                                                R"(","ready":true})"),
                                   &response);
                }
                response.status = 400;
                response.set_content(
                    ErrorJson(absl::StrCat("model '", name,
                                           "' is not ready (not served, or "
                                           "not at the requested version)")),
                    "application/json");
              });
  server->Post(absl::StrCat(kModelPattern, "/infer"),
               [backends](const httplib::Request& request,
                          httplib::Response& response) {
                 Infer(backends, request, &response);
               });
}

}  // namespace brainserve::server::http
