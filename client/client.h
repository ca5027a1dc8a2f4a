// brainserve::client::Client: a small synchronous client for
// brainserve.v1.ModelService and grpc.health.v1.Health.
//
// Each method performs one blocking unary RPC with the configured deadline and
// returns the response, or the gRPC status converted to absl::Status with its
// code and message preserved (the numeric codes of gRPC and Abseil agree).
// A Client owns its channel; it is thread-safe and may be shared by threads.
// The channel is plaintext unless ClientOptions::security asks for TLS,
// mutual TLS or a bearer token (channel_security.h).
#ifndef BRAINSERVE_CLIENT_CLIENT_H_
#define BRAINSERVE_CLIENT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "client/channel_security.h"
#include "client/grpc_status.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace brainserve::client {

struct ClientOptions {
  // Deadline of every call, in milliseconds from its start; 0 = no deadline.
  int64_t timeout_ms = 30000;
  // Largest message the client sends or accepts, in bytes (gRPC's own
  // default for received messages is only 4 MiB).
  int64_t max_message_bytes = 64 << 20;
  // Read-your-writes across replicas: remember the highest version seen per
  // model (from Forward, UpdateParameters, GetModel, GetParameters) and send
  // it as min_version on later Forward, GetModel and GetParameters calls
  // that do not set one, so no answer comes from an older version, whichever
  // replica serves it.
  bool read_your_writes = false;
  // TLS, mutual TLS and the bearer token.
  ChannelSecurity security;
};

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};

// "SERVING", "NOT_SERVING", ... as in the health proto.
const char* ServingStatusName(ServingStatus status);

class Client {
 public:
  // Connects lazily to `target` (e.g. "localhost:50051"; any gRPC target
  // URI). InvalidArgument for an empty target, negative options or
  // unreadable TLS files (naming the flag).
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      const std::string& target, const ClientOptions& options = {});

  // Uses an existing channel (e.g. an in-process one in tests).
  static std::unique_ptr<Client> FromChannel(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  absl::StatusOr<brainserve::v1::ModelInfo> CreateModel(
      const brainserve::v1::CreateModelRequest& request) const;
  absl::StatusOr<brainserve::v1::ModelInfo> GetModel(
      const std::string& name,
      std::optional<uint64_t> min_version = std::nullopt) const;
  absl::StatusOr<brainserve::v1::ListModelsResponse> ListModels() const;
  absl::Status DeleteModel(const std::string& name) const;
  absl::StatusOr<brainserve::v1::ForwardResponse> Forward(
      const brainserve::v1::ForwardRequest& request) const;
  absl::StatusOr<brainserve::v1::UpdateParametersResponse> UpdateParameters(
      const brainserve::v1::UpdateParametersRequest& request) const;
  absl::StatusOr<brainserve::v1::GetParametersResponse> GetParameters(
      const brainserve::v1::GetParametersRequest& request) const;

  // grpc.health.v1.Health/Check for `service` ("" = the server as a whole).
  // A server that does not know `service` answers NOT_FOUND, returned as is.
  absl::StatusOr<ServingStatus> Health(const std::string& service) const;

  const ClientOptions& options() const { return options_; }

  // The highest version of `model` this client has seen (0 if none).
  uint64_t last_seen_version(const std::string& model) const;

 private:
  Client(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options);

  // One blocking call of a ModelService::Stub method.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(
      grpc::Status (brainserve::v1::ModelService::Stub::*method)(
          grpc::ClientContext*, const Request&, Response*),
      const Request& request) const;

  // Applies the deadline to a fresh context.
  void PrepareContext(grpc::ClientContext* context) const;

  // Read-your-writes bookkeeping.
  void Saw(const std::string& model, uint64_t version) const;
  template <typename Request>
  Request WithMinVersion(const Request& request, const std::string& model) const;

  const ClientOptions options_;
  mutable absl::Mutex seen_mu_;
  mutable absl::flat_hash_map<std::string, uint64_t> seen_
      ABSL_GUARDED_BY(seen_mu_);
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<brainserve::v1::ModelService::Stub> stub_;
};

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_CLIENT_H_
