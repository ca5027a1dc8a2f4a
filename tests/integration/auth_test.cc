// Tokens with roles on a real in-process server: the table of every
// ModelService RPC x {no token, wrong token, reader, writer, admin} with the
// exact status codes, open health and reflection, the denied-calls metric,
// token-file reloads (polled, and on demand as SIGHUP does) and bad files.
// The audit trail: auth_audit_test.cc.
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "server/auth/sha256.h"
#include "tests/integration/auth_test_fixture.h"
#include "tests/integration/test_server.h"
#include "tests/testing/test_pki.h"

namespace brainserve::testing {
namespace {

using grpc::StatusCode;
using ::testing::HasSubstr;
using ::testing::Not;

// One RPC of the table: calls it with `token`; `tag` makes names unique.
using RpcCall = std::function<grpc::Status(
    v1::ModelService::Stub&, const std::string& token, const std::string& tag)>;

struct RpcRow {
  std::string method;
  RpcCall call;
  // Expected code for: none, wrong, reader, writer, admin.
  std::vector<StatusCode> expected;
  // The role named by PERMISSION_DENIED.
  std::string needs;
};

std::vector<RpcRow> Rows() {
  constexpr StatusCode U = StatusCode::UNAUTHENTICATED;
  constexpr StatusCode P = StatusCode::PERMISSION_DENIED;
  constexpr StatusCode K = StatusCode::OK;
  return {
      {"Forward",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string&) {
         v1::ForwardRequest request;
         request.set_model("m");
         *request.mutable_input() = ValuesTensor({1, 2}, {1, 2});
         v1::ForwardResponse response;
         return stub.Forward(TokenContext(token).get(), request, &response);
       },
       {U, U, K, K, K},
       "reader"},
      {"GetModel",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string&) {
         v1::GetModelRequest request;
         request.set_name("m");
         v1::ModelInfo response;
         return stub.GetModel(TokenContext(token).get(), request, &response);
       },
       {U, U, K, K, K},
       "reader"},
      {"ListModels",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string&) {
         v1::ListModelsResponse response;
         return stub.ListModels(TokenContext(token).get(),
                                v1::ListModelsRequest(), &response);
       },
       {U, U, K, K, K},
       "reader"},
      {"UpdateParameters",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string&) {
         v1::UpdateParametersRequest request;
         request.set_model("m");
         v1::ParameterUpdate* update = request.add_updates();
         update->set_layer("fc");
         update->set_name("bias");
         update->set_mode(v1::ParameterUpdate::ADD);
         *update->mutable_value() = ValuesTensor({2}, {0, 0});
         v1::UpdateParametersResponse response;
         return stub.UpdateParameters(TokenContext(token).get(), request,
                                      &response);
       },
       {U, U, P, K, K},
       "writer"},
      {"GetParameters",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string&) {
         v1::GetParametersRequest request;
         request.set_model("m");
         v1::GetParametersResponse response;
         return stub.GetParameters(TokenContext(token).get(), request,
                                   &response);
       },
       {U, U, P, K, K},
       "writer"},
      {"CreateModel",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string& tag) {
         v1::ModelInfo response;
         return stub.CreateModel(TokenContext(token).get(),
                                 CreateRequestFromJson(Spec("new-" + tag)),
                                 &response);
       },
       {U, U, P, P, K},
       "admin"},
      {"DeleteModel",
       [](v1::ModelService::Stub& stub, const std::string& token,
          const std::string& tag) {
         // A model of its own to delete, created with the admin token.
         v1::ModelInfo info;
         grpc::Status created = stub.CreateModel(
             TokenContext(kAdmin).get(),
             CreateRequestFromJson(Spec("doomed-" + tag)), &info);
         if (!created.ok()) return created;
         v1::DeleteModelRequest request;
         request.set_name("doomed-" + tag);
         v1::DeleteModelResponse response;
         return stub.DeleteModel(TokenContext(token).get(), request, &response);
       },
       {U, U, P, P, K},
       "admin"},
  };
}

struct Credential {
  std::string name;
  std::string token;
};
const std::vector<Credential>& Credentials() {
  static const auto* const kCredentials =
      new std::vector<Credential>{{"none", ""},
                                  {"wrong", "not-a-known-token"},
                                  {"reader", kReader},
                                  {"writer", kWriter},
                                  {"admin", kAdmin}};
  return *kCredentials;
}

