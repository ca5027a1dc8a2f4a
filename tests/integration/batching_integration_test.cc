// Dynamic batching through the API: concurrent requests form real batches
// (read from brainserve_batch_size), batched outputs equal unbatched ones
// bit for bit, a full queue answers RESOURCE_EXHAUSTED at once, and requests
// whose deadline passes or whose client cancels while queued are dropped
// without compute.
#include <atomic>
#include <cstring>
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

// input [32] -> fc Linear(64) -> norm LayerNorm -> act ReLU -> head Linear(8)
v1::CreateModelRequest Mlp(const std::string& name, int64_t max_batch_size,
                           int64_t max_queue_delay_us) {
  auto request = CreateRequestFromJson(R"({"seed": 11, "spec": {
      "input_shape": [32], "layers": [
        {"name": "fc", "linear": {"out_size": 64}},
        {"name": "norm", "layer_norm": {}},
        {"name": "act", "activation": {"function": "RELU"}},
        {"name": "head", "linear": {"out_size": 8}}]}})");
  request.set_name(name);
  request.mutable_batching()->set_max_batch_size(max_batch_size);
  request.mutable_batching()->set_max_queue_delay_us(max_queue_delay_us);
  return request;
}

double Metric(TestServer& server, const std::string& name,
              std::map<std::string, std::string> labels) {
  return MetricValue(server.Scrape(), name, labels).value_or(-1);
}

// Request i of the batching mix: 1 or 2 rows, raw encoding, and for every
// third request a LayerNorm mask (others run unmasked in the same batch).
v1::ForwardRequest MixRequest(const std::string& model, int i) {
  const int64_t rows = (i % 4 == 0) ? 2 : 1;
  v1::ForwardRequest request;
  request.set_model(model);
  *request.mutable_input() =
      RawTensor({rows, 32}, RandomValues(rows * 32, 100 + i));
  if (i % 3 == 0) {
    std::vector<float> mask(64, 1.0f);
    for (int j = 0; j < 64; j += 2 + i % 5) mask[j] = 0.0f;
    (*request.mutable_masks())["norm"] = RawTensor({64}, mask);
  }
  return request;
}

TEST(BatchingIntegrationTest,
     ConcurrentClientsFormBatchesWithUnbatchedResults) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  // The delay lets the 32 requests meet in the queue; batches leave full
  // (the last, partial one after the delay).
  ASSERT_TRUE(CreateModel(server->stub(), Mlp("batched", 16, 500'000)).ok());
  ASSERT_TRUE(CreateModel(server->stub(), Mlp("alone", 1, 0)).ok());

  constexpr int kClients = 32;
  std::vector<v1::ForwardResponse> batched(kClients);
  std::vector<grpc::Status> statuses(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto stub = server->NewStub();
      statuses[i] = Forward(*stub, MixRequest("batched", i), &batched[i]);
    });
  }
  for (auto& t : clients) t.join();
  int64_t rows = 0;
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_message();
    rows += MixRequest("batched", i).input().shape(0);
  }

  const double batches =
      Metric(*server, "brainserve_batch_size_count", {{"model", "batched"}});
  const double batch_rows =
      Metric(*server, "brainserve_batch_size_sum", {{"model", "batched"}});
  EXPECT_EQ(batch_rows, static_cast<double>(rows));
  EXPECT_GE(batches, 1);
  EXPECT_LT(batches, kClients) << "requests must have shared batches";
  // Executed batches larger than one row: fewer single-row batches than all.
  EXPECT_LT(Metric(*server, "brainserve_batch_size_bucket",
                   {{"model", "batched"}, {"le", "1"}}),
            batches);

  for (int i = 0; i < kClients; ++i) {
    v1::ForwardResponse alone;
    ASSERT_TRUE(Forward(server->stub(), MixRequest("alone", i), &alone).ok());
    const std::string& a = batched[i].output().raw();
    const std::string& b = alone.output().raw();
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size()), 0)
        << "request " << i << " differs between batched and unbatched runs";
    EXPECT_EQ(batched[i].version(), 1u);
  }
}

