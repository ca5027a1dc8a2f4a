// Helpers for the integration tests: a real brainserve Server in-process on
// port 0 with a real gRPC channel, tensor builders, and a Prometheus text
// parser for metric assertions.
#ifndef BRAINSERVE_TESTS_INTEGRATION_TEST_SERVER_H_
#define BRAINSERVE_TESTS_INTEGRATION_TEST_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "server/server.h"
#include "server/server_options.h"

namespace brainserve::testing {

// Options for a hermetic test server: 127.0.0.1:0 for gRPC and metrics,
// 2 engine threads, no models file.
server::ServerOptions TestServerOptions();

class TestServer {
 public:
  // Creates and starts the server; on failure returns null and records a
  // gtest failure with the status.
  static std::unique_ptr<TestServer> Start(
      const server::ServerOptions& options = TestServerOptions());

  server::Server& server() { return *server_; }
  v1::ModelService::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() { return channel_; }
  std::string address() const;
  std::string Scrape() { return server_->ScrapeMetrics(); }

  // A new stub on a new channel (for concurrent clients).
  std::unique_ptr<v1::ModelService::Stub> NewStub() const;

 private:
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ModelService::Stub> stub_;
};

// A ClientContext with a deadline `timeout` from now (default 30 s, so a bug
// fails the test instead of hanging it).
std::unique_ptr<grpc::ClientContext> Context(
    absl::Duration timeout = absl::Seconds(30));

// Context() that also sends `authorization: Bearer <token>` (none if "").
std::unique_ptr<grpc::ClientContext> TokenContext(
    const std::string& token, absl::Duration timeout = absl::Seconds(30));

// TLS channel credentials trusting `ca_pem`, presenting the client
// certificate when `cert_pem` and `key_pem` are given.
std::shared_ptr<grpc::ChannelCredentials> TlsChannelCredentials(
    const std::string& ca_pem, const std::string& cert_pem = "",
    const std::string& key_pem = "");

// A stub on a fresh channel with its own connection (local subchannel pool),
// so that each one performs its own TLS handshake.
std::unique_ptr<v1::ModelService::Stub> FreshStub(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials);

v1::Tensor ValuesTensor(std::vector<int64_t> shape, std::vector<float> values);
v1::Tensor RawTensor(std::vector<int64_t> shape,
                     const std::vector<float>& values);
// The data of either encoding.
std::vector<float> TensorData(const v1::Tensor& tensor);
// Deterministic pseudo-random values in [-1, 1).
std::vector<float> RandomValues(int64_t count, uint32_t seed);

// Parses a CreateModelRequest from protobuf JSON (aborts the test on error).
v1::CreateModelRequest CreateRequestFromJson(const std::string& json);

// CreateModel with a 30 s deadline.
grpc::Status CreateModel(v1::ModelService::Stub& stub,
                         const v1::CreateModelRequest& request,
                         v1::ModelInfo* info = nullptr);
grpc::Status Forward(v1::ModelService::Stub& stub,
                     const v1::ForwardRequest& request,
                     v1::ForwardResponse* response);

// Sum of the samples of metric `name` whose labels include all of `labels`
// in the Prometheus text `scrape`; nullopt if no sample matches.
std::optional<double> MetricValue(
    const std::string& scrape, const std::string& name,
    const std::map<std::string, std::string>& labels = {});

// Polls `condition` every 5 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition,
             absl::Duration timeout = absl::Seconds(10));

// GET http://127.0.0.1:<port><path>: the response body, or "" on error.
std::string HttpGet(int port, const std::string& path);

struct HttpResponse {
  int status = 0;  // 0 on a connection error
  std::string body;
};
// GET with extra request header lines (each ending in "\r\n").
HttpResponse HttpRequest(int port, const std::string& path,
                         const std::string& extra_headers = "");

// Sends `request` (raw HTTP/1.x, head and any body) and reads the response
// until the server closes the connection.
HttpResponse HttpSend(int port, const std::string& request);

// The repository's root (for examples/ and tests/data/).
std::string SourcePath(const std::string& relative);

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_INTEGRATION_TEST_SERVER_H_
