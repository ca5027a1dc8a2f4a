// brainserve-loadgen's runner against a server with TLS, tokens and basic
// auth on /metrics: the load runs with the TLS and token flags, the server
// split is scraped through user:password@ in --metrics-url, the HTTP
// protocol runs over HTTPS with the token, and a missing token fails the run
// with UNAUTHENTICATED.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/loadgen/runner.h"
#include "gtest/gtest.h"
#include "server/auth/sha256.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_pki.h"

namespace brainserve::loadgen {
namespace {

using ::brainserve::testing::ReplaceFile;
using ::brainserve::testing::ServerProcess;
using ::brainserve::testing::TestPki;

TEST(LoadgenSecurityTest, RunsOverTlsWithATokenAndScrapesWithBasicAuth) {
  absl::StatusOr<TestPki> pki = TestPki::Create();
  ASSERT_TRUE(pki.ok()) << pki.status();
  const std::string tokens = pki->dir + "/tokens";
  ReplaceFile(tokens, absl::StrCat("reader ", auth::Sha256Hex("lg-token"),
                                   " loadgen\n"));
  const std::string users = pki->dir + "/metrics-users";
  ReplaceFile(users, absl::StrCat("prom ", auth::Sha256Hex("pw"), "\n"));
  auto server = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY,
      {"--models_file=" BRAINSERVE_MODELS_FILE,
       "--tls_cert_file=" + pki->server.cert_file,
       "--tls_key_file=" + pki->server.key_file, "--auth_tokens_file=" + tokens,
       "--metrics_basic_auth_file=" + users});
  ASSERT_TRUE(server.ok()) << server.status();

  LoadgenConfig config;
  config.server = absl::StrCat("localhost:", (*server)->grpc_port());
  config.security.tls_ca_file = pki->ca.cert_file;
  config.security.token = "lg-token";
  config.metrics_url = absl::StrCat(
      "http://prom:pw@127.0.0.1:", (*server)->metrics_port(), "/metrics");
  config.model = "identity";
  config.concurrency = {4};
  config.warmup_ms = 200;
  config.window_ms = 250;
  config.max_duration_s = 3;
  auto runner = Runner::Create(config);
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto reports = (*runner)->Run();
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 1u);
  const LevelReport& report = reports->front();
  EXPECT_GT(report.sent, 0);
  EXPECT_EQ(report.Failed(), 0);
  ASSERT_TRUE(report.server.available) << "the basic-auth scrape failed";
  EXPECT_EQ(report.server.forward_total, static_cast<double>(report.sent));

  // The same load over HTTPS (REST infer) with the token in the
  // Authorization header.
  LoadgenConfig http = config;
  http.protocol = Protocol::kHttp;
  http.http_server = absl::StrCat("localhost:", (*server)->http_port());
  auto http_runner = Runner::Create(http);
  ASSERT_TRUE(http_runner.ok()) << http_runner.status();
  auto http_reports = (*http_runner)->Run();
  ASSERT_TRUE(http_reports.ok()) << http_reports.status();
  EXPECT_GT(http_reports->front().sent, 0);
  EXPECT_EQ(http_reports->front().Failed(), 0);

  config.security.token = "";
  auto refused = Runner::Create(config);
  absl::Status status =
      refused.ok() ? (*refused)->Run().status() : refused.status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_EQ((*server)->Stop(), 0);
}

}  // namespace
}  // namespace brainserve::loadgen
