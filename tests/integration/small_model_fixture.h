// Shared fixture of the ModelService API tests: a real server with one small
// model, "small": input [4] -> fc Linear(8) -> norm LayerNorm -> act ReLU ->
// head Linear(3).
#ifndef BRAINSERVE_TESTS_INTEGRATION_SMALL_MODEL_FIXTURE_H_
#define BRAINSERVE_TESTS_INTEGRATION_SMALL_MODEL_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {

inline constexpr char kSmallMlp[] = R"json({
  "name": "small", "seed": 5,
  "spec": {"input_shape": [4], "layers": [
    {"name": "fc", "linear": {"out_size": 8}},
    {"name": "norm", "layer_norm": {}},
    {"name": "act", "activation": {"function": "RELU"}},
    {"name": "head", "linear": {"out_size": 3}}]}})json";

class ModelServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(CreateModel(stub(), CreateRequestFromJson(kSmallMlp)).ok());
  }
  v1::ModelService::Stub& stub() { return server_->stub(); }

  grpc::Status ForwardSmall(v1::ForwardRequest request,
                            v1::ForwardResponse* response = nullptr) {
    v1::ForwardResponse local;
    if (request.model().empty()) request.set_model("small");
    return Forward(stub(), request, response ? response : &local);
  }

  static v1::ForwardRequest Input(v1::Tensor input) {
    v1::ForwardRequest request;
    request.set_model("small");
    *request.mutable_input() = std::move(input);
    return request;
  }

  grpc::Status Update(const v1::UpdateParametersRequest& request,
                      v1::UpdateParametersResponse* response = nullptr) {
    v1::UpdateParametersResponse local;
    return stub().UpdateParameters(Context().get(), request,
                                   response ? response : &local);
  }

  std::unique_ptr<TestServer> server_;
};

inline void ExpectStatus(const grpc::Status& status, grpc::StatusCode code,
                         const std::string& substring) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr(substring));
}

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_INTEGRATION_SMALL_MODEL_FIXTURE_H_
