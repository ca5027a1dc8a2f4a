// Issue 12, item 4: message sizes per method. A real server on port 0 with
// small caps: Forward and ModelInfer over --max_forward_message_bytes,
// UpdateParameters over --max_update_message_bytes and any other method over
// --max_message_bytes are RESOURCE_EXHAUSTED naming the flag and the size;
// a message over the largest cap is refused by gRPC itself; the HTTP routes
// answer 413 from the declared Content-Length, before the body is sent.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kForwardCap = 64 << 10;    // 64 KiB
constexpr int64_t kUpdateCap = 256 << 10;    // 256 KiB
constexpr int64_t kOtherCap = 32 << 10;      // 32 KiB (--max_message_bytes)
constexpr int64_t kWidth = 256;  // [256] -> linear(256): a 256 KiB weight

class MessageSizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto options = TestServerOptions();
    options.max_forward_message_bytes = kForwardCap;
    options.max_update_message_bytes = kUpdateCap;
    options.max_message_bytes = kOtherCap;
    server_ = TestServer::Start(options);
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(CreateModel(server_->stub(),
                            CreateRequestFromJson(absl::StrCat(
                                R"({"name": "m", "spec": {"input_shape": [)",
                                kWidth,
                                R"(], "layers": [{"name": "fc", "linear":
                                   {"out_size": 4}}]}})")))
                    .ok());
  }

  v1::ForwardRequest ForwardOf(int64_t rows) {
    v1::ForwardRequest request;
    request.set_model("m");
    *request.mutable_input() =
        RawTensor({rows, kWidth}, RandomValues(rows * kWidth, 1));
    return request;
  }

  std::unique_ptr<TestServer> server_;
};

void ExpectOverCap(const grpc::Status& status, const std::string& method,
                   int64_t bytes, const std::string& flag, int64_t cap) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat(method, ": the request is ", bytes,
                                     " bytes, over ", flag, "=", cap)));
}

TEST_F(MessageSizeTest, ForwardIsCappedByMaxForwardMessageBytes) {
  v1::ForwardResponse response;
  // 32 rows = 32 KiB: fits.
  ASSERT_TRUE(Forward(server_->stub(), ForwardOf(32), &response).ok());
  // 128 rows = 128 KiB: under gRPC's cap (256 KiB, the update cap), over
  // the Forward cap.
  const v1::ForwardRequest big = ForwardOf(128);
  ExpectOverCap(Forward(server_->stub(), big, &response),
                "/brainserve.v1.ModelService/Forward",
                static_cast<int64_t>(big.ByteSizeLong()),
                "--max_forward_message_bytes", kForwardCap);
}

TEST_F(MessageSizeTest, ModelInferIsCappedByMaxForwardMessageBytes) {
  auto oip = inference::GRPCInferenceService::NewStub(server_->channel());
  inference::ModelInferRequest request;
  request.set_model_name("m");
  auto* input = request.add_inputs();
  input->set_name("input");
  input->set_datatype("FP32");
  input->add_shape(128);
  input->add_shape(kWidth);
  const std::vector<float> values = RandomValues(128 * kWidth, 2);
  request.add_raw_input_contents(
      std::string(reinterpret_cast<const char*>(values.data()),
                  values.size() * sizeof(float)));
  inference::ModelInferResponse response;
  ExpectOverCap(oip->ModelInfer(Context().get(), request, &response),
                "/inference.GRPCInferenceService/ModelInfer",
                static_cast<int64_t>(request.ByteSizeLong()),
                "--max_forward_message_bytes", kForwardCap);
}

