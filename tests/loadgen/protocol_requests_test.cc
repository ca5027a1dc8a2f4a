#include "client/loadgen/protocol_requests.h"

#include <cstring>
#include <string>

#include "client/loadgen/http_driver.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

brainserve::v1::ForwardRequest Request(bool raw) {
  brainserve::v1::ForwardRequest request;
  request.set_model("mlp");
  request.mutable_input()->add_shape(1);
  request.mutable_input()->add_shape(2);
  const float values[2] = {0.5f, -2.0f};
  if (raw) {
    request.mutable_input()->set_raw(
        std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  } else {
    request.mutable_input()->add_values(values[0]);
    request.mutable_input()->add_values(values[1]);
  }
  return request;
}

TEST(ProtocolRequestsTest, ModelInferKeepsTheEncoding) {
  inference::ModelInferRequest raw = ToModelInferRequest(Request(true));
  EXPECT_EQ(raw.model_name(), "mlp");
  ASSERT_EQ(raw.inputs_size(), 1);
  EXPECT_EQ(raw.inputs(0).name(), "input");
  EXPECT_EQ(raw.inputs(0).datatype(), "FP32");
  EXPECT_EQ(raw.inputs(0).shape_size(), 2);
  ASSERT_EQ(raw.raw_input_contents_size(), 1);
  EXPECT_EQ(raw.raw_input_contents(0).size(), 8u);
  inference::ModelInferRequest typed = ToModelInferRequest(Request(false));
  EXPECT_EQ(typed.raw_input_contents_size(), 0);
  ASSERT_EQ(typed.inputs(0).contents().fp32_contents_size(), 2);
  EXPECT_EQ(typed.inputs(0).contents().fp32_contents(1), -2.0f);
}

TEST(ProtocolRequestsTest, HttpBodyIsJsonOrBinaryTensorData) {
  HttpInferBody json = ToHttpInferBody(Request(false));
  EXPECT_EQ(json.json_length, 0u);
  EXPECT_EQ(json.body,
            R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],)"
            R"("data":[0.5,-2]}]})");
  HttpInferBody binary = ToHttpInferBody(Request(true));
  ASSERT_EQ(binary.body.size(), binary.json_length + 8);
  EXPECT_NE(binary.body.find(R"("binary_data_size":8)"), std::string::npos);
  EXPECT_NE(binary.body.find(R"("binary_data":true)"), std::string::npos);
  float tail[2];
  std::memcpy(tail, binary.body.data() + binary.json_length, 8);
  EXPECT_EQ(tail[0], 0.5f);
  EXPECT_EQ(tail[1], -2.0f);
}

TEST(HttpDriverTest, HttpStatusesMapToGrpcCodes) {
  EXPECT_EQ(HttpDriver::GrpcCodeOf(200), 0);
  EXPECT_EQ(HttpDriver::GrpcCodeOf(400), 3);
  EXPECT_EQ(HttpDriver::GrpcCodeOf(404), 5);
  EXPECT_EQ(HttpDriver::GrpcCodeOf(429), 8);
  EXPECT_EQ(HttpDriver::GrpcCodeOf(503), 14);
  EXPECT_EQ(HttpDriver::GrpcCodeOf(504), 4);
  EXPECT_EQ(HttpDriver::GrpcCodeOf(500), 13);
}

}  // namespace
}  // namespace brainserve::loadgen
