// Tokens, roles, TLS and the audit log on the other two front ends of a real
// in-process server: the Open Inference Protocol over gRPC, and HTTP/REST
// (/v2 and /v1) over HTTPS with a client certificate. Each route is
// authorized as the gRPC call it maps onto (auth/method_roles.h) with the
// same codes (401 / 403 over HTTP), liveness and readiness stay open, and an
// HTTP change is audited with its token ID, peer and certificate subject.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/auth/sha256.h"
#include "tests/integration/test_server.h"
#include "tests/testing/test_pki.h"

namespace brainserve::testing {
namespace {

using grpc::StatusCode;
using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kReader[] = "reader-token-77a0";
constexpr char kWriter[] = "writer-token-1c5e";
constexpr char kAdmin[] = "admin-token-e41b";

constexpr char kModelJson[] = R"({"name": "m", "seed": 3, "spec":
    {"input_shape": [2], "layers": [{"name": "fc", "linear": {"out_size": 2}}]}})";
constexpr char kInferJson[] =
    R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],)"
    R"("data":[0.5,-1.0]}]})";
constexpr char kUpdateJson[] = R"({"updates": [{"layer": "fc", "name": "bias",
    "mode": "ADD", "value": {"shape": [2], "values": [0.25, 0.25]}}]})";

class FrontEndSecurityTest : public ::testing::Test {
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

  void SetUp() override {
    ASSERT_NE(pki_, nullptr);
    const std::string tokens = absl::StrCat(pki_->dir, "/tokens");
    std::ofstream(tokens) << "reader " << auth::Sha256Hex(kReader)
                          << " dash\nwriter " << auth::Sha256Hex(kWriter)
                          << " trainer-1\nadmin " << auth::Sha256Hex(kAdmin)
                          << " ops\n";
    server::ServerOptions options = TestServerOptions();
    options.tls_cert_file = pki_->server.cert_file;
    options.tls_key_file = pki_->server.key_file;
    options.tls_client_ca_file = pki_->ca.cert_file;
    options.auth_tokens_file = tokens;
    options.audit_log_file = absl::StrCat(pki_->dir, "/audit.log");
    std::remove(options.audit_log_file.c_str());
    server_ = TestServer::Start(options);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->server().http_port(), 0);
    credentials_ = TlsChannelCredentials(
        pki_->ca.cert_pem(), pki_->client.cert_pem(), pki_->client.key_pem());
    ASSERT_EQ(Https(kAdmin).Post("/v1/models", kModelJson, "application/json")
                  ->status,
              200);
  }

  // An HTTPS client presenting the test client certificate and `token`.
  std::unique_ptr<httplib::SSLClient> HttpsClient(
      const std::string& token, bool client_certificate = true) {
    auto client = client_certificate
                      ? std::make_unique<httplib::SSLClient>(
                            "127.0.0.1", server_->server().http_port(),
                            pki_->client.cert_file, pki_->client.key_file)
                      : std::make_unique<httplib::SSLClient>(
                            "127.0.0.1", server_->server().http_port());
    client->set_ca_cert_path(pki_->ca.cert_file.c_str());
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(10, 0);
    client->set_read_timeout(30, 0);
    if (!token.empty()) client->set_bearer_token_auth(token.c_str());
    return client;
  }
  httplib::SSLClient& Https(const std::string& token) {
    clients_.push_back(HttpsClient(token));
    return *clients_.back();
  }

  static int StatusOf(const httplib::Result& result) {
    return result ? result->status : -1;
  }
  static std::string ErrorOf(const httplib::Result& result) {
    if (!result) return "<no response>";
    Json body = Json::parse(result->body, nullptr, false);
    return body.is_object() && body.contains("error")
               ? body["error"].get<std::string>()
               : result->body;
  }

  std::unique_ptr<inference::GRPCInferenceService::Stub> OipStub() {
    return inference::GRPCInferenceService::NewStub(
        grpc::CreateChannel(server_->address(), credentials_));
  }

  static TestPki* pki_;
  std::unique_ptr<TestServer> server_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::vector<std::unique_ptr<httplib::SSLClient>> clients_;
};
TestPki* FrontEndSecurityTest::pki_ = nullptr;

