// A model's update queue in a real server (port 0, real clients): updates of
// one model are bounded by --max_pending_updates (RESOURCE_EXHAUSTED naming
// the model and the flag, nothing applied), the accepted ones are applied in
// order with contiguous versions, and their queue time and the pending count
// are exported.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kWidth = 1024;  // a 4 MiB standardized weight: a slow update

v1::UpdateParametersRequest WeightReplace(uint32_t seed) {
  v1::UpdateParametersRequest request;
  request.set_model("big");
  v1::ParameterUpdate* update = request.add_updates();
  update->set_layer("fc");
  update->set_name("weight");
  update->set_mode(v1::ParameterUpdate::REPLACE);
  *update->mutable_value() =
      RawTensor({kWidth, kWidth}, RandomValues(int64_t{kWidth} * kWidth, seed));
  return request;
}

TEST(UpdateQueueTest, UpdatesBeyondMaxPendingAreRefusedTheRestApplyInOrder) {
  auto options = TestServerOptions();
  options.max_pending_updates = 1;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(),
                          CreateRequestFromJson(absl::StrCat(
                              R"({"name": "big", "spec": {"input_shape": [)",
                              kWidth, R"(], "layers": [{"name": "fc",
                              "scaled_ws_linear": {"out_size": )",
                              kWidth, "}}]}}")))
                  .ok());

  // Rounds of 8 concurrent clients: with one update allowed in the model's
  // queue, the ones arriving while it runs are refused.
  constexpr int kClients = 8;
  std::vector<uint64_t> versions;
  int refused = 0;
  for (int round = 0; round < 20 && refused == 0; ++round) {
    std::vector<grpc::Status> statuses(kClients);
    std::vector<uint64_t> round_versions(kClients, 0);
    std::vector<v1::UpdateParametersRequest> requests;
    for (int i = 0; i < kClients; ++i) {
      requests.push_back(WeightReplace(round * kClients + i));
    }
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        auto stub = server->NewStub();
        v1::UpdateParametersResponse response;
        statuses[i] =
            stub->UpdateParameters(Context().get(), requests[i], &response);
        round_versions[i] = response.version();
      });
    }
    for (auto& t : clients) t.join();
    for (int i = 0; i < kClients; ++i) {
      if (statuses[i].ok()) {
        versions.push_back(round_versions[i]);
        continue;
      }
      ASSERT_EQ(statuses[i].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << statuses[i].error_message();
      EXPECT_THAT(statuses[i].error_message(), HasSubstr("model 'big'"));
      EXPECT_THAT(statuses[i].error_message(),
                  HasSubstr("--max_pending_updates 1"));
      ++refused;
    }
  }
  ASSERT_GT(refused, 0) << "no update was ever refused";
  ASSERT_FALSE(versions.empty());

  // Accepted updates got versions 2, 3, ... with no gap: nothing refused was
  // applied.
  std::sort(versions.begin(), versions.end());
  for (size_t i = 0; i < versions.size(); ++i) {
    EXPECT_EQ(versions[i], i + 2);
  }
  v1::GetModelRequest get;
  get.set_name("big");
  v1::ModelInfo info;
  ASSERT_TRUE(server->stub().GetModel(Context().get(), get, &info).ok());
  EXPECT_EQ(info.version(), versions.size() + 1);

  // Every accepted update recorded its queue time; none is pending once the
  // last one's thread has finished (it answers its caller first, then the
  // queue counts it done: wait for that, a few milliseconds at most).
  std::string metrics = server->Scrape();
  for (int i = 0; i < 500 && MetricValue(metrics, "brainserve_pending_updates",
                                         {{"model", "big"}}) != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    metrics = server->Scrape();
  }
  EXPECT_EQ(MetricValue(metrics, "brainserve_update_queue_duration_seconds_count",
                        {{"model", "big"}}),
            static_cast<double>(versions.size()));
  EXPECT_EQ(MetricValue(metrics, "brainserve_pending_updates",
                        {{"model", "big"}}),
            0);
  EXPECT_EQ(MetricValue(metrics, "brainserve_parameter_updates_total",
                        {{"model", "big"}, {"code", "OK"}}),
            static_cast<double>(versions.size()));
  EXPECT_EQ(MetricValue(metrics, "brainserve_requests_total",
                        {{"model", "big"},
                         {"method", "UpdateParameters"},
                         {"code", "RESOURCE_EXHAUSTED"}}),
            static_cast<double>(refused));
}

TEST(UpdateQueueTest, TheBoundIsPerModel) {
  // One model's full queue does not refuse another model's update.
  auto options = TestServerOptions();
  options.max_pending_updates = 1;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  for (const char* name : {"big", "other"}) {
    ASSERT_TRUE(CreateModel(server->stub(),
                            CreateRequestFromJson(absl::StrCat(
                                R"({"name": ")", name,
                                R"(", "spec": {"input_shape": [)", kWidth,
                                R"(], "layers": [{"name": "fc",
                                "scaled_ws_linear": {"out_size": )",
                                kWidth, "}}]}}")))
                    .ok());
  }
  // Two clients per model at once, many rounds: every refusal names the
  // model it was for, and each model gets updates through in every round.
  for (int round = 0; round < 5; ++round) {
    std::vector<grpc::Status> statuses(4);
    std::vector<std::thread> clients;
    for (int i = 0; i < 4; ++i) {
      clients.emplace_back([&, i] {
        auto request = WeightReplace(round * 4 + i);
        request.set_model(i % 2 == 0 ? "big" : "other");
        v1::UpdateParametersResponse response;
        statuses[i] = server->NewStub()->UpdateParameters(Context().get(),
                                                          request, &response);
      });
    }
    for (auto& t : clients) t.join();
    for (int model = 0; model < 2; ++model) {
      const std::string name = model == 0 ? "big" : "other";
      EXPECT_TRUE(statuses[model].ok() || statuses[model + 2].ok())
          << name << ": both refused in round " << round;
      for (int i : {model, model + 2}) {
        if (statuses[i].ok()) continue;
        EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
        EXPECT_THAT(statuses[i].error_message(),
                    HasSubstr(absl::StrCat("model '", name, "'")));
      }
    }
  }
}

}  // namespace
}  // namespace brainserve::testing
