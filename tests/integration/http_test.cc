// The HTTP/REST front end against a real in-process server, with a real HTTP
// client (cpp-httplib): every /v2 route of the Open Inference Protocol
// (JSON and binary tensor data), every /v1 route of brainserve's own
// operations, and every documented error with its HTTP status and
// {"error": ...} body. Inference results equal Forward's bitwise.
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/integration/small_model_fixture.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

std::string FloatsJson(const std::vector<float>& values) {
  std::vector<std::string> parts;
  for (float v : values) parts.push_back(Json(v).dump());
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

std::string InferJson(const std::vector<float>& x, int64_t rows,
                      const std::string& extra = "") {
  return absl::StrCat(
      R"({"id":"r1","inputs":[{"name":"input","datatype":"FP32","shape":[)",
      rows, ",", static_cast<int64_t>(x.size()) / rows, R"(],"data":)",
      FloatsJson(x), "}]", extra, "}");
}

class HttpTest : public ModelServiceTest {
 protected:
  void SetUp() override {
    server::ServerOptions options = TestServerOptions();
    options.http.max_body_bytes = 64 << 10;
    // A version ahead of the model is waited for this long (model_reader.h).
    options.max_min_version_wait_ms = 300;
    server_ = TestServer::Start(options);
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(CreateModel(stub(), CreateRequestFromJson(kSmallMlp)).ok());
    ASSERT_GT(server_->server().http_port(), 0);
    client_ = std::make_unique<httplib::Client>(
        "127.0.0.1", server_->server().http_port());
    client_->set_read_timeout(30, 0);
  }

  // The response, or a failed test (status -1) if the request did not
  // complete.
  httplib::Response Get(const std::string& path) {
    return Done(client_->Get(path.c_str()));
  }
  httplib::Response Post(const std::string& path, const std::string& body,
                         const httplib::Headers& headers = {},
                         const char* type = "application/json") {
    return Done(client_->Post(path.c_str(), headers, body, type));
  }
  httplib::Response Delete(const std::string& path) {
    return Done(client_->Delete(path.c_str()));
  }

  std::vector<float> ForwardOutput(const std::vector<float>& x, int64_t rows) {
    v1::ForwardResponse forward;
    EXPECT_TRUE(ForwardSmall(Input(ValuesTensor({rows, 4}, x)), &forward).ok());
    return TensorData(forward.output());
  }

  std::unique_ptr<httplib::Client> client_;

 private:
  static httplib::Response Done(const httplib::Result& result) {
    if (!result) {
      ADD_FAILURE() << "HTTP request failed: " << httplib::to_string(result.error());
      httplib::Response failed;
      failed.status = -1;
      return failed;
    }
    return *result;
  }
};

// Status and the {"error": ...} body naming `substring`.
void ExpectError(const httplib::Response& response, int status,
                 const std::string& substring) {
  EXPECT_EQ(response.status, status) << response.body;
  Json body = Json::parse(response.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << response.body;
  ASSERT_TRUE(body.contains("error")) << response.body;
  EXPECT_THAT(body["error"].get<std::string>(), HasSubstr(substring));
  EXPECT_EQ(response.get_header_value("Content-Type"), "application/json");
}

void ExpectBitwiseEqual(const std::vector<float>& a,
                        const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

std::vector<float> JsonFloats(const Json& data) {
  std::vector<float> out;
  for (const Json& v : data) out.push_back(v.get<float>());
  return out;
}

TEST_F(HttpTest, HealthAndServerMetadata) {
  EXPECT_EQ(Get("/v2/health/live").status, 200);
  EXPECT_EQ(Get("/v2/health/ready").status, 200);
  httplib::Response metadata = Get("/v2");
  ASSERT_EQ(metadata.status, 200);
  Json json = Json::parse(metadata.body);
  EXPECT_EQ(json["name"], "brainserve");
  EXPECT_EQ(json["extensions"], Json::array({"binary_tensor_data"}));
  server_->server().EnterDraining();
  ExpectError(Get("/v2/health/ready"), 400, "not ready");
  EXPECT_EQ(Get("/v2/health/live").status, 200);
}

TEST_F(HttpTest, ModelMetadataAndReadiness) {
  httplib::Response metadata = Get("/v2/models/small");
  ASSERT_EQ(metadata.status, 200);
  Json json = Json::parse(metadata.body);
  EXPECT_EQ(json["name"], "small");
  EXPECT_EQ(json["versions"], Json::array({"1"}));
  EXPECT_EQ(json["inputs"][0]["name"], "input");
  EXPECT_EQ(json["inputs"][0]["datatype"], "FP32");
  EXPECT_EQ(json["inputs"][0]["shape"], Json::array({-1, 4}));
  EXPECT_EQ(json["outputs"][0]["name"], "output");
  EXPECT_EQ(json["outputs"][0]["shape"], Json::array({-1, 3}));
  EXPECT_EQ(Get("/v2/models/small/versions/1").status, 200);
  ExpectError(Get("/v2/models/small/versions/2"), 400, "version 2");
  ExpectError(Get("/v2/models/nope"), 404, "nope");

  EXPECT_EQ(Get("/v2/models/small/ready").status, 200);
  EXPECT_EQ(Get("/v2/models/small/versions/1/ready").status, 200);
  ExpectError(Get("/v2/models/small/versions/9/ready"), 400, "not ready");
  ExpectError(Get("/v2/models/nope/ready"), 400, "not ready");
  ExpectError(Get("/v2/models/small/versions/x/ready"), 400, "version");
}

TEST_F(HttpTest, InferJsonEqualsForwardBitwise) {
  for (int64_t rows : {1, 7}) {
    SCOPED_TRACE(rows);
    const std::vector<float> x = RandomValues(rows * 4, 60 + rows);
    httplib::Response response = Post("/v2/models/small/infer", InferJson(x, rows));
    ASSERT_EQ(response.status, 200) << response.body;
    Json json = Json::parse(response.body);
    EXPECT_EQ(json["model_name"], "small");
    EXPECT_EQ(json["model_version"], "1");
    EXPECT_EQ(json["id"], "r1");
    EXPECT_EQ(json["outputs"][0]["name"], "output");
    EXPECT_EQ(json["outputs"][0]["datatype"], "FP32");
    EXPECT_EQ(json["outputs"][0]["shape"], Json::array({rows, 3}));
    ExpectBitwiseEqual(JsonFloats(json["outputs"][0]["data"]),
                       ForwardOutput(x, rows));
  }
}

TEST_F(HttpTest, InferAcceptsNestedData) {
  const std::vector<float> x = {0.5f, -1, 2, 0.25f, 1, 1, -3, 4};
  const std::string body =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[2,4],)"
      R"("data":[[0.5,-1,2,0.25],[1,1,-3,4]]}],"outputs":[{"name":"output"}]})";
  httplib::Response response = Post("/v2/models/small/infer", body);
  ASSERT_EQ(response.status, 200) << response.body;
  ExpectBitwiseEqual(JsonFloats(Json::parse(response.body)["outputs"][0]["data"]),
                     ForwardOutput(x, 2));
}

TEST_F(HttpTest, InferBinaryTensorDataEqualsForwardBitwise) {
  const std::vector<float> x = RandomValues(7 * 4, 77);
  const std::string header =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[7,4],)"
      R"("parameters":{"binary_data_size":112}}],)"
      R"("outputs":[{"name":"output","parameters":{"binary_data":true}}]})";
  std::string body = header;
  body.append(reinterpret_cast<const char*>(x.data()), x.size() * sizeof(float));
  httplib::Response response =
      Post("/v2/models/small/versions/1/infer", body,
           {{"Inference-Header-Content-Length", absl::StrCat(header.size())}},
           "application/octet-stream");
  ASSERT_EQ(response.status, 200) << response.body;
  const size_t json_length =
      std::stoul(response.get_header_value("Inference-Header-Content-Length"));
  Json json = Json::parse(response.body.substr(0, json_length));
  EXPECT_EQ(json["outputs"][0]["parameters"]["binary_data_size"], 7 * 3 * 4);
  EXPECT_FALSE(json["outputs"][0].contains("data"));
  const std::string binary = response.body.substr(json_length);
  ASSERT_EQ(binary.size(), 7u * 3 * 4);
  std::vector<float> y(7 * 3);
  std::memcpy(y.data(), binary.data(), binary.size());
  ExpectBitwiseEqual(y, ForwardOutput(x, 7));

  // JSON in, binary out for the whole request.
  response = Post("/v2/models/small/infer",
                  InferJson(x, 7, R"(,"parameters":{"binary_data_output":true})"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.get_header_value("Content-Type"), "application/octet-stream");
}

TEST_F(HttpTest, InferErrorsHaveTheDocumentedStatus) {
  const std::vector<float> x = RandomValues(8, 5);
  ExpectError(Post("/v2/models/nope/infer", InferJson(x, 2)), 404, "nope");
  // The model of the path is checked before the body is read.
  ExpectError(Post("/v2/models/nope/infer", "not json"), 404, "nope");
  ExpectError(Post("/v2/models/bad%20name/infer", "{}"), 400, "model_name");
  ExpectError(Post("/v2/models/small/infer", "{\"inputs\": ["), 400,
              "not valid JSON");
  ExpectError(Post("/v2/models/small/infer", "[]"), 400, "not a JSON object");
  ExpectError(Post("/v2/models/small/infer", "{}"), 400, "inputs");
  ExpectError(Post("/v2/models/small/infer", InferJson(x, 1)), 400,
              "inputs[0].shape: [1, 8]");
  std::string int32 = InferJson(x, 2);
  int32.replace(int32.find("FP32"), 4, "INT32");
  ExpectError(Post("/v2/models/small/infer", int32), 400, "inputs[0].datatype");
  ExpectError(
      Post("/v2/models/small/infer",
           R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],)"
           R"("data":[1,2,"three",4]}]})"),
      400, "inputs[0].data: element 2 is string");
  ExpectError(Post("/v2/models/small/infer",
                   InferJson(x, 2, R"(,"outputs":[{"name":"logits"}])")),
              400, "outputs[0].name");
  ExpectError(Post("/v2/models/small/versions/5/infer", InferJson(x, 2)), 503,
              "model_version: model 'small' is at version 1 on this replica; "
              "version 5 was not applied in time");
  ExpectError(Post("/v2/models/small/infer", InferJson(x, 2),
                   {{"Inference-Header-Content-Length", "9999"}}),
              400, "Inference-Header-Content-Length");
  ExpectError(Post("/v2/models/small/infer", std::string(100 << 10, ' ')), 413,
              "too large");
  ExpectError(Get("/v2/nowhere"), 404, "no route");
}