TEST_F(FrontEndSecurityTest, HttpRoutesNeedTheRoleOfTheirGrpcCall) {
  // Liveness and readiness are open, like grpc.health.v1.
  EXPECT_EQ(StatusOf(Https("").Get("/v2/health/live")), 200);
  EXPECT_EQ(StatusOf(Https("").Get("/v2/health/ready")), 200);

  // Reads need a reader token: 401 without one or with an unknown one.
  httplib::Result anonymous = Https("").Get("/v2/models/m");
  EXPECT_EQ(StatusOf(anonymous), 401);
  EXPECT_THAT(ErrorOf(anonymous),
              HasSubstr("ModelMetadata: missing bearer token"));
  EXPECT_EQ(StatusOf(Https("not-a-token").Get("/v2")), 401);
  EXPECT_EQ(StatusOf(Https("").Get("/v2/models/m/ready")), 401);
  EXPECT_EQ(StatusOf(Https("").Get("/v1/models")), 401);
  httplib::Result refused =
      Https("").Post("/v2/models/m/infer", kInferJson, "application/json");
  EXPECT_EQ(StatusOf(refused), 401);
  EXPECT_THAT(ErrorOf(refused), HasSubstr("ModelInfer"));
  // A refused caller learns nothing about which models exist.
  EXPECT_EQ(StatusOf(Https("").Post("/v2/models/nope/infer", kInferJson,
                                     "application/json")),
            401);

  EXPECT_EQ(StatusOf(Https(kReader).Get("/v2")), 200);
  EXPECT_EQ(StatusOf(Https(kReader).Get("/v2/models/m")), 200);
  EXPECT_EQ(StatusOf(Https(kReader).Get("/v2/models/m/ready")), 200);
  EXPECT_EQ(StatusOf(Https(kReader).Get("/v1/models/m")), 200);
  httplib::Result inferred =
      Https(kReader).Post("/v2/models/m/infer", kInferJson, "application/json");
  ASSERT_EQ(StatusOf(inferred), 200) << ErrorOf(inferred);
  EXPECT_EQ(Json::parse(inferred->body)["model_version"], "1");

  // Changes and parameter reads need writer / admin: 403 naming the role.
  httplib::Result reader_update = Https(kReader).Post(
      "/v1/models/m/parameters", kUpdateJson, "application/json");
  EXPECT_EQ(StatusOf(reader_update), 403);
  EXPECT_THAT(ErrorOf(reader_update),
              HasSubstr("UpdateParameters: needs role 'writer'"));
  EXPECT_EQ(StatusOf(Https(kReader).Get("/v1/models/m/parameters")), 403);
  httplib::Result writer_create =
      Https(kWriter).Post("/v1/models", kModelJson, "application/json");
  EXPECT_EQ(StatusOf(writer_create), 403);
  EXPECT_THAT(ErrorOf(writer_create), HasSubstr("needs role 'admin'"));
  EXPECT_EQ(StatusOf(Https(kWriter).Delete("/v1/models/m")), 403);

  httplib::Result updated = Https(kWriter).Post(
      "/v1/models/m/parameters", kUpdateJson, "application/json");
  ASSERT_EQ(StatusOf(updated), 200) << ErrorOf(updated);
  EXPECT_EQ(Json::parse(updated->body)["version"], "2");
  EXPECT_EQ(StatusOf(Https(kWriter).Get("/v1/models/m/parameters")), 200);
  // Read-your-writes over HTTP: ?min_version= is served at once once
  // applied, and a malformed one names the parameter.
  EXPECT_EQ(StatusOf(Https(kReader).Get("/v1/models/m?min_version=2")), 200);
  httplib::Result bad_version =
      Https(kReader).Get("/v1/models/m?min_version=two");
  EXPECT_EQ(StatusOf(bad_version), 400);
  EXPECT_THAT(ErrorOf(bad_version), HasSubstr("min_version"));
  EXPECT_EQ(StatusOf(Https(kAdmin).Delete("/v1/models/m")), 200);
}

