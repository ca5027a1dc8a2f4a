// The Open Inference Protocol's REST JSON <-> gRPC messages (server/http/
// v2_json.h): the parse errors name the field, binary tensor data is cut at
// the right offsets, and floats are written so they read back exactly.
#include "server/http/v2_json.h"

#include <cstring>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::server::http {
namespace {

using ::testing::HasSubstr;

void ExpectInvalid(absl::string_view body, const std::string& substring,
                   std::optional<size_t> json_length = std::nullopt) {
  absl::StatusOr<HttpInferRequest> parsed =
      ParseInferRequest("m", body, json_length);
  ASSERT_FALSE(parsed.ok()) << body;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(substring));
}

TEST(V2JsonTest, ParsesNestedDataIdAndOutputs) {
  absl::StatusOr<HttpInferRequest> parsed = ParseInferRequest(
      "m",
      R"({"id":"x","inputs":[{"name":"input","datatype":"FP32","shape":[2,2],)"
      R"("data":[[1,2.5],[-3,4e-1]]}],"outputs":[{"name":"output"}]})",
      std::nullopt);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->request.model_name(), "m");
  EXPECT_EQ(parsed->request.id(), "x");
  EXPECT_FALSE(parsed->binary_output);
  ASSERT_EQ(parsed->request.inputs_size(), 1);
  EXPECT_THAT(parsed->request.inputs(0).contents().fp32_contents(),
              ::testing::ElementsAre(1, 2.5, -3, 0.4f));
  EXPECT_EQ(parsed->request.outputs(0).name(), "output");
}

TEST(V2JsonTest, MalformedRequestsNameTheField) {
  ExpectInvalid("nope", "not valid JSON");
  ExpectInvalid("[1]", "not a JSON object");
  ExpectInvalid(R"({"inputs":{}})", "inputs: missing or not an array");
  ExpectInvalid(R"({"id":5,"inputs":[]})", "id: not a string");
  ExpectInvalid(R"({"inputs":[1]})", "inputs[0]: not an object");
  ExpectInvalid(R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})",
                "inputs[0].name");
  ExpectInvalid(R"({"inputs":[{"name":"input","shape":[1],"data":[1]}]})",
                "inputs[0].datatype");
  ExpectInvalid(
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1.5],"data":[1]}]})",
      "inputs[0].shape: 1.5 is not an integer");
  ExpectInvalid(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1]}]})",
                "inputs[0].data: missing");
  ExpectInvalid(
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[2],"data":[1,true]}]})",
      "inputs[0].data: element 1 is boolean");
  ExpectInvalid(R"({"inputs":[],"outputs":[{"name":1}]})", "outputs[0].name");
  ExpectInvalid(
      R"({"inputs":[],"outputs":[{"name":"output","parameters":{"binary_data":1}}]})",
      "outputs[0].parameters.binary_data: not a boolean");
  std::string deep = R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1],"data":)";
  deep += std::string(40, '[') + "1" + std::string(40, ']') + "}]}";
  ExpectInvalid(deep, "nested deeper than 32");
}

TEST(V2JsonTest, NonFp32DataIsLeftForTheDatatypeCheck) {
  absl::StatusOr<HttpInferRequest> parsed = ParseInferRequest(
      "m",
      R"({"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"data":["a"]}]})",
      std::nullopt);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->request.inputs(0).datatype(), "BYTES");
}

TEST(V2JsonTest, BinaryTensorDataIsCutAtTheHeaderLength) {
  const std::string header =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[2],)"
      R"("parameters":{"binary_data_size":8}}],"parameters":{"binary_data_output":true}})";
  const float values[2] = {1.5f, -2.0f};
  std::string body = header;
  body.append(reinterpret_cast<const char*>(values), sizeof(values));
  absl::StatusOr<HttpInferRequest> parsed =
      ParseInferRequest("m", body, header.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->binary_output);
  ASSERT_EQ(parsed->request.raw_input_contents_size(), 1);
  EXPECT_EQ(parsed->request.raw_input_contents(0),
            std::string(reinterpret_cast<const char*>(values), 8));

  ExpectInvalid(body, "exceeds the body", body.size() + 1);
  ExpectInvalid(body + "xx", "2 bytes after the JSON header", header.size());
  ExpectInvalid(body.substr(0, body.size() - 1),
                "binary_data_size: 8 bytes, but only 7", header.size());
}

TEST(V2JsonTest, ResponseFloatsReadBackExactly) {
  inference::ModelInferResponse response;
  response.set_model_name("m");
  response.set_model_version("3");
  auto* output = response.add_outputs();
  output->set_name("output");
  output->set_datatype("FP32");
  output->add_shape(4);
  const float values[4] = {0.1f, -1e-30f, 3.4028235e38f, 1.0f / 3};
  for (float v : values) output->mutable_contents()->add_fp32_contents(v);
  HttpBody json = RenderInferResponse(response, false);
  EXPECT_FALSE(json.json_length.has_value());
  EXPECT_EQ(json.body,
            R"({"model_name":"m","model_version":"3","outputs":[{"name":"output",)"
            R"("datatype":"FP32","shape":[4],)"
            R"("data":[0.1,-1e-30,3.4028235e+38,0.33333334]}]})");
  // The same response from raw contents, answered as binary tensor data.
  output->clear_contents();
  response.add_raw_output_contents(
      std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  HttpBody binary = RenderInferResponse(response, true);
  ASSERT_TRUE(binary.json_length.has_value());
  EXPECT_THAT(binary.body.substr(0, *binary.json_length),
              HasSubstr(R"("parameters":{"binary_data_size":16})"));
  EXPECT_EQ(binary.body.substr(*binary.json_length),
            std::string(reinterpret_cast<const char*>(values), 16));
}

TEST(V2JsonTest, ErrorBodyEscapesTheMessage) {
  EXPECT_EQ(ErrorJson("bad \"x\"\n"), R"({"error":"bad \"x\"\n"})");
  // Invalid UTF-8 cannot break the body.
  EXPECT_THAT(ErrorJson("\xff"), HasSubstr("error"));
}

}  // namespace
}  // namespace brainserve::server::http
