// Admission by cost in a real server (port 0, real client): batches are cut
// by bytes as well as rows, a Forward over the budget is refused naming the
// limit and its cost, and CreateModel suggests a batch size that fits.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

// [1024] -> linear(1024): a row costs 4 KiB in + 3 x 4 KiB out = 16 KiB,
// plus 4 KiB of scratchpad allowance per Forward.
constexpr int64_t kRowBytes = 16384;
constexpr int64_t kScratchBytes = 4096;

v1::CreateModelRequest SquareModel() {
  auto request = CreateRequestFromJson(R"({"name": "square", "spec": {
      "input_shape": [1024], "layers": [{"linear": {"out_size": 1024}}]}})");
  request.mutable_batching()->set_max_batch_size(256);
  request.mutable_batching()->set_max_queue_delay_us(300000);
  return request;
}

TEST(AdmissionTest, BatchesAreCutByBytes) {
  auto options = TestServerOptions();
  // 80 rows fit, 81 do not.
  options.max_request_memory_bytes = 80 * kRowBytes + kScratchBytes;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(), SquareModel()).ok());

  // 40 requests of 4 rows meet in the queue (300 ms): 160 rows, which one
  // batch of max_batch_size 256 would take; bytes cut them at 80.
  std::vector<grpc::Status> statuses(40);
  std::vector<std::thread> clients;
  for (int i = 0; i < 40; ++i) {
    clients.emplace_back([&, i] {
      auto stub = server->NewStub();
      v1::ForwardRequest request;
      request.set_model("square");
      *request.mutable_input() =
          RawTensor({4, 1024}, RandomValues(4 * 1024, i));
      v1::ForwardResponse response;
      statuses[i] = Forward(*stub, request, &response);
    });
  }
  for (auto& t : clients) t.join();
  for (const grpc::Status& status : statuses) {
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const std::string metrics = server->Scrape();
  EXPECT_EQ(MetricValue(metrics, "brainserve_batch_size_sum",
                        {{"model", "square"}})
                .value_or(-1),
            160);
  EXPECT_GE(MetricValue(metrics, "brainserve_batch_size_count",
                        {{"model", "square"}})
                .value_or(-1),
            2);

  // One request of 81 rows is over the budget: refused, naming both.
  v1::ForwardRequest big;
  big.set_model("square");
  *big.mutable_input() = RawTensor({81, 1024}, RandomValues(81 * 1024, 1));
  v1::ForwardResponse response;
  const grpc::Status refused = Forward(server->stub(), big, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr(absl::StrCat("a Forward of 81 rows needs ",
                                     81 * kRowBytes + kScratchBytes,
                                     " bytes")));
  EXPECT_THAT(refused.error_message(),
              HasSubstr(absl::StrCat("--max_request_memory_bytes=",
                                     options.max_request_memory_bytes)));
}

TEST(AdmissionTest, CreateModelSuggestsABatchThatFits) {
  auto options = TestServerOptions();
  options.max_request_memory_bytes = 10 * kRowBytes + kScratchBytes;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  const grpc::Status status = CreateModel(server->stub(), SquareModel());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("lower batching.max_batch_size to 10"));
  auto fits = SquareModel();
  fits.mutable_batching()->set_max_batch_size(10);
  EXPECT_TRUE(CreateModel(server->stub(), fits).ok());
}

}  // namespace
}  // namespace brainserve::testing