TEST_F(HttpTest, FullQueueIs429) {
  auto request = CreateRequestFromJson(kSmallMlp);
  request.set_name("tiny");
  request.mutable_batching()->set_max_queue_delay_us(1'000'000);
  request.mutable_batching()->set_max_queue_size(2);
  ASSERT_TRUE(CreateModel(stub(), request).ok());
  constexpr int kBurst = 8;
  std::vector<int> statuses(kBurst);
  std::vector<std::thread> clients;
  for (int i = 0; i < kBurst; ++i) {
    clients.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", server_->server().http_port());
      client.set_read_timeout(30, 0);
      auto result = client.Post("/v2/models/tiny/infer",
                                InferJson(RandomValues(4, i), 1),
                                "application/json");
      statuses[i] = result ? result->status : -1;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 2);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 429), kBurst - 2);
}

TEST_F(HttpTest, ModelServiceOperations) {
  // Create.
  httplib::Response created = Post("/v1/models", R"({"name": "web", "seed": 3,
      "spec": {"input_shape": [2], "layers": [{"name": "fc",
      "linear": {"out_size": 2, "w_init": {"constant": {"value": 1}}}}]}})");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(Json::parse(created.body)["version"], "1");
  ExpectError(Post("/v1/models", R"({"name": "web", "spec": {"input_shape": [2]}})"),
              409, "web");
  ExpectError(Post("/v1/models", R"({"name": 5})"), 400, "request body");
  ExpectError(Post("/v1/models", R"({"name": "x y", "spec": {}})"), 400, "name");
  // Get and list.
  httplib::Response info = Get("/v1/models/web");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(Json::parse(info.body)["output_shape"], Json::array({"2"}));
  ExpectError(Get("/v1/models/nope"), 404, "nope");
  Json list = Json::parse(Get("/v1/models").body);
  ASSERT_EQ(list["models"].size(), 2u);
  // Update, guarded by expected_version.
  const std::string add_one = R"({"updates": [{"layer": "fc", "name": "bias",
      "mode": "ADD", "value": {"shape": [2], "values": [1, 1]}}],
      "expected_version": 1})";
  httplib::Response updated = Post("/v1/models/web/parameters", add_one);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Json::parse(updated.body)["version"], "2");
  ExpectError(Post("/v1/models/web/parameters", add_one), 400,
              "expected_version");
  ExpectError(Post("/v1/models/web/parameters",
                   R"({"model": "other", "updates": []})"),
              400, "path names 'web'");
  ExpectError(Post("/v1/models/web/parameters",
                   R"({"updates": [{"layer": "zz", "name": "bias",
                       "value": {"shape": [2], "values": [1, 1]}}]})"),
              404, "zz");
  // Parameters, then infer through /v2 sees version 2.
  httplib::Response params = Get("/v1/models/web/parameters?layer=fc&name=bias");
  ASSERT_EQ(params.status, 200);
  Json p = Json::parse(params.body);
  EXPECT_EQ(p["version"], "2");
  EXPECT_EQ(p["parameters"][0]["value"]["values"], Json::array({1.0, 1.0}));
  ExpectError(Get("/v1/models/web/parameters?layer=nope"), 404, "nope");
  httplib::Response y = Post("/v2/models/web/infer",
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],"data":[1,2]}]})");
  ASSERT_EQ(y.status, 200) << y.body;
  Json out = Json::parse(y.body);
  EXPECT_EQ(out["model_version"], "2");
  EXPECT_EQ(out["outputs"][0]["data"], Json::array({4.0, 4.0}));
  // Delete.
  EXPECT_EQ(Delete("/v1/models/web").status, 200);
  ExpectError(Delete("/v1/models/web"), 404, "web");
  ExpectError(Post("/v2/models/web/infer",
                   R"({"inputs":[{"name":"input","datatype":"FP32",)"
                   R"("shape":[1,2],"data":[1,2]}]})"),
              404, "web");
}

