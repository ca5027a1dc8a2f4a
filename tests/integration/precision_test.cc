// CreateModelRequest.precision through the real server: a BF16 model says
// so in ModelInfo and computes close to, but not bitwise, its FP32 twin; an
// unknown value is INVALID_ARGUMENT naming `precision`; the store keeps it
// across a restart; HTTP /v1 takes it in JSON; and a CPU without AVX-512
// (oneDNN's DNNL_MAX_CPU_ISA=AVX2) refuses it with UNIMPLEMENTED while FP32
// models still serve.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSpec[] = R"("spec": {"input_shape": [256], "layers": [
    {"name": "ws", "scaled_ws_linear": {"out_size": 128}},
    {"name": "ln", "layer_norm": {}},
    {"name": "relu", "activation": {"function": "RELU"}},
    {"name": "fc", "linear": {"out_size": 16}}]})";

v1::CreateModelRequest Request(const std::string& name,
                               const std::string& precision) {
  return CreateRequestFromJson(absl::StrCat(
      R"({"name": ")", name, R"(", "seed": 9, )", kSpec,
      precision.empty() ? ""
                        : absl::StrCat(R"(, "precision": ")", precision, "\""),
      "}"));
}

std::vector<float> ForwardValues(v1::ModelService::Stub& stub,
                                 const std::string& model,
                                 const std::vector<float>& x) {
  v1::ForwardRequest request;
  request.set_model(model);
  *request.mutable_input() =
      ValuesTensor({static_cast<int64_t>(x.size() / 256), 256}, x);
  v1::ForwardResponse response;
  const grpc::Status status = Forward(stub, request, &response);
  EXPECT_TRUE(status.ok()) << model << ": " << status.error_message();
  return TensorData(response.output());
}

v1::ModelInfo Get(v1::ModelService::Stub& stub, const std::string& name) {
  v1::GetModelRequest request;
  request.set_name(name);
  v1::ModelInfo info;
  const grpc::Status status = stub.GetModel(Context().get(), request, &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return info;
}

TEST(PrecisionTest, Bf16ModelSaysSoAndComputesCloseToItsFp32Twin) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(), Request("exact", "")).ok());
  ASSERT_TRUE(CreateModel(server->stub(), Request("half", "BF16")).ok());
  EXPECT_EQ(Get(server->stub(), "exact").precision(), v1::FP32);
  EXPECT_EQ(Get(server->stub(), "half").precision(), v1::BF16);

  const std::vector<float> x = RandomValues(8 * 256, 4);
  const std::vector<float> exact = ForwardValues(server->stub(), "exact", x);
  const std::vector<float> half = ForwardValues(server->stub(), "half", x);
  ASSERT_EQ(exact.size(), 8u * 16u);
  ASSERT_EQ(half.size(), exact.size());
  double scale = 0.0;
  for (float v : exact) scale = std::max(scale, std::fabs(double{v}));
  double worst = 0.0;
  for (size_t i = 0; i < exact.size(); ++i) {
    worst = std::max(worst, std::fabs(double{half[i]} - exact[i]));
  }
  EXPECT_LE(worst, std::ldexp(1.0, -5) * scale);
  EXPECT_GT(worst, 0.0) << "a BF16 model computed the FP32 bits";
  RecordProperty("max_abs_diff_over_max_abs", std::to_string(worst / scale));
}

TEST(PrecisionTest, AnUnknownPrecisionIsInvalidArgumentNamingTheField) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  v1::CreateModelRequest request = Request("odd", "");
  request.set_precision(static_cast<v1::Precision>(7));
  v1::ModelInfo info;
  const grpc::Status status =
      server->stub().CreateModel(Context().get(), request, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("precision: unknown value 7"));
  // Nothing was created.
  v1::GetModelRequest get;
  get.set_name("odd");
  EXPECT_EQ(server->stub().GetModel(Context().get(), get, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(PrecisionTest, TheStoreKeepsPrecisionAcrossARestart) {
  std::string dir =
      absl::StrCat(::testing::TempDir(), "/precision-", getpid(), "-XXXXXX");
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  server::ServerOptions options = TestServerOptions();
  options.store = "sqlite:" + dir + "/state.db";
  const std::vector<float> x = RandomValues(3 * 256, 5);
  std::vector<float> before;
  {
    auto server = TestServer::Start(options);
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(CreateModel(server->stub(), Request("half", "BF16")).ok());
    v1::UpdateParametersRequest update;
    update.set_model("half");
    v1::ParameterUpdate* add = update.add_updates();
    add->set_layer("fc");
    add->set_name("bias");
    add->set_mode(v1::ParameterUpdate::ADD);
    *add->mutable_value() = ValuesTensor({16}, RandomValues(16, 6));
    v1::UpdateParametersResponse updated;
    ASSERT_TRUE(server->stub()
                    .UpdateParameters(Context().get(), update, &updated)
                    .ok());
    EXPECT_EQ(updated.version(), 2u);
    before = ForwardValues(server->stub(), "half", x);
  }
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  const v1::ModelInfo info = Get(server->stub(), "half");
  EXPECT_EQ(info.precision(), v1::BF16);
  EXPECT_EQ(info.version(), 2u);
  EXPECT_EQ(ForwardValues(server->stub(), "half", x), before);
}

TEST(PrecisionTest, HttpCreateTakesPrecisionInJson) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  const std::string body =
      absl::StrCat(R"({"name": "web", "precision": "BF16", )", kSpec, "}");
  const HttpResponse created = HttpSend(
      server->server().http_port(),
      absl::StrCat("POST /v1/models HTTP/1.1\r\nHost: localhost\r\n"
                   "Content-Type: application/json\r\nConnection: close\r\n"
                   "Content-Length: ",
                   body.size(), "\r\n\r\n", body));
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_THAT(created.body, HasSubstr(R"("precision":"BF16")"));
  EXPECT_EQ(Get(server->stub(), "web").precision(), v1::BF16);
}

// The variable is read by oneDNN once per process, so this runs the server
// binary with it set.
TEST(PrecisionTest, ACpuWithoutAvx512RefusesBf16WithUnimplemented) {
  ASSERT_EQ(setenv("DNNL_MAX_CPU_ISA", "AVX2", 1), 0);
  ASSERT_EQ(setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1), 0);
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY, {"--store=memory:", "--engine_threads=1"});
  unsetenv("DNNL_MAX_CPU_ISA");
  unsetenv("ONEDNN_MAX_CPU_ISA");
  ASSERT_TRUE(started.ok()) << started.status();
  auto stub = v1::ModelService::NewStub(grpc::CreateChannel(
      (*started)->address(), grpc::InsecureChannelCredentials()));
  v1::ModelInfo info;
  const grpc::Status refused =
      stub->CreateModel(Context().get(), Request("half", "BF16"), &info);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("precision: BF16 needs"));
  EXPECT_THAT(refused.error_message(), HasSubstr("avx2"));
  ASSERT_TRUE(CreateModel(*stub, Request("exact", "")).ok());
  EXPECT_EQ(ForwardValues(*stub, "exact", RandomValues(256, 7)).size(), 16u);
}

}  // namespace
}  // namespace brainserve::testing