TEST_F(AuthTest, EveryRpcEveryCredentialExactCode) {
  const std::string tokens = TempPath("tokens");
  std::ofstream(tokens) << TokensFile();
  StartServer(AuthOptions(tokens));

  // The table covers exactly the service's methods.
  const google::protobuf::ServiceDescriptor* service =
      v1::ListModelsRequest::descriptor()->file()->FindServiceByName(
          "ModelService");
  std::set<std::string> served, tabled;
  for (int i = 0; i < service->method_count(); ++i) {
    served.insert(service->method(i)->name());
  }
  const std::vector<RpcRow> rows = Rows();
  for (const RpcRow& row : rows) tabled.insert(row.method);
  ASSERT_EQ(served, tabled);

  std::map<std::string, int> denied_by_reason;
  for (const RpcRow& row : rows) {
    for (size_t c = 0; c < Credentials().size(); ++c) {
      const Credential& credential = Credentials()[c];
      SCOPED_TRACE(absl::StrCat(row.method, " with ", credential.name));
      grpc::Status status =
          row.call(server_->stub(), credential.token, credential.name);
      EXPECT_EQ(status.error_code(), row.expected[c]) << status.error_message();
      if (status.error_code() == StatusCode::PERMISSION_DENIED) {
        EXPECT_THAT(status.error_message(),
                    HasSubstr(absl::StrCat(row.method, ": needs role '",
                                           row.needs, "'")));
        ++denied_by_reason[absl::StrCat(row.method, "/insufficient_role")];
      }
      if (status.error_code() == StatusCode::UNAUTHENTICATED) {
        ++denied_by_reason[absl::StrCat(row.method, credential.token.empty()
                                                        ? "/missing_token"
                                                        : "/invalid_token")];
      }
      EXPECT_THAT(status.error_message(), Not(HasSubstr(kReader)));
    }
  }
  // Every refusal is counted by method and reason.
  const std::string scrape = server_->Scrape();
  for (const RpcRow& row : rows) {
    for (const char* reason :
         {"missing_token", "invalid_token", "insufficient_role"}) {
      EXPECT_EQ(MetricValue(scrape, "brainserve_auth_denied_total",
                            {{"method", row.method}, {"reason", reason}})
                    .value_or(-1),
                denied_by_reason[absl::StrCat(row.method, "/", reason)])
          << row.method << " " << reason;
    }
  }
  // ...and also appears in the request counters with its code.
  EXPECT_GE(
      MetricValue(scrape, "brainserve_requests_total",
                  {{"method", "DeleteModel"}, {"code", "UNAUTHENTICATED"}})
          .value_or(0),
      2);
}

TEST_F(AuthTest, HealthAndReflectionNeedNoToken) {
  const std::string tokens = TempPath("tokens");
  std::ofstream(tokens) << TokensFile();
  StartServer(AuthOptions(tokens));
  auto health = grpc::health::v1::Health::NewStub(server_->channel());
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(Context().get(), request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Reflection: ServerReflectionRequest{list_services = 7: ""} on the stream.
  grpc::GenericStub stub(server_->channel());
  grpc::CompletionQueue cq;
  auto context = Context();
  auto call = stub.PrepareCall(
      context.get(),
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  const char kListServices[] = {0x3a, 0x00};  // field 7, length 0
  grpc::Slice slice(kListServices, sizeof(kListServices));
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(in.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  EXPECT_THAT(bytes, HasSubstr("brainserve.v1.ModelService"));
  call->WritesDone(reinterpret_cast<void*>(4));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AuthTest, RemovedTokenStopsWorkingWithoutRestartPolled) {
  const std::string tokens = TempPath("tokens");
  std::ofstream(tokens) << TokensFile();
  server::ServerOptions options = AuthOptions(tokens);
  options.credentials_poll_interval_ms = 20;
  StartServer(options);
  ASSERT_TRUE(ListAs(kReader).ok());

  // Atomic replacement (how Kubernetes updates a Secret volume): the reader
  // line is gone, a new token appears.
  ReplaceFile(tokens, absl::StrCat(TokenLine("admin", kAdmin, "ops"),
                                   TokenLine("reader", "fresh", "new-dash")));
  EXPECT_TRUE(WaitFor([&] {
    return ListAs(kReader).error_code() == StatusCode::UNAUTHENTICATED;
  }));
  EXPECT_TRUE(ListAs("fresh").ok());
  // An in-place rewrite is noticed too.
  std::ofstream(tokens, std::ios::trunc) << TokenLine("admin", kAdmin, "ops");
  EXPECT_TRUE(WaitFor([&] {
    return ListAs("fresh").error_code() == StatusCode::UNAUTHENTICATED;
  }));
  EXPECT_TRUE(ListAs(kAdmin).ok());
}

TEST_F(AuthTest, ReloadCredentialsRereadsAtOnceAndABadFileKeepsTheOldTable) {
  const std::string tokens = TempPath("tokens");
  std::ofstream(tokens) << TokensFile();
  server::ServerOptions options = AuthOptions(tokens);
  options.credentials_poll_interval_ms = 0;  // only on demand (SIGHUP)
  StartServer(options);

  std::ofstream(tokens, std::ios::trunc) << TokenLine("admin", kAdmin, "ops");
  EXPECT_TRUE(ListAs(kReader).ok());  // not polled: still the old table
  server_->server().ReloadCredentials();
  EXPECT_EQ(ListAs(kReader).error_code(), StatusCode::UNAUTHENTICATED);

  // A broken file is refused; the last good table stays in force.
  std::ofstream(tokens, std::ios::trunc) << "admin not-a-digest\n";
  server_->server().ReloadCredentials();
  EXPECT_TRUE(ListAs(kAdmin).ok());
  std::remove(tokens.c_str());
  server_->server().ReloadCredentials();
  EXPECT_TRUE(ListAs(kAdmin).ok());
  EXPECT_EQ(ListAs(kWriter).error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, BadTokenFilesFailStartNamingTheFlagAndLine) {
  server::ServerOptions missing = AuthOptions(TempPath("no-such-file"));
  absl::StatusOr<std::unique_ptr<server::Server>> server =
      server::Server::Create(missing);
  ASSERT_TRUE(server.ok());
  absl::Status status = (*server)->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--auth_tokens_file"));

  const std::string bad = TempPath("tokens");
  std::ofstream(bad) << TokenLine("admin", kAdmin, "ops") << "superuser "
                     << auth::Sha256Hex("x") << "\n";
  server = server::Server::Create(AuthOptions(bad));
  ASSERT_TRUE(server.ok());
  status = (*server)->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("line 2: unknown role 'superuser'"));
}

}  // namespace
}  // namespace brainserve::testing
