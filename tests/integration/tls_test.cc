// TLS and mutual TLS on a real in-process server, with certificates made by
// `openssl` at test time: plaintext and wrong-CA clients are refused, the
// right CA is accepted; with a client CA, clients without a certificate or
// with one from another CA are refused; a rotated certificate is served to
// new connections without a restart while open connections and in-flight
// calls carry on; the plaintext health-only listener; start-up errors.
#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "server/auth/sha256.h"
#include "tests/integration/test_server.h"
#include "tests/testing/test_pki.h"

namespace brainserve::testing {
namespace {

using grpc::StatusCode;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TestPki> pki = TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*std::move(pki));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(pki_, nullptr); }

  static server::ServerOptions TlsOptions(bool mutual) {
    server::ServerOptions options = TestServerOptions();
    options.tls_cert_file = pki_->server.cert_file;
    options.tls_key_file = pki_->server.key_file;
    if (mutual) options.tls_client_ca_file = pki_->ca.cert_file;
    return options;
  }

  static grpc::Status List(v1::ModelService::Stub& stub,
                           absl::Duration timeout = absl::Seconds(10)) {
    v1::ListModelsResponse response;
    return stub.ListModels(Context(timeout).get(), v1::ListModelsRequest(),
                           &response);
  }

  static TestPki* pki_;
};
TestPki* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, PlaintextAndWrongCaAreRefusedRightCaSucceeds) {
  auto server = TestServer::Start(TlsOptions(/*mutual=*/false));
  ASSERT_NE(server, nullptr);
  const std::string address =
      absl::StrCat("localhost:", server->server().grpc_port());

  auto plaintext = FreshStub(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(List(*plaintext, absl::Seconds(3)).error_code(),
            StatusCode::UNAVAILABLE);
  auto wrong_ca =
      FreshStub(address, TlsChannelCredentials(pki_->other_ca.cert_pem()));
  EXPECT_EQ(List(*wrong_ca, absl::Seconds(3)).error_code(),
            StatusCode::UNAVAILABLE);
  auto right_ca =
      FreshStub(address, TlsChannelCredentials(pki_->ca.cert_pem()));
  grpc::Status ok = List(*right_ca);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutOrWithForeignCertificates) {
  server::ServerOptions options = TlsOptions(/*mutual=*/true);
  options.audit_log_file = ::testing::TempDir() + "/tls-test-audit.log";
  std::remove(options.audit_log_file.c_str());
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  const std::string address =
      absl::StrCat("localhost:", server->server().grpc_port());
  const std::string ca = pki_->ca.cert_pem();

  auto no_cert = FreshStub(address, TlsChannelCredentials(ca));
  EXPECT_EQ(List(*no_cert, absl::Seconds(3)).error_code(),
            StatusCode::UNAVAILABLE);
  auto foreign = FreshStub(
      address, TlsChannelCredentials(ca, pki_->other_client.cert_pem(),
                                     pki_->other_client.key_pem()));
  EXPECT_EQ(List(*foreign, absl::Seconds(3)).error_code(),
            StatusCode::UNAVAILABLE);
  auto client =
      FreshStub(address, TlsChannelCredentials(ca, pki_->client.cert_pem(),
                                               pki_->client.key_pem()));
  grpc::Status ok = List(*client);
  ASSERT_TRUE(ok.ok()) << ok.error_message();

  // The audit line names the verified client certificate.
  v1::ModelInfo info;
  ASSERT_TRUE(
      client
          ->CreateModel(Context().get(),
                        CreateRequestFromJson(
                            R"({"name": "m", "spec": {"input_shape": [2]}})"),
                        &info)
          .ok());
  EXPECT_THAT(ReadFileOrEmpty(options.audit_log_file),
              HasSubstr("\"tls_subject\":\"CN=trainer,O=brainserve test\""));
}

TEST_F(TlsTest, RotatedCertificateIsServedToNewConnectionsWithoutRestart) {
  // The server reads copies, which the test replaces like a Secret update.
  const std::string dir = pki_->dir;
  const std::string cert = dir + "/live-server.pem";
  const std::string key = dir + "/live-server.key";
  ReplaceFile(cert, pki_->server.cert_pem());
  ReplaceFile(key, pki_->server.key_pem());
  server::ServerOptions options = TestServerOptions();
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(
      CreateModel(
          *FreshStub(absl::StrCat("localhost:", server->server().grpc_port()),
                     TlsChannelCredentials(pki_->ca.cert_pem())),
          CreateRequestFromJson(R"({"name": "held",
                              "spec": {"input_shape": [2]},
                              "batching": {"max_batch_size": 8,
                                           "max_queue_delay_us": 1500000}})"))
          .ok());
  const std::string address =
      absl::StrCat("localhost:", server->server().grpc_port());

  // A connection made before the rotation, with a call in flight across it
  // (the batch waits 1.5 s for company).
  auto old_stub =
      FreshStub(address, TlsChannelCredentials(pki_->ca.cert_pem()));
  ASSERT_TRUE(List(*old_stub).ok());
  std::future<grpc::Status> in_flight = std::async(std::launch::async, [&] {
    v1::ForwardRequest request;
    request.set_model("held");
    *request.mutable_input() = ValuesTensor({1, 2}, {3, 4});
    v1::ForwardResponse response;
    return old_stub->Forward(Context().get(), request, &response);
  });
  auto new_ca_only = [&] {
    return FreshStub(address, TlsChannelCredentials(pki_->other_ca.cert_pem()));
  };
  EXPECT_EQ(List(*new_ca_only(), absl::Seconds(3)).error_code(),
            StatusCode::UNAVAILABLE);

  ReplaceFile(key, pki_->rotated_server.key_pem());
  ReplaceFile(cert, pki_->rotated_server.cert_pem());
  EXPECT_TRUE(
      WaitFor([&] { return List(*new_ca_only(), absl::Seconds(2)).ok(); },
              absl::Seconds(20)))
      << "the rotated certificate was never served";
  // New connections trusting only the old CA are now refused...
  EXPECT_EQ(
      List(*FreshStub(address, TlsChannelCredentials(pki_->ca.cert_pem())),
           absl::Seconds(3))
          .error_code(),
      StatusCode::UNAVAILABLE);
  // ...while the old connection and its in-flight call carry on.
  grpc::Status forwarded = in_flight.get();
  EXPECT_TRUE(forwarded.ok()) << forwarded.error_message();
  EXPECT_TRUE(List(*old_stub).ok());
}

TEST_F(TlsTest, HealthOnlyListenerServesPlaintextProbesInStep) {
  server::ServerOptions options = TlsOptions(/*mutual=*/true);
  options.health_listen_address = "127.0.0.1:0";
  const std::string tokens = ::testing::TempDir() + "/tls-test-tokens";
  ReplaceFile(tokens, absl::StrCat("admin ", auth::Sha256Hex("t"), "\n"));
  options.auth_tokens_file = tokens;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->server().health_port(), 0);
  auto channel = grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server->server().health_port()),
      grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto check = [&](const std::string& service) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = health->Check(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  };
  EXPECT_EQ(check(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(check("brainserve.v1.ModelService"), HealthCheckResponse::SERVING);
  // Only health: the model API is not served there.
  auto models = v1::ModelService::NewStub(channel);
  EXPECT_EQ(List(*models).error_code(), StatusCode::UNIMPLEMENTED);
  server->server().EnterDraining();
  EXPECT_EQ(check(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(check("brainserve.v1.ModelService"),
            HealthCheckResponse::NOT_SERVING);
}

TEST_F(TlsTest, BadFilesFailStartNamingTheFlag) {
  struct Case {
    std::string cert, key, client_ca, expected;
  };
  const Case cases[] = {
      {pki_->server.cert_file, pki_->client.key_file, "",
       "--tls_key_file: the key in"},
      {"/no/such/cert.pem", pki_->server.key_file, "", "--tls_cert_file"},
      {pki_->server.key_file, pki_->server.key_file, "",
       "holds no PEM certificate"},
      {pki_->server.cert_file, pki_->server.cert_file, "", "--tls_key_file"},
      {pki_->server.cert_file, pki_->server.key_file, "/no/such/ca.pem",
       "--tls_client_ca_file"},
  };
  for (const Case& c : cases) {
    server::ServerOptions options = TestServerOptions();
    options.tls_cert_file = c.cert;
    options.tls_key_file = c.key;
    options.tls_client_ca_file = c.client_ca;
    absl::StatusOr<std::unique_ptr<server::Server>> server =
        server::Server::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    absl::Status status = (*server)->Start();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected));
  }
  server::ServerOptions half = TestServerOptions();
  half.tls_cert_file = pki_->server.cert_file;
  EXPECT_EQ(server::Server::Create(half).status().code(),
            absl::StatusCode::kInvalidArgument);
  server::ServerOptions ca_only = TestServerOptions();
  ca_only.tls_client_ca_file = pki_->ca.cert_file;
  EXPECT_THAT(std::string(server::Server::Create(ca_only).status().message()),
              HasSubstr("--tls_client_ca_file (mutual TLS) needs"));
}

TEST_F(TlsTest, SecurityOptionErrorsNameTheirFlags) {
  // The health-only port is taken (no SO_REUSEPORT sharing): UNAVAILABLE,
  // and nothing keeps running.
  server::ServerOptions first = TestServerOptions();
  first.health_listen_address = "127.0.0.1:0";
  auto running = TestServer::Start(first);
  ASSERT_NE(running, nullptr);
  server::ServerOptions clash = TestServerOptions();
  clash.health_listen_address =
      absl::StrCat("127.0.0.1:", running->server().health_port());
  absl::StatusOr<std::unique_ptr<server::Server>> second =
      server::Server::Create(clash);
  ASSERT_TRUE(second.ok());
  absl::Status status = (*second)->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--health_listen"));
  EXPECT_EQ(List(*FreshStub(absl::StrCat("127.0.0.1:", (*second)->grpc_port()),
                            grpc::InsecureChannelCredentials()),
                 absl::Seconds(2))
                .error_code(),
            StatusCode::UNAVAILABLE);  // the main listener was stopped too

  server::ServerOptions no_metrics = TestServerOptions();
  no_metrics.metrics_listen_address = "";
  no_metrics.metrics_basic_auth_file = pki_->dir + "/users";
  EXPECT_THAT(
      std::string(server::Server::Create(no_metrics).status().message()),
      HasSubstr("--metrics_basic_auth_file needs --metrics_listen"));
  server::ServerOptions zero = TestServerOptions();
  zero.tls_reload_interval_seconds = 0;
  EXPECT_THAT(std::string(server::Server::Create(zero).status().message()),
              HasSubstr("--tls_reload_interval_seconds"));
  server::ServerOptions audit = TestServerOptions();
  audit.audit_log_file = "/no/such/dir/audit.log";
  second = server::Server::Create(audit);
  ASSERT_TRUE(second.ok());
  status = (*second)->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--audit_log_file"));
}

}  // namespace
}  // namespace brainserve::testing
