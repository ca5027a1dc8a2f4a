// The audit trail of changes on a real in-process server: one JSON line per
// change or refused change, with the token's id, role, versions and
// parameter names, never a token, its hash or a value; without a token file
// changes are still audited.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/auth_test_fixture.h"
#include "tests/integration/test_server.h"
#include "tests/testing/test_pki.h"

namespace brainserve::testing {
namespace {

using grpc::StatusCode;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(AuthTest, AuditLineForAnUpdateCarriesTokenIdAndVersionsNeverTheToken) {
  const std::string tokens = TempPath("tokens");
  std::ofstream(tokens) << TokensFile();
  StartServer(AuthOptions(tokens));

  v1::UpdateParametersRequest request;
  request.set_model("m");
  request.set_expected_version(1);
  v1::ParameterUpdate* update = request.add_updates();
  update->set_layer("fc");
  update->set_name("bias");
  update->set_mode(v1::ParameterUpdate::ADD);
  *update->mutable_value() = ValuesTensor({2}, {0.5, 0.5});
  v1::UpdateParametersResponse response;
  ASSERT_TRUE(
      server_->stub()
          .UpdateParameters(TokenContext(kWriter).get(), request, &response)
          .ok());
  ASSERT_EQ(response.version(), 2u);
  // The same request again: stale expected_version.
  EXPECT_EQ(
      server_->stub()
          .UpdateParameters(TokenContext(kWriter).get(), request, &response)
          .error_code(),
      StatusCode::FAILED_PRECONDITION);
  // Refusals are audited too.
  v1::DeleteModelRequest del;
  del.set_name("m");
  v1::DeleteModelResponse deleted;
  EXPECT_EQ(server_->stub()
                .DeleteModel(TokenContext(kWriter).get(), del, &deleted)
                .error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server_->stub()
                .DeleteModel(TokenContext("").get(), del, &deleted)
                .error_code(),
            StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(server_->stub()
                  .DeleteModel(TokenContext(kAdmin).get(), del, &deleted)
                  .ok());

  const std::string raw =
      ReadFileOrEmpty(server_->server().options().audit_log_file);
  for (const char* token : {kReader, kWriter, kAdmin}) {
    EXPECT_THAT(raw, Not(HasSubstr(token)));
    EXPECT_THAT(raw, Not(HasSubstr(auth::Sha256Hex(token))));
  }
  std::vector<google::protobuf::Struct> lines = AuditLines();
  // ListModels / Forward / GetParameters are not changes: not audited.
  ASSERT_EQ(lines.size(), 6u);  // create m, 2 updates, 3 deletes
  const google::protobuf::Struct& create = lines[0];
  EXPECT_EQ(Field(create, "operation"), "CreateModel");
  EXPECT_EQ(Field(create, "token_id"), "ops");
  EXPECT_EQ(Field(create, "new_version"), "1");

  const google::protobuf::Struct& ok = lines[1];
  EXPECT_EQ(Field(ok, "operation"), "UpdateParameters");
  EXPECT_EQ(Field(ok, "outcome"), "OK");
  EXPECT_EQ(Field(ok, "token_id"), "trainer-1");
  EXPECT_EQ(Field(ok, "role"), "writer");
  EXPECT_EQ(Field(ok, "model"), "m");
  EXPECT_EQ(Field(ok, "old_version"), "1");
  EXPECT_EQ(Field(ok, "new_version"), "2");
  EXPECT_EQ(Field(ok, "expected_version"), "1");
  EXPECT_EQ(Field(ok, "mode"), "ADD");
  EXPECT_THAT(Field(ok, "peer"), HasSubstr("127.0.0.1"));
  EXPECT_EQ(Field(ok, "tls_subject"), "null");  // plaintext
  const auto& params = ok.fields().at("parameters").list_value();
  ASSERT_EQ(params.values_size(), 1);
  EXPECT_EQ(params.values(0).struct_value().fields().at("layer").string_value(),
            "fc");
  EXPECT_EQ(params.values(0).struct_value().fields().at("name").string_value(),
            "bias");
  EXPECT_THAT(raw, Not(HasSubstr("\"value")));  // never parameter values

  const google::protobuf::Struct& stale = lines[2];
  EXPECT_EQ(Field(stale, "outcome"), "FAILED_PRECONDITION");
  EXPECT_EQ(Field(stale, "old_version"), "2");
  EXPECT_EQ(Field(stale, "new_version"), "null");

  EXPECT_EQ(Field(lines[3], "outcome"), "PERMISSION_DENIED");
  EXPECT_EQ(Field(lines[3], "token_id"), "trainer-1");
  EXPECT_EQ(Field(lines[4], "outcome"), "UNAUTHENTICATED");
  EXPECT_EQ(Field(lines[4], "token_id"), "null");
  EXPECT_EQ(Field(lines[5], "operation"), "DeleteModel");
  EXPECT_EQ(Field(lines[5], "outcome"), "OK");
  EXPECT_EQ(Field(lines[5], "old_version"), "2");
}

TEST_F(AuthTest, WithoutTokenFileEveryoneMayCallAndChangesAreStillAudited) {
  server::ServerOptions options = TestServerOptions();
  options.audit_log_file = TempPath("audit.log");
  std::remove(options.audit_log_file.c_str());
  StartServer(options);
  EXPECT_TRUE(ListAs("").ok());
  EXPECT_TRUE(ListAs("anything").ok());
  std::vector<google::protobuf::Struct> lines = AuditLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Field(lines[0], "operation"), "CreateModel");
  EXPECT_EQ(Field(lines[0], "token_id"), "null");
}

}  // namespace
}  // namespace brainserve::testing
