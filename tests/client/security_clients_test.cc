// brainserve-cli and client/python/example.py against the real server with
// mutual TLS and tokens (certificates made by openssl at test time): the TLS
// and token flags, $BRAINSERVE_TOKEN, --token_file, and the refusals users
// see.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/auth/sha256.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_pki.h"

namespace brainserve::client {
namespace {

using ::brainserve::testing::ProcessResult;
using ::brainserve::testing::ReplaceFile;
using ::brainserve::testing::RunProcess;
using ::brainserve::testing::ServerProcess;
using ::brainserve::testing::TestPki;
using ::testing::HasSubstr;

constexpr char kReader[] = "cli-reader-token";
constexpr char kAdmin[] = "cli-admin-token";

class SecurityClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TestPki> pki = TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*std::move(pki));
    const std::string tokens = pki_->dir + "/tokens";
    ReplaceFile(tokens,
                absl::StrCat("reader ", auth::Sha256Hex(kReader), " r\n",
                             "admin ", auth::Sha256Hex(kAdmin), " a\n"));
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(
            BRAINSERVE_SERVER_PATH,
            {"--metrics_listen=", "--models_file=" BRAINSERVE_MODELS_FILE,
             "--tls_cert_file=" + pki_->server.cert_file,
             "--tls_key_file=" + pki_->server.key_file,
             "--tls_client_ca_file=" + pki_->ca.cert_file,
             "--auth_tokens_file=" + tokens, "--health_listen=127.0.0.1:0"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(), 0) << server_->log();
    }
    delete server_;
    delete pki_;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static std::string Address() {
    return absl::StrCat("localhost:", server_->grpc_port());
  }
  static std::vector<std::string> MutualTlsFlags() {
    return {"--tls_ca_file=" + pki_->ca.cert_file,
            "--tls_cert_file=" + pki_->client.cert_file,
            "--tls_key_file=" + pki_->client.key_file};
  }

  ProcessResult Cli(std::vector<std::string> args,
                    const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {BRAINSERVE_CLI_PATH, "--server=" + Address(),
                               "--timeout_ms=10000"});
    absl::StatusOr<ProcessResult> result = RunProcess(args, "", env);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ProcessResult{};
  }

  static TestPki* pki_;
  static ServerProcess* server_;
};
TestPki* SecurityClientsTest::pki_ = nullptr;
ServerProcess* SecurityClientsTest::server_ = nullptr;

TEST_F(SecurityClientsTest, CliWithMutualTlsAndToken) {
  std::vector<std::string> args = MutualTlsFlags();
  args.push_back("--token=" + std::string(kReader));
  args.push_back("list");
  ProcessResult listed = Cli(args, {"BRAINSERVE_TOKEN"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("identity"));

  // $BRAINSERVE_TOKEN and --token_file.
  args = MutualTlsFlags();
  args.push_back("list");
  EXPECT_EQ(Cli(args, {absl::StrCat("BRAINSERVE_TOKEN=", kReader)}).exit_code,
            0);
  const std::string token_file = pki_->dir + "/cli-token";
  ReplaceFile(token_file, std::string(kReader) + "\n");
  args = MutualTlsFlags();
  args.push_back("--token_file=" + token_file);
  args.push_back("list");
  EXPECT_EQ(Cli(args, {"BRAINSERVE_TOKEN"}).exit_code, 0);
}

TEST_F(SecurityClientsTest, CliReportsRefusals) {
  std::vector<std::string> args = MutualTlsFlags();
  args.push_back("list");
  ProcessResult no_token = Cli(args, {"BRAINSERVE_TOKEN"});
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_THAT(no_token.err, HasSubstr("error: UNAUTHENTICATED: ListModels: "
                                      "missing bearer token"));

  args = MutualTlsFlags();
  args.insert(args.end(), {"delete", "identity"});
  ProcessResult reader_delete =
      Cli(args, {absl::StrCat("BRAINSERVE_TOKEN=", kReader)});
  EXPECT_EQ(reader_delete.exit_code, 1);
  EXPECT_THAT(reader_delete.err,
              HasSubstr("error: PERMISSION_DENIED: DeleteModel: needs role "
                        "'admin'"));

  // Without a client certificate the handshake fails.
  ProcessResult no_cert =
      Cli({"--tls_ca_file=" + pki_->ca.cert_file, "--timeout_ms=3000", "list"},
          {absl::StrCat("BRAINSERVE_TOKEN=", kReader)});
  EXPECT_EQ(no_cert.exit_code, 1);
  EXPECT_THAT(no_cert.err, HasSubstr("UNAVAILABLE"));

  // Unreadable files are usage errors naming the flag.
  ProcessResult missing = Cli({"--tls_ca_file=/no/such/ca.pem", "list"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--tls_ca_file"));
}

TEST_F(SecurityClientsTest, CliHealthOnThePlaintextHealthPort) {
  absl::StatusOr<ProcessResult> result = RunProcess(
      {BRAINSERVE_CLI_PATH,
       absl::StrCat("--server=127.0.0.1:", server_->health_port()), "health"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_EQ(result->out, "SERVING\n");
}

TEST_F(SecurityClientsTest, PythonExampleWithMutualTlsAndToken) {
  absl::StatusOr<ProcessResult> result = RunProcess(
      {"/usr/bin/python3", BRAINSERVE_PYTHON_EXAMPLE, "--server", Address(),
       "--tls_ca_file", pki_->ca.cert_file, "--tls_cert_file",
       pki_->client.cert_file, "--tls_key_file", pki_->client.key_file},
      "",
      {"PYTHONDONTWRITEBYTECODE=1", absl::StrCat("BRAINSERVE_TOKEN=", kAdmin)});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
  EXPECT_THAT(result->out, HasSubstr("versions: 1 -> 2 -> 3; every output "
                                     "matched the NumPy reference\n"));

  // A reader may not create the model: the script fails with the code.
  absl::StatusOr<ProcessResult> refused =
      RunProcess({"/usr/bin/python3", BRAINSERVE_PYTHON_EXAMPLE, "--server",
                  Address(), "--tls-ca-file", pki_->ca.cert_file,
                  "--tls-cert-file", pki_->client.cert_file, "--tls-key-file",
                  pki_->client.key_file, "--token", kReader},
                 "", {"PYTHONDONTWRITEBYTECODE=1"});
  ASSERT_TRUE(refused.ok());
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_THAT(refused->err, HasSubstr("PERMISSION_DENIED"));
}

}  // namespace
}  // namespace brainserve::client