TEST_F(MessageSizeTest, UpdateIsCappedByMaxUpdateMessageBytes) {
  v1::UpdateParametersRequest update;
  update.set_model("m");
  auto* bias = update.add_updates();
  bias->set_layer("fc");
  bias->set_name("bias");
  *bias->mutable_value() = RawTensor({4}, {1, 2, 3, 4});
  v1::UpdateParametersResponse response;
  // The bias and the 4 KiB weight: fits.
  auto* weight = update.add_updates();
  weight->set_layer("fc");
  weight->set_name("weight");
  *weight->mutable_value() =
      RawTensor({kWidth, 4}, RandomValues(kWidth * 4, 3));
  const grpc::Status ok =
      server_->stub().UpdateParameters(Context().get(), update, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  v1::UpdateParametersRequest big;
  big.set_model("m");
  auto* padded = big.add_updates();
  padded->set_layer("fc");
  padded->set_name("weight");
  *padded->mutable_value() =
      RawTensor({kWidth, 140}, RandomValues(kWidth * 140, 4));
  // 140 KiB: over the Forward cap, under the update cap: accepted by size
  // (then refused by validation for its shape, INVALID_ARGUMENT).
  const grpc::Status shape =
      server_->stub().UpdateParameters(Context().get(), big, &response);
  EXPECT_EQ(shape.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << shape.error_message();
  *big.add_updates() = *padded;
  // 280 KiB: over gRPC's receive cap, the largest per-method cap (256 KiB):
  // gRPC refuses it itself.
  const grpc::Status transport =
      server_->stub().UpdateParameters(Context().get(), big, &response);
  EXPECT_EQ(transport.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(transport.error_message(),
              HasSubstr("Received message larger than max"));
}

TEST_F(MessageSizeTest, UpdateOverItsCapUnderTheTransportCapIsRefused) {
  // With a Forward cap above the update cap, gRPC receives up to the
  // Forward cap; an update between the two is refused by its own check.
  auto options = TestServerOptions();
  options.max_forward_message_bytes = 512 << 10;
  options.max_update_message_bytes = 64 << 10;
  options.max_message_bytes = kOtherCap;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  v1::UpdateParametersRequest big;
  big.set_model("anything");
  auto* value = big.add_updates();
  value->set_layer("fc");
  value->set_name("weight");
  *value->mutable_value() = RawTensor({100, 256}, RandomValues(25600, 5));
  v1::UpdateParametersResponse response;
  ExpectOverCap(
      server->stub().UpdateParameters(Context().get(), big, &response),
      "/brainserve.v1.ModelService/UpdateParameters",
      static_cast<int64_t>(big.ByteSizeLong()), "--max_update_message_bytes",
      64 << 10);
}

TEST_F(MessageSizeTest, OtherMethodsAreCappedByMaxMessageBytes) {
  // A 40 KiB layer name: a CreateModel request over --max_message_bytes.
  v1::CreateModelRequest request = CreateRequestFromJson(
      R"({"name": "x", "spec": {"input_shape": [2],
          "layers": [{"linear": {"out_size": 2}}]}})");
  request.mutable_spec()->mutable_layers(0)->set_name(
      std::string(40 << 10, 'a'));
  ExpectOverCap(CreateModel(server_->stub(), request),
                "/brainserve.v1.ModelService/CreateModel",
                static_cast<int64_t>(request.ByteSizeLong()),
                "--max_message_bytes", kOtherCap);
}

TEST_F(MessageSizeTest, HttpRoutesRefuseADeclaredBodyOverTheirCapUnread) {
  const int port = server_->server().http_port();
  ASSERT_GT(port, 0);
  // Only the head is sent: the answer comes without the body.
  const HttpResponse infer = HttpSend(
      port, absl::StrCat("POST /v2/models/m/infer HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\nContent-Length: ",
                         kForwardCap + 1, "\r\n\r\n"));
  EXPECT_EQ(infer.status, 413);
  EXPECT_THAT(infer.body,
              HasSubstr(absl::StrCat("the body is ", kForwardCap + 1,
                                     " bytes, over --max_forward_message_bytes=",
                                     kForwardCap)));
  const HttpResponse update = HttpSend(
      port, absl::StrCat("POST /v1/models/m/parameters HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\nContent-Length: ",
                         kUpdateCap + 1, "\r\n\r\n"));
  EXPECT_EQ(update.status, 413);
  EXPECT_THAT(update.body,
              HasSubstr(absl::StrCat(" bytes, over --max_update_message_bytes=",
                                     kUpdateCap)));
  // Under the cap the route runs (and answers the malformed body 400).
  const HttpResponse small = HttpSend(
      port, "POST /v2/models/m/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Connection: close\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\n\r\n{}");
  EXPECT_EQ(small.status, 400) << small.body;
}

}  // namespace
}  // namespace brainserve::testing
