// Metrics after known traffic: counters and histograms move by exactly the
// expected amounts, failed calls are counted by code (model="" when the
// model is unknown), and a deleted model's series disappear.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
    auto request = CreateRequestFromJson(R"({"name": "m", "spec": {
        "input_shape": [4], "layers": [{"name": "fc", "linear":
        {"out_size": 2}}]}, "batching": {"max_batch_size": 1}})");
    ASSERT_TRUE(CreateModel(server_->stub(), request).ok());
  }
  double Value(const std::string& name,
               std::map<std::string, std::string> labels = {}) {
    return MetricValue(server_->Scrape(), name, labels).value_or(-1);
  }
  grpc::StatusCode ForwardRows(const std::string& model, int64_t rows,
                               int64_t width = 4) {
    v1::ForwardRequest request;
    request.set_model(model);
    *request.mutable_input() =
        ValuesTensor({rows, width}, RandomValues(rows * width, 1));
    v1::ForwardResponse response;
    return Forward(server_->stub(), request, &response).error_code();
  }
  grpc::StatusCode UpdateBias(std::optional<uint64_t> expected,
                              const std::string& layer = "fc") {
    v1::UpdateParametersRequest request;
    request.set_model("m");
    if (expected) request.set_expected_version(*expected);
    auto* update = request.add_updates();
    update->set_layer(layer);
    update->set_name("bias");
    update->set_mode(v1::ParameterUpdate::ADD);
    *update->mutable_value() = ValuesTensor({2}, {1, 1});
    v1::UpdateParametersResponse response;
    return server_->stub()
        .UpdateParameters(Context().get(), request, &response)
        .error_code();
  }
  std::unique_ptr<TestServer> server_;
};

TEST_F(MetricsIntegrationTest, CountersAndHistogramsMoveByKnownTraffic) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ForwardRows("m", 2), grpc::OK);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ForwardRows("m", 1, /*width=*/3), grpc::INVALID_ARGUMENT);
  }
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(ForwardRows("ghost", 1), grpc::NOT_FOUND);
  v1::ListModelsResponse list;
  ASSERT_TRUE(server_->stub()
                  .ListModels(Context().get(), v1::ListModelsRequest(), &list)
                  .ok());
  ASSERT_EQ(UpdateBias(1), grpc::OK);
  ASSERT_EQ(UpdateBias(1), grpc::FAILED_PRECONDITION);
  ASSERT_EQ(UpdateBias(std::nullopt, "nope"), grpc::NOT_FOUND);

  const std::string requests = "brainserve_requests_total";
  EXPECT_EQ(Value(requests,
                  {{"model", "m"}, {"method", "CreateModel"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(
      Value(requests, {{"model", "m"}, {"method", "Forward"}, {"code", "OK"}}),
      5);
  EXPECT_EQ(Value(requests, {{"model", "m"},
                             {"method", "Forward"},
                             {"code", "INVALID_ARGUMENT"}}),
            3);
  EXPECT_EQ(
      Value(requests,
            {{"model", ""}, {"method", "Forward"}, {"code", "NOT_FOUND"}}),
      2);
  EXPECT_EQ(Value(requests,
                  {{"model", ""}, {"method", "ListModels"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(Value(requests, {{"model", "m"},
                             {"method", "UpdateParameters"},
                             {"code", "FAILED_PRECONDITION"}}),
            1);
  EXPECT_EQ(Value("brainserve_request_duration_seconds_count",
                  {{"model", "m"}, {"method", "Forward"}}),
            8);
  // Only the 5 valid forwards were queued and computed, one batch each.
  EXPECT_EQ(Value("brainserve_queue_duration_seconds_count", {{"model", "m"}}),
            5);
  EXPECT_EQ(
      Value("brainserve_compute_duration_seconds_count", {{"model", "m"}}), 5);
  EXPECT_EQ(Value("brainserve_batch_size_count", {{"model", "m"}}), 5);
  EXPECT_EQ(Value("brainserve_batch_size_sum", {{"model", "m"}}), 10);
  EXPECT_EQ(Value("brainserve_queue_depth", {{"model", "m"}}), 0);
  EXPECT_EQ(Value("brainserve_model_version", {{"model", "m"}}), 2);
  const std::string updates = "brainserve_parameter_updates_total";
  EXPECT_EQ(Value(updates, {{"model", "m"}, {"code", "OK"}}), 1);
  EXPECT_EQ(Value(updates, {{"model", "m"}, {"code", "FAILED_PRECONDITION"}}),
            1);
  EXPECT_EQ(Value(updates, {{"model", "m"}, {"code", "NOT_FOUND"}}), 1);
  EXPECT_EQ(Value("brainserve_parameter_update_duration_seconds_count",
                  {{"model", "m"}}),
            3);
  EXPECT_EQ(Value("brainserve_inflight_requests"), 0);
  EXPECT_EQ(Value("brainserve_models"), 1);
  EXPECT_EQ(Value("brainserve_build_info"), 1);
}

TEST_F(MetricsIntegrationTest, DeletedModelSeriesGoAway) {
  ASSERT_EQ(ForwardRows("m", 1), grpc::OK);
  EXPECT_THAT(server_->Scrape(), HasSubstr("model=\"m\""));
  v1::DeleteModelRequest del;
  del.set_name("m");
  v1::DeleteModelResponse deleted;
  ASSERT_TRUE(server_->stub().DeleteModel(Context().get(), del, &deleted).ok());
  const std::string scrape = server_->Scrape();
  EXPECT_THAT(scrape, Not(HasSubstr("model=\"m\"")));
  EXPECT_EQ(MetricValue(scrape, "brainserve_models"), 0);
  EXPECT_EQ(
      MetricValue(scrape, "brainserve_requests_total",
                  {{"model", ""}, {"method", "DeleteModel"}, {"code", "OK"}}),
      1);
}

TEST_F(MetricsIntegrationTest, HttpEndpointServesTheExposition) {
  ASSERT_EQ(ForwardRows("m", 1), grpc::OK);
  ASSERT_GT(server_->server().metrics_port(), 0);
  const std::string body =
      HttpGet(server_->server().metrics_port(), "/metrics");
  EXPECT_EQ(
      MetricValue(body, "brainserve_requests_total",
                  {{"model", "m"}, {"method", "Forward"}, {"code", "OK"}}),
      1);
  EXPECT_THAT(body, HasSubstr("# TYPE brainserve_batch_size histogram"));
}

TEST(MetricsDisabledTest, ServerRunsWithTheNullReporter) {
  auto options = TestServerOptions();
  options.metrics_listen_address = "";
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->server().metrics_port(), 0);
  EXPECT_EQ(server->Scrape(), "");
  ASSERT_TRUE(CreateModel(server->stub(),
                          CreateRequestFromJson(
                              R"({"name": "i", "spec": {"input_shape": [2]}})"))
                  .ok());
  v1::ForwardRequest request;
  request.set_model("i");
  *request.mutable_input() = ValuesTensor({1, 2}, {1, 2});
  v1::ForwardResponse response;
  EXPECT_TRUE(Forward(server->stub(), request, &response).ok());
}

}  // namespace
}  // namespace brainserve::testing
