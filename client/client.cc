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

void Client::Saw(const std::string& model, uint64_t version) const {
  if (!options_.read_your_writes) return;
  absl::MutexLock lock(&seen_mu_);
  uint64_t& seen = seen_[model];
  if (version > seen) seen = version;
}

uint64_t Client::last_seen_version(const std::string& model) const {
  absl::MutexLock lock(&seen_mu_);
  auto it = seen_.find(model);
  return it == seen_.end() ? 0 : it->second;
}

template <typename Request>
Request Client::WithMinVersion(const Request& request,
                               const std::string& model) const {
  Request copy = request;
  if (options_.read_your_writes && !copy.has_min_version()) {
    const uint64_t seen = last_seen_version(model);
    if (seen > 0) copy.set_min_version(seen);
  }
  return copy;
}

absl::StatusOr<v1::ModelInfo> Client::GetModel(
    const std::string& name, std::optional<uint64_t> min_version) const {
  v1::GetModelRequest request;
  request.set_name(name);
  if (min_version.has_value()) request.set_min_version(*min_version);
  absl::StatusOr<v1::ModelInfo> info = Call(
      &v1::ModelService::Stub::GetModel, WithMinVersion(request, name));
  if (info.ok()) Saw(name, info->version());
  return info;
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
  absl::StatusOr<v1::ForwardResponse> response =
      options_.read_your_writes
          ? Call(&v1::ModelService::Stub::Forward,
                 WithMinVersion(request, request.model()))
          : Call(&v1::ModelService::Stub::Forward, request);
  if (response.ok()) Saw(request.model(), response->version());
  return response;
}

absl::StatusOr<v1::UpdateParametersResponse> Client::UpdateParameters(
    const v1::UpdateParametersRequest& request) const {
  absl::StatusOr<v1::UpdateParametersResponse> response =
      Call(&v1::ModelService::Stub::UpdateParameters, request);
  if (response.ok()) Saw(request.model(), response->version());
  return response;
}

absl::StatusOr<v1::GetParametersResponse> Client::GetParameters(
    const v1::GetParametersRequest& request) const {
  absl::StatusOr<v1::GetParametersResponse> response = Call(
      &v1::ModelService::Stub::GetParameters,
      WithMinVersion(request, request.model()));
  if (response.ok()) Saw(request.model(), response->version());
  return response;
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
