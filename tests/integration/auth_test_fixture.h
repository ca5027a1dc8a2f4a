// The fixture and helpers shared by the token tests (auth_test.cc: the
// RPC x credential table, reloads, bad files) and the audit tests
// (auth_audit_test.cc): three tokens with roles, a server started with a
// token file and an audit log, and the audit log parsed.
#ifndef BRAINSERVE_TESTS_INTEGRATION_AUTH_TEST_FIXTURE_H_
#define BRAINSERVE_TESTS_INTEGRATION_AUTH_TEST_FIXTURE_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/auth/sha256.h"
#include "tests/integration/test_server.h"
#include "tests/testing/test_pki.h"

namespace brainserve::testing {

inline constexpr char kReader[] = "reader-token-6b1f";
inline constexpr char kWriter[] = "writer-token-93ac";
inline constexpr char kAdmin[] = "admin-token-0d2e";

inline std::string TokenLine(const std::string& role, const std::string& token,
                             const std::string& id) {
  return absl::StrCat(role, " ", auth::Sha256Hex(token), " ", id, "\n");
}

inline std::string TokensFile() {
  return absl::StrCat("# test tokens\n", TokenLine("reader", kReader, "dash"),
                      TokenLine("writer", kWriter, "trainer-1"),
                      TokenLine("admin", kAdmin, "ops"));
}

inline std::string TempPath(const std::string& name) {
  return absl::StrCat(
      ::testing::TempDir(), "/auth-test-",
      ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
      name);
}

inline server::ServerOptions AuthOptions(const std::string& tokens_path) {
  server::ServerOptions options = TestServerOptions();
  options.auth_tokens_file = tokens_path;
  options.audit_log_file = TempPath("audit.log");
  std::remove(options.audit_log_file.c_str());
  return options;
}

inline std::string Spec(const std::string& name) {
  return absl::StrCat(R"({"name": ")", name, R"(", "seed": 1, "spec":
      {"input_shape": [2], "layers": [{"name": "fc", "linear": {"out_size": 2}}]}})");
}

class AuthTest : public ::testing::Test {
 protected:
  void StartServer(server::ServerOptions options) {
    server_ = TestServer::Start(options);
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(CreateModelAs(kAdmin, "m").ok());
  }

  grpc::Status CreateModelAs(const std::string& token,
                             const std::string& name) {
    v1::ModelInfo info;
    return server_->stub().CreateModel(
        TokenContext(token).get(), CreateRequestFromJson(Spec(name)), &info);
  }

  grpc::Status ListAs(const std::string& token) {
    v1::ListModelsResponse response;
    return server_->stub().ListModels(TokenContext(token).get(),
                                      v1::ListModelsRequest(), &response);
  }

  // The audit lines written so far, parsed.
  std::vector<google::protobuf::Struct> AuditLines() {
    std::vector<google::protobuf::Struct> lines;
    for (absl::string_view line : absl::StrSplit(
             ReadFileOrEmpty(server_->server().options().audit_log_file), '\n',
             absl::SkipEmpty())) {
      google::protobuf::Struct parsed;
      auto status = google::protobuf::util::JsonStringToMessage(
          std::string(line), &parsed);
      EXPECT_TRUE(status.ok()) << line;
      lines.push_back(parsed);
    }
    return lines;
  }

  std::unique_ptr<TestServer> server_;
};

inline std::string Field(const google::protobuf::Struct& line,
                         const std::string& key) {
  auto it = line.fields().find(key);
  if (it == line.fields().end()) return "<absent>";
  if (it->second.has_null_value()) return "null";
  if (it->second.has_number_value()) {
    return absl::StrCat(it->second.number_value());
  }
  return it->second.string_value();
}

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_INTEGRATION_AUTH_TEST_FIXTURE_H_