TEST_F(HttpTest, RequestsAreRecordedInTheMetrics) {
  const std::vector<float> x = RandomValues(4, 9);
  ASSERT_EQ(Post("/v2/models/small/infer", InferJson(x, 1)).status, 200);
  ASSERT_EQ(Post("/v2/models/small/infer", "nope").status, 400);
  ASSERT_EQ(Get("/v1/models/small").status, 200);
  const std::string scrape = server_->Scrape();
  EXPECT_EQ(MetricValue(scrape, "brainserve_requests_total",
                        {{"model", "small"}, {"method", "ModelInfer"},
                         {"code", "OK"}}),
            1);
  // A body that is not JSON never names a model: model="".
  EXPECT_EQ(MetricValue(scrape, "brainserve_requests_total",
                        {{"model", ""}, {"method", "ModelInfer"},
                         {"code", "INVALID_ARGUMENT"}}),
            1);
  EXPECT_EQ(MetricValue(scrape, "brainserve_requests_total",
                        {{"model", "small"}, {"method", "GetModel"},
                         {"code", "OK"}}),
            1);
}

TEST(HttpServerTest, EmptyListenAddressDisablesHttp) {
  server::ServerOptions options = TestServerOptions();
  options.http.listen_address = "";
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->server().http_port(), 0);
}

TEST(HttpServerTest, BadOptionsNameTheFlag) {
  server::ServerOptions options = TestServerOptions();
  options.http.listen_address = "no-port";
  EXPECT_THAT(std::string(server::Server::Create(options).status().message()),
              HasSubstr("--http_listen"));
  options = TestServerOptions();
  options.http.threads = 0;
  EXPECT_THAT(std::string(server::Server::Create(options).status().message()),
              HasSubstr("--http_threads"));
  options = TestServerOptions();
  options.http.max_body_bytes = 0;
  EXPECT_THAT(std::string(server::Server::Create(options).status().message()),
              HasSubstr("--http_max_body_bytes"));
}

TEST(HttpServerTest, PortInUseFailsStartNamingTheFlag) {
  auto first = TestServer::Start();
  ASSERT_NE(first, nullptr);
  server::ServerOptions options = TestServerOptions();
  options.http.listen_address =
      absl::StrCat("127.0.0.1:", first->server().http_port());
  auto second = server::Server::Create(options);
  ASSERT_TRUE(second.ok());
  absl::Status status = (*second)->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--http_listen"));
}

}  // namespace
}  // namespace brainserve::testing
