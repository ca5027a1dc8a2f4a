// brainserve-server, the binary, with the security flags: TLS + mutual TLS +
// tokens + audit file + health-only listener + metrics basic auth; SIGHUP
// re-reads the token file and the metrics credentials; the warning without
// --auth_tokens_file; exit 1 on a bad token file.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "server/auth/sha256.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_pki.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::string Basic(const std::string& user, const std::string& password) {
  return absl::StrCat("Authorization: Basic ",
                      absl::Base64Escape(user + ":" + password), "\r\n");
}

TEST(SecurityBinaryTest, AllSecurityFlagsAndSighupReload) {
  absl::StatusOr<TestPki> pki = TestPki::Create();
  ASSERT_TRUE(pki.ok()) << pki.status();
  const std::string tokens = pki->dir + "/tokens";
  const std::string metrics_users = pki->dir + "/metrics-users";
  const std::string audit = pki->dir + "/audit.log";
  ReplaceFile(tokens,
              absl::StrCat("admin ", auth::Sha256Hex("old-admin"), " ops\n"));
  ReplaceFile(metrics_users,
              absl::StrCat("prometheus ", auth::Sha256Hex("scrape-pw"), "\n"));
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY,
      {"--tls_cert_file=" + pki->server.cert_file,
       "--tls_key_file=" + pki->server.key_file,
       "--tls_client_ca_file=" + pki->ca.cert_file,
       "--auth_tokens_file=" + tokens, "--audit_log_file=" + audit,
       "--health_listen=127.0.0.1:0",
       "--metrics_basic_auth_file=" + metrics_users});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& process = **started;
  ASSERT_GT(process.health_port(), 0);
  EXPECT_THAT(process.log(),
              HasSubstr("client certificates required (mutual TLS"));
  EXPECT_THAT(process.log(), Not(HasSubstr("WARNING")));

  auto stub = FreshStub(
      absl::StrCat("localhost:", process.grpc_port()),
      TlsChannelCredentials(pki->ca.cert_pem(), pki->client.cert_pem(),
                            pki->client.key_pem()));
  auto create = [&](const std::string& token, const std::string& name) {
    v1::ModelInfo info;
    return stub->CreateModel(
        TokenContext(token).get(),
        CreateRequestFromJson(absl::StrCat(
            R"({"name": ")", name, R"(", "spec": {"input_shape": [2]}})")),
        &info);
  };
  ASSERT_TRUE(create("old-admin", "a").ok());

  // Probes: plaintext, health only.
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", process.health_port()),
                          grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("brainserve.v1.ModelService");
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(Context().get(), request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // /metrics wants basic auth.
  EXPECT_EQ(HttpRequest(process.metrics_port(), "/metrics").status, 401);
  EXPECT_EQ(HttpRequest(process.metrics_port(), "/metrics",
                        Basic("prometheus", "wrong"))
                .status,
            401);
  HttpResponse scraped = HttpRequest(process.metrics_port(), "/metrics",
                                     Basic("prometheus", "scrape-pw"));
  EXPECT_EQ(scraped.status, 200);
  EXPECT_THAT(scraped.body, HasSubstr("brainserve_auth_denied_total"));

  // Rotate the admin token and the scrape password; SIGHUP.
  ReplaceFile(tokens,
              absl::StrCat("admin ", auth::Sha256Hex("new-admin"), " ops-2\n"));
  ReplaceFile(metrics_users,
              absl::StrCat("prometheus ", auth::Sha256Hex("new-pw"), "\n"));
  process.Signal(SIGHUP);
  // Polled with a read, so that the audit log sees exactly one refused change.
  EXPECT_TRUE(WaitFor([&] {
    v1::ListModelsResponse listed;
    return stub->ListModels(TokenContext("old-admin").get(),
                            v1::ListModelsRequest(), &listed)
               .error_code() == grpc::StatusCode::UNAUTHENTICATED;
  }));
  EXPECT_EQ(create("old-admin", "b").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(create("new-admin", "c").ok());
  EXPECT_TRUE(WaitFor([&] {
    return HttpRequest(process.metrics_port(), "/metrics",
                       Basic("prometheus", "new-pw"))
               .status == 200;
  }));
  EXPECT_THAT(process.log(), HasSubstr("SIGHUP: re-reading credentials"));
  EXPECT_THAT(process.log(), HasSubstr("auth: reloaded"));

  EXPECT_EQ(process.Stop(), 0) << process.log();
  const std::string audit_text = ReadFileOrEmpty(audit);
  EXPECT_EQ(Count(audit_text, "\n"), 3) << audit_text;  // a, b (refused), c
  EXPECT_THAT(audit_text, HasSubstr("\"token_id\":\"ops-2\""));
  EXPECT_THAT(audit_text, HasSubstr("\"tls_subject\":\"CN=trainer"));
  EXPECT_THAT(audit_text, Not(HasSubstr("new-admin")));
}

TEST(SecurityBinaryTest, WarnsOnceWithoutTokensAndFailsOnABadTokenFile) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> open =
      ServerProcess::Start(BRAINSERVE_SERVER_BINARY, {"--metrics_listen="});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(Count((*open)->log(), "WARNING: no --auth_tokens_file"), 1);
  EXPECT_EQ((*open)->Stop(), 0);

  const std::string bad = ::testing::TempDir() + "/security-binary-tokens";
  ReplaceFile(bad, "writer 1234\n");
  absl::StatusOr<std::unique_ptr<ServerProcess>> refused =
      ServerProcess::Launch(BRAINSERVE_SERVER_BINARY,
                            {"--auth_tokens_file=" + bad});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)->Wait(), 1);
  EXPECT_THAT((*refused)->log(),
              HasSubstr("--auth_tokens_file '" + bad + "': line 1"));
}

}  // namespace
}  // namespace brainserve::testing