TEST_F(FrontEndSecurityTest, HttpChangesAreAuditedWithTokenPeerAndSubject) {
  ASSERT_EQ(StatusOf(Https(kWriter).Post("/v1/models/m/parameters",
                                         kUpdateJson, "application/json")),
            200);
  EXPECT_EQ(StatusOf(Https(kReader).Delete("/v1/models/m")), 403);

  const std::string raw =
      ReadFileOrEmpty(server_->server().options().audit_log_file);
  for (const char* token : {kReader, kWriter, kAdmin}) {
    EXPECT_THAT(raw, Not(HasSubstr(token)));
  }
  std::vector<Json> lines;
  for (absl::string_view line :
       absl::StrSplit(raw, '\n', absl::SkipEmpty())) {
    lines.push_back(Json::parse(line));
  }
  // The create of SetUp(), the update, the refused delete.
  ASSERT_EQ(lines.size(), 3u) << raw;
  EXPECT_EQ(lines[0]["operation"], "CreateModel");
  EXPECT_EQ(lines[0]["token_id"], "ops");
  const Json& update = lines[1];
  EXPECT_EQ(update["operation"], "UpdateParameters");
  EXPECT_EQ(update["outcome"], "OK");
  EXPECT_EQ(update["token_id"], "trainer-1");
  EXPECT_EQ(update["model"], "m");
  EXPECT_EQ(update["old_version"], 1);
  EXPECT_EQ(update["new_version"], 2);
  EXPECT_THAT(update["peer"].get<std::string>(), HasSubstr("http:127.0.0.1:"));
  EXPECT_THAT(update["tls_subject"].get<std::string>(),
              HasSubstr("CN=trainer"));
  EXPECT_EQ(lines[2]["operation"], "DeleteModel");
  EXPECT_EQ(lines[2]["outcome"], "PERMISSION_DENIED");
  EXPECT_EQ(lines[2]["token_id"], "dash");
}

TEST_F(FrontEndSecurityTest, HttpsRefusesPlaintextAndClientsWithoutACertificate) {
  httplib::Client plain("127.0.0.1", server_->server().http_port());
  plain.set_connection_timeout(5, 0);
  plain.set_read_timeout(5, 0);
  plain.set_bearer_token_auth(kReader);
  httplib::Result plaintext = plain.Get("/v2/health/live");
  EXPECT_TRUE(!plaintext || plaintext->status != 200);

  std::unique_ptr<httplib::SSLClient> no_cert =
      HttpsClient(kReader, /*client_certificate=*/false);
  EXPECT_FALSE(no_cert->Get("/v2/health/live"));

  std::unique_ptr<httplib::SSLClient> untrusted = HttpsClient(kReader);
  untrusted->set_ca_cert_path(pki_->other_ca.cert_file.c_str());
  EXPECT_FALSE(untrusted->Get("/v2/health/live"));

  EXPECT_EQ(StatusOf(HttpsClient(kReader)->Get("/v2/health/live")), 200);
}

TEST_F(FrontEndSecurityTest, OipGrpcCallsNeedAReaderTokenExceptHealth) {
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub = OipStub();
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub->ServerLive(TokenContext("").get(),
                               inference::ServerLiveRequest(), &live)
                  .ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(stub->ServerReady(TokenContext("").get(),
                                inference::ServerReadyRequest(), &ready)
                  .ok());
  EXPECT_TRUE(ready.ready());

  inference::ModelInferRequest request;
  request.set_model_name("m");
  inference::ModelInferRequest::InferInputTensor* input = request.add_inputs();
  input->set_name("input");
  input->set_datatype("FP32");
  input->add_shape(1);
  input->add_shape(2);
  input->mutable_contents()->add_fp32_contents(0.5f);
  input->mutable_contents()->add_fp32_contents(-1.0f);
  inference::ModelInferResponse response;
  grpc::Status anonymous =
      stub->ModelInfer(TokenContext("").get(), request, &response);
  EXPECT_EQ(anonymous.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(anonymous.error_message(),
              HasSubstr("ModelInfer: missing bearer token"));
  inference::ServerMetadataResponse metadata;
  EXPECT_EQ(stub->ServerMetadata(TokenContext("").get(),
                                 inference::ServerMetadataRequest(), &metadata)
                .error_code(),
            StatusCode::UNAUTHENTICATED);
  inference::ModelMetadataRequest model_request;
  model_request.set_name("m");
  inference::ModelMetadataResponse model_metadata;
  EXPECT_EQ(stub->ModelMetadata(TokenContext("wrong").get(), model_request,
                                &model_metadata)
                .error_code(),
            StatusCode::UNAUTHENTICATED);
  inference::ModelReadyRequest ready_request;
  ready_request.set_name("m");
  inference::ModelReadyResponse model_ready;
  EXPECT_EQ(stub->ModelReady(TokenContext("").get(), ready_request,
                             &model_ready)
                .error_code(),
            StatusCode::UNAUTHENTICATED);

  grpc::Status ok =
      stub->ModelInfer(TokenContext(kReader).get(), request, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(response.model_version(), "1");
  EXPECT_TRUE(stub->ModelMetadata(TokenContext(kReader).get(), model_request,
                                  &model_metadata)
                  .ok());
  // Refusals are counted like every other call's.
  EXPECT_THAT(server_->Scrape(),
              HasSubstr("brainserve_auth_denied_total{method=\"ModelInfer\","
                        "reason=\"missing_token\"} 1"));
}

}  // namespace
}  // namespace brainserve::testing
