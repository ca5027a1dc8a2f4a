#include "tests/integration/test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace brainserve::testing {

server::ServerOptions TestServerOptions() {
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.metrics_listen_address = "127.0.0.1:0";
  options.http.listen_address = "127.0.0.1:0";
  options.engine_threads = 2;
  options.shutdown_grace_seconds = 10;
  // In-process servers keep nothing; the store tests choose their own.
  options.store = "memory:";
  return options;
}

std::unique_ptr<TestServer> TestServer::Start(
    const server::ServerOptions& options) {
  auto server = server::Server::Create(options);
  if (!server.ok()) {
    ADD_FAILURE() << "Server::Create: " << server.status();
    return nullptr;
  }
  absl::Status status = (*server)->Start();
  if (!status.ok()) {
    ADD_FAILURE() << "Server::Start: " << status;
    return nullptr;
  }
  auto test_server = std::unique_ptr<TestServer>(new TestServer());
  test_server->server_ = *std::move(server);
  test_server->channel_ = grpc::CreateChannel(
      test_server->address(), grpc::InsecureChannelCredentials());
  test_server->stub_ = v1::ModelService::NewStub(test_server->channel_);
  return test_server;
}

std::string TestServer::address() const {
  return absl::StrCat("127.0.0.1:", server_->grpc_port());
}

std::unique_ptr<v1::ModelService::Stub> TestServer::NewStub() const {
  grpc::ChannelArguments args;
  // Distinct channels really use distinct connections.
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return v1::ModelService::NewStub(grpc::CreateCustomChannel(
      address(), grpc::InsecureChannelCredentials(), args));
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

std::unique_ptr<grpc::ClientContext> TokenContext(const std::string& token,
                                                  absl::Duration timeout) {
  std::unique_ptr<grpc::ClientContext> context = Context(timeout);
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

std::shared_ptr<grpc::ChannelCredentials> TlsChannelCredentials(
    const std::string& ca_pem, const std::string& cert_pem,
    const std::string& key_pem) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem;
  options.pem_cert_chain = cert_pem;
  options.pem_private_key = key_pem;
  return grpc::SslCredentials(options);
}

std::unique_ptr<v1::ModelService::Stub> FreshStub(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return v1::ModelService::NewStub(
      grpc::CreateCustomChannel(address, credentials, args));
}

v1::Tensor ValuesTensor(std::vector<int64_t> shape, std::vector<float> values) {
  v1::Tensor tensor;
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
  tensor.mutable_values()->Add(values.begin(), values.end());
  return tensor;
}

v1::Tensor RawTensor(std::vector<int64_t> shape,
                     const std::vector<float>& values) {
  v1::Tensor tensor;
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
  tensor.set_raw(reinterpret_cast<const char*>(values.data()),
                 values.size() * sizeof(float));
  return tensor;
}

std::vector<float> TensorData(const v1::Tensor& tensor) {
  if (!tensor.raw().empty()) {
    std::vector<float> data(tensor.raw().size() / sizeof(float));
    std::memcpy(data.data(), tensor.raw().data(), tensor.raw().size());
    return data;
  }
  return std::vector<float>(tensor.values().begin(), tensor.values().end());
}

std::vector<float> RandomValues(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(count));
  for (float& v : values) v = dist(rng);
  return values;
}

v1::CreateModelRequest CreateRequestFromJson(const std::string& json) {
  v1::CreateModelRequest request;
  auto status = google::protobuf::util::JsonStringToMessage(json, &request);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return request;
}

grpc::Status CreateModel(v1::ModelService::Stub& stub,
                         const v1::CreateModelRequest& request,
                         v1::ModelInfo* info) {
  v1::ModelInfo local;
  return stub.CreateModel(Context().get(), request,
                          info != nullptr ? info : &local);
}

grpc::Status Forward(v1::ModelService::Stub& stub,
                     const v1::ForwardRequest& request,
                     v1::ForwardResponse* response) {
  return stub.Forward(Context().get(), request, response);
}

namespace {

// Parses `{a="x",b="y"}` (values without escaped quotes suffice here).
std::map<std::string, std::string> ParseLabels(absl::string_view text) {
  std::map<std::string, std::string> labels;
  while (!text.empty()) {
    const size_t eq = text.find("=\"");
    if (eq == absl::string_view::npos) break;
    const size_t end = text.find('"', eq + 2);
    if (end == absl::string_view::npos) break;
    std::string key(absl::StripAsciiWhitespace(text.substr(0, eq)));
    if (!key.empty() && key[0] == ',') key.erase(0, 1);
    labels[key] = std::string(text.substr(eq + 2, end - eq - 2));
    text.remove_prefix(end + 1);
  }
  return labels;
}

}  // namespace

std::optional<double> MetricValue(
    const std::string& scrape, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  std::optional<double> sum;
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos ||
        line.substr(0, name_end) != name) {
      continue;
    }
    std::map<std::string, std::string> sample_labels;
    absl::string_view rest = line.substr(name_end);
    if (rest[0] == '{') {
      const size_t close = rest.rfind('}');
      sample_labels = ParseLabels(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
    }
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = sample_labels.find(key);
      if (it == sample_labels.end() || it->second != value) match = false;
    }
    if (!match) continue;
    rest = absl::StripAsciiWhitespace(rest);
    const size_t space = rest.find(' ');  // optional timestamp
    double value = 0;
    if (!absl::SimpleAtod(rest.substr(0, space), &value)) continue;
    sum = sum.value_or(0) + value;
  }
  return sum;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::string HttpGet(int port, const std::string& path) {
  return HttpRequest(port, path).body;
}

HttpResponse HttpRequest(int port, const std::string& path,
                         const std::string& extra_headers) {
  return HttpSend(port, absl::StrCat("GET ", path,
                                     " HTTP/1.0\r\nHost: 127.0.0.1\r\n",
                                     extra_headers, "\r\n"));
}

HttpResponse HttpSend(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    if (send(fd, request.data(), request.size(), 0) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      ssize_t n;
      while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  HttpResponse result;
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return result;
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> status_line = absl::StrSplit(
      absl::string_view(response).substr(0, response.find("\r\n")), ' ');
  if (status_line.size() < 2 ||
      !absl::SimpleAtoi(status_line[1], &result.status)) {
    return result;
  }
  result.body = response.substr(body + 4);
  return result;
}

std::string SourcePath(const std::string& relative) {
  return absl::StrCat(BRAINSERVE_SOURCE_DIR, "/", relative);
}

}  // namespace brainserve::testing
