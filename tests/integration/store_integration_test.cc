// The model store seen through a real in-process server on port 0: store
// metrics move with the changes they count, compaction folds the log in the
// background, and updates never wait behind another model's creation.
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

server::ServerOptions SqliteOptions(const std::string& tag) {
  server::ServerOptions options = TestServerOptions();
  std::string dir = absl::StrCat(::testing::TempDir(), "/store-it-", tag, "-",
                                 getpid(), "-XXXXXX");
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  options.store = "sqlite:" + dir + "/state.db";
  return options;
}

grpc::Status AddToBias(v1::ModelService::Stub& stub, const std::string& model) {
  v1::UpdateParametersRequest request;
  request.set_model(model);
  v1::ParameterUpdate* update = request.add_updates();
  update->set_layer("fc");
  update->set_name("bias");
  update->set_mode(v1::ParameterUpdate::ADD);
  *update->mutable_value() = ValuesTensor({2}, {0.5f, -0.5f});
  v1::UpdateParametersResponse response;
  return stub.UpdateParameters(Context().get(), request, &response);
}

constexpr char kSmall[] = R"({"name": "small",
  "spec": {"input_shape": [3], "layers": [{"name": "fc", "linear": {"out_size": 2}}]}})";

double Metric(TestServer& server, const std::string& name,
              std::map<std::string, std::string> labels = {}) {
  return MetricValue(server.Scrape(), name, labels).value_or(-1);
}

TEST(StoreIntegrationTest, StoreMetricsCountCommitsAndFailuresStartAtZero) {
  auto server = TestServer::Start(SqliteOptions("metrics"));
  ASSERT_NE(server, nullptr);
  for (const char* op :
       {"create_model", "delete_model", "append_update", "write_snapshot"}) {
    EXPECT_EQ(Metric(*server, "brainserve_store_commit_failures_total",
                     {{"operation", op}}),
              0)
        << op << " is exported at 0 before any failure";
  }
  ASSERT_TRUE(CreateModel(server->stub(), CreateRequestFromJson(kSmall)).ok());
  ASSERT_TRUE(AddToBias(server->stub(), "small").ok());
  ASSERT_TRUE(AddToBias(server->stub(), "small").ok());
  EXPECT_EQ(Metric(*server, "brainserve_store_commit_duration_seconds_count",
                   {{"operation", "create_model"}}),
            1);
  EXPECT_EQ(Metric(*server, "brainserve_store_commit_duration_seconds_count",
                   {{"operation", "append_update"}}),
            2);
  EXPECT_EQ(Metric(*server, "brainserve_store_log_entries", {{"model", "small"}}),
            2);
}

TEST(StoreIntegrationTest, CompactionFoldsTheLogInTheBackground) {
  server::ServerOptions options = SqliteOptions("compaction");
  options.snapshot_every_updates = 3;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(), CreateRequestFromJson(kSmall)).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AddToBias(server->stub(), "small").ok());
  EXPECT_TRUE(WaitFor([&] {
    return Metric(*server, "brainserve_store_snapshot_duration_seconds_count") == 1 &&
           Metric(*server, "brainserve_store_log_entries", {{"model", "small"}}) == 0;
  })) << server->Scrape();
}

TEST(StoreIntegrationTest, AnUpdateDoesNotWaitBehindALargeCreateModel) {
  server::ServerOptions options = SqliteOptions("queues");
  options.admin_threads = 1;
  options.update_threads = 1;
  options.limits.max_model_parameter_bytes = int64_t{1} << 30;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(), CreateRequestFromJson(kSmall)).ok());
  // 2 x 4096 x 4096 float32 = 128 MiB to initialize, warm up and commit:
  // seconds of work for the only admin thread.
  auto big = std::async(std::launch::async, [&] {
    auto stub = server->NewStub();
    return CreateModel(*stub, CreateRequestFromJson(R"({"name": "big",
      "spec": {"input_shape": [4096], "layers": [
        {"name": "a", "linear": {"out_size": 4096}},
        {"name": "b", "linear": {"out_size": 4096}}]}})"));
  });
  // Wait until the create is running (it counts as in flight).
  ASSERT_TRUE(WaitFor([&] {
    return Metric(*server, "brainserve_inflight_requests") >= 1;
  }));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(AddToBias(server->stub(), "small").ok());
  }
  EXPECT_EQ(big.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "five updates finished while the large CreateModel was still running";
  EXPECT_TRUE(big.get().ok());
}

}  // namespace
}  // namespace brainserve::testing
