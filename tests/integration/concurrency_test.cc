// N clients forward while two others stream ADD updates with
// expected_version: versions grow by exactly one per successful update, no
// update is lost (final parameters == sum of the deltas) and no forward sees
// a torn update (every output matches exactly the version it reports).
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

// y = x W + b with W, b starting at 0. Every update ADDs 1 to all of W and
// b in one request, so after k updates (version k+1) the all-ones input
// gives y_j = 4k + k = 5k exactly; a torn update would give 4k + (k-1) or
// 4(k-1) + k.
constexpr char kAccumulator[] = R"json({"name": "acc", "spec": {
    "input_shape": [4], "layers": [{"name": "fc", "linear": {"out_size": 3,
    "w_init": {"constant": {"value": 0}}, "b_init": {"constant": {"value": 0}}
    }}]}, "batching": {"max_batch_size": 8}})json";

v1::UpdateParametersRequest AddOnes(uint64_t expected_version) {
  v1::UpdateParametersRequest request;
  request.set_model("acc");
  request.set_expected_version(expected_version);
  auto* w = request.add_updates();
  w->set_layer("fc");
  w->set_name("weight");
  w->set_mode(v1::ParameterUpdate::ADD);
  *w->mutable_value() = ValuesTensor({4, 3}, std::vector<float>(12, 1.0f));
  auto* b = request.add_updates();
  b->set_layer("fc");
  b->set_name("bias");
  b->set_mode(v1::ParameterUpdate::ADD);
  *b->mutable_value() = RawTensor({3}, std::vector<float>(3, 1.0f));
  return request;
}

TEST(ConcurrencyTest, ForwardsDuringExpectedVersionUpdateStream) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(
      CreateModel(server->stub(), CreateRequestFromJson(kAccumulator)).ok());

  constexpr int kUpdaters = 2;
  constexpr int kUpdatesEach = 20;
  constexpr int kForwarders = 4;
  std::atomic<int> updaters_done{0};
  std::vector<std::vector<uint64_t>> won(kUpdaters);
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int u = 0; u < kUpdaters; ++u) {
    threads.emplace_back([&, u] {
      auto stub = server->NewStub();
      uint64_t expected = 1;
      while (static_cast<int>(won[u].size()) < kUpdatesEach) {
        v1::UpdateParametersResponse response;
        grpc::Status status = stub->UpdateParameters(
            Context().get(), AddOnes(expected), &response);
        if (status.ok()) {
          EXPECT_EQ(response.version(), expected + 1);
          won[u].push_back(response.version());
          expected = response.version();
        } else {
          ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
              << status.error_message();
          ++conflicts;
          v1::GetModelRequest get;
          get.set_name("acc");
          v1::ModelInfo info;
          ASSERT_TRUE(stub->GetModel(Context().get(), get, &info).ok());
          expected = info.version();
        }
      }
      ++updaters_done;
    });
  }
  std::atomic<int> forwards{0};
  for (int f = 0; f < kForwarders; ++f) {
    threads.emplace_back([&, f] {
      auto stub = server->NewStub();
      uint64_t last_version = 0;
      v1::ForwardRequest request;
      request.set_model("acc");
      const int64_t rows = 1 + f % 2;
      *request.mutable_input() =
          ValuesTensor({rows, 4}, std::vector<float>(rows * 4, 1.0f));
      while (updaters_done < kUpdaters || forwards < 50) {
        v1::ForwardResponse response;
        ASSERT_TRUE(Forward(*stub, request, &response).ok());
        ++forwards;
        const uint64_t version = response.version();
        EXPECT_GE(version, last_version) << "versions went backwards";
        last_version = version;
        const float want = 5.0f * static_cast<float>(version - 1);
        for (float y : TensorData(response.output())) {
          ASSERT_EQ(y, want) << "torn update at version " << version;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  // Every successful update got a distinct version; together exactly 2..N+1.
  std::set<uint64_t> versions;
  for (const auto& list : won) {
    for (size_t i = 1; i < list.size(); ++i) EXPECT_LT(list[i - 1], list[i]);
    versions.insert(list.begin(), list.end());
  }
  constexpr int kTotal = kUpdaters * kUpdatesEach;
  ASSERT_EQ(versions.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(*versions.begin(), 2u);
  EXPECT_EQ(*versions.rbegin(), static_cast<uint64_t>(kTotal + 1));

  v1::GetParametersRequest get;
  get.set_model("acc");
  v1::GetParametersResponse params;
  ASSERT_TRUE(server->stub().GetParameters(Context().get(), get, &params).ok());
  EXPECT_EQ(params.version(), static_cast<uint64_t>(kTotal + 1));
  ASSERT_EQ(params.parameters_size(), 2);
  EXPECT_THAT(TensorData(params.parameters(0).value()),
              ::testing::Each(static_cast<float>(kTotal)));
  EXPECT_THAT(TensorData(params.parameters(1).value()),
              ::testing::Each(static_cast<float>(kTotal)));
}

TEST(ConcurrencyTest, DeleteWhileForwardsAreInFlight) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(
      CreateModel(server->stub(), CreateRequestFromJson(kAccumulator)).ok());
  std::atomic<bool> deleted{false};
  std::atomic<int> completed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      auto stub = server->NewStub();
      v1::ForwardRequest request;
      request.set_model("acc");
      *request.mutable_input() = ValuesTensor({1, 4}, {1, 1, 1, 1});
      // Forward until a request sent after the delete got NOT_FOUND.
      for (int i = 0; i < 100000; ++i) {
        const bool was_deleted = deleted;
        v1::ForwardResponse response;
        const grpc::Status status = Forward(*stub, request, &response);
        ++completed;
        // In flight across the delete: OK, NOT_FOUND, or UNAVAILABLE from
        // the retiring queue; never anything else, never a hang.
        ASSERT_TRUE(status.ok() ||
                    status.error_code() == grpc::StatusCode::NOT_FOUND ||
                    status.error_code() == grpc::StatusCode::UNAVAILABLE)
            << status.error_code() << " " << status.error_message();
        if (was_deleted) {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
          return;
        }
      }
      ADD_FAILURE() << "the delete never took effect";
    });
  }
  ASSERT_TRUE(WaitFor([&] { return completed >= 40; }));
  v1::DeleteModelRequest del;
  del.set_name("acc");
  v1::DeleteModelResponse response;
  ASSERT_TRUE(server->stub().DeleteModel(Context().get(), del, &response).ok());
  deleted = true;
  for (auto& t : clients) t.join();
}

}  // namespace
}  // namespace brainserve::testing