TEST(BatchingIntegrationTest, RequestLargerThanMaxBatchSizeRunsAlone) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(), Mlp("small-batches", 4, 0)).ok());
  v1::ForwardRequest request;
  request.set_model("small-batches");
  *request.mutable_input() = ValuesTensor({40, 32}, RandomValues(40 * 32, 9));
  v1::ForwardResponse response;
  ASSERT_TRUE(Forward(server->stub(), request, &response).ok());
  EXPECT_EQ(response.output().shape(0), 40);
  EXPECT_EQ(Metric(*server, "brainserve_batch_size_sum",
                   {{"model", "small-batches"}}),
            40);
}

TEST(BatchingIntegrationTest, TinyQueueRejectsTheExcessOfABurst) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  // Nothing leaves the queue for 1 s, so the burst meets a queue of 2.
  auto request = Mlp("tiny", 64, 1'000'000);
  request.mutable_batching()->set_max_queue_size(2);
  ASSERT_TRUE(CreateModel(server->stub(), request).ok());

  constexpr int kBurst = 10;
  std::vector<grpc::Status> statuses(kBurst);
  std::vector<std::thread> clients;
  for (int i = 0; i < kBurst; ++i) {
    clients.emplace_back([&, i] {
      v1::ForwardResponse response;
      statuses[i] = Forward(server->stub(), MixRequest("tiny", i), &response);
    });
  }
  for (auto& t : clients) t.join();
  int ok = 0, exhausted = 0;
  for (const grpc::Status& status : statuses) {
    if (status.ok()) ++ok;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_THAT(status.error_message(), HasSubstr("max_queue_size"));
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(exhausted, kBurst - 2);
  EXPECT_EQ(Metric(*server, "brainserve_requests_total",
                   {{"model", "tiny"}, {"code", "RESOURCE_EXHAUSTED"}}),
            kBurst - 2);
  // Still healthy and serving: a full batch (64 rows) leaves at once.
  v1::ForwardRequest full;
  full.set_model("tiny");
  *full.mutable_input() = RawTensor({64, 32}, RandomValues(64 * 32, 5));
  v1::ForwardResponse response;
  EXPECT_TRUE(Forward(server->stub(), full, &response).ok());
}

TEST(BatchingIntegrationTest, DeadlinePassingWhileQueuedSkipsCompute) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  // A lone request waits up to 3 s for its batch; its deadline is 300 ms.
  ASSERT_TRUE(CreateModel(server->stub(), Mlp("patient", 64, 3'000'000)).ok());
  v1::ForwardResponse response;
  const grpc::Status status =
      server->stub().Forward(Context(absl::Milliseconds(300)).get(),
                             MixRequest("patient", 1), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server answered it DEADLINE_EXCEEDED itself, without computing.
  EXPECT_TRUE(WaitFor([&] {
    return Metric(*server, "brainserve_requests_total",
                  {{"model", "patient"}, {"code", "DEADLINE_EXCEEDED"}}) == 1;
  }));
  EXPECT_EQ(
      Metric(*server, "brainserve_batch_size_count", {{"model", "patient"}}),
      0);
  EXPECT_EQ(Metric(*server, "brainserve_queue_depth", {{"model", "patient"}}),
            0);
}

TEST(BatchingIntegrationTest, CancelledWhileQueuedSkipsCompute) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  // The cancelled request leaves the queue at the next sweep, at the latest
  // when its batch would have gone out (2 s).
  ASSERT_TRUE(CreateModel(server->stub(), Mlp("patient", 64, 2'000'000)).ok());
  auto context = Context();
  grpc::Status status;
  std::thread client([&] {
    v1::ForwardResponse response;
    status = server->stub().Forward(context.get(), MixRequest("patient", 1),
                                    &response);
  });
  ASSERT_TRUE(WaitFor([&] {
    return Metric(*server, "brainserve_queue_depth", {{"model", "patient"}}) ==
           1;
  }));
  context->TryCancel();
  client.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] {
    return Metric(*server, "brainserve_requests_total",
                  {{"model", "patient"}, {"code", "CANCELLED"}}) == 1;
  }));
  EXPECT_EQ(
      Metric(*server, "brainserve_batch_size_count", {{"model", "patient"}}),
      0);
}

}  // namespace
}  // namespace brainserve::testing
