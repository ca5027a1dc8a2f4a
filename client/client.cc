#include "client/client.h"

#include <chrono>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/health_call.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace brainserve::client {

namespace v1 = ::brainserve::v1;

const char* ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown:
      return "UNKNOWN";
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(
    const std::string& target, const ClientOptions& options) {
  if (target.empty()) {
    return absl::InvalidArgumentError("server address is empty");
  }
  if (options.timeout_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout_ms must be >= 0, got ", options.timeout_ms));
  }
  if (options.max_message_bytes <= 0 ||
      options.max_message_bytes > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_message_bytes must be in [1, 2^31), got ",
                     options.max_message_bytes));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateSecureChannel(target, options.security, args);
  if (!channel.ok()) return channel.status();
  return FromChannel(*std::move(channel), options);
}

std::unique_ptr<Client> Client::FromChannel(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<Client>(new Client(std::move(channel), options));
}

Client::Client(std::shared_ptr<grpc::Channel> channel,
               const ClientOptions& options)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::ModelService::NewStub(channel_)) {}

void Client::PrepareContext(grpc::ClientContext* context) const {
  if (options_.timeout_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(options_.timeout_ms));
  }
}

namespace {

template <typename Request, typename Response>
using StubMethod = grpc::Status (v1::ModelService::Stub::*)(
    grpc::ClientContext*, const Request&, Response*);

}  // namespace

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Call(StubMethod<Request, Response> method,
                                      const Request& request) const {
  grpc::ClientContext context;
  PrepareContext(&context);
  Response response;
  grpc::Status status = ((*stub_).*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ModelInfo> Client::CreateModel(
    const v1::CreateModelRequest& request) const {
  return Call(&v1::ModelService::Stub::CreateModel, request);
}

absl::StatusOr<v1::ModelInfo> Client::GetModel(const std::string& name) const {
  v1::GetModelRequest request;
  request.set_name(name);
  return Call(&v1::ModelService::Stub::GetModel, request);
}

absl::StatusOr<v1::ListModelsResponse> Client::ListModels() const {
  return Call(&v1::ModelService::Stub::ListModels, v1::ListModelsRequest());
}

absl::Status Client::DeleteModel(const std::string& name) const {
  v1::DeleteModelRequest request;
  request.set_name(name);
  return Call(&v1::ModelService::Stub::DeleteModel, request).status();
}

absl::StatusOr<v1::ForwardResponse> Client::Forward(
    const v1::ForwardRequest& request) const {
  return Call(&v1::ModelService::Stub::Forward, request);
}

absl::StatusOr<v1::UpdateParametersResponse> Client::UpdateParameters(
    const v1::UpdateParametersRequest& request) const {
  return Call(&v1::ModelService::Stub::UpdateParameters, request);
}

absl::StatusOr<v1::GetParametersResponse> Client::GetParameters(
    const v1::GetParametersRequest& request) const {
  return Call(&v1::ModelService::Stub::GetParameters, request);
}

absl::StatusOr<ServingStatus> Client::Health(const std::string& service) const {
  grpc::ClientContext context;
  PrepareContext(&context);
  absl::StatusOr<int> status = HealthCheck(*channel_, &context, service);
  if (!status.ok()) return status.status();
  if (*status < 0 || *status > 3) return ServingStatus::kUnknown;
  return static_cast<ServingStatus>(*status);
}

}  // namespace brainserve::client
