// Issue 12: a 10x overload against a small queue. A real server on port 0
// (in-process), h2load (Debian's nghttp2-client) sending pre-encoded gRPC
// Forward requests at ten times the capacity measured in the same test.
//
// What it asserts, from the server's own histograms (deltas around each
// phase), and why each is robust on a shared 2-core machine:
//   - Rejections are answered fast: at least 90% of the RESOURCE_EXHAUSTED
//     answers took <= 1 ms server-side (the p90). The duration histogram is
//     not split by code, so the count is a lower bound: requests <= 1 ms
//     minus the admitted ones that could have been that fast (one per
//     batch computed in <= 1 ms; none with this model).
//   - Admitted requests stay close to unloaded: their p99 is at most
//     max(2 x the unloaded p99, 25 ms). The admitted p99 is an upper bound
//     too: the smallest bucket bound that at most 1% of the admitted count,
//     of any code, exceeds. Both p99s are bucket bounds (10, 25, 50 ms...).
//     With a queue of 1, an admitted request waits for at most one compute
//     (~10 ms), so its latency is ~2x the unloaded one by construction: the
//     factor 2 is the queueing theory of a queue of 1, and a queue of 2
//     already fails it. The floor covers the unloaded p99 landing in the
//     10 ms bucket on a quiet machine. What it catches is queue bloat: with
//     the default queue (1024) admitted requests wait seconds.
//   - RSS bounded: the process grows by less than 64 MiB during overload.
//   - The server stays SERVING and answers a Forward afterwards.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

constexpr char kH2load[] = "/usr/bin/h2load";
const std::vector<std::string> kBuckets = {
    "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001",
    "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
    "1", "2.5", "5", "10", "+Inf"};

int64_t SelfRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoll(line.substr(6)) * 1024;
    }
  }
  return -1;
}

// Forward counters of model "m" at one instant.
struct Snapshot {
  std::vector<double> buckets;  // cumulative, per kBuckets
  double ok = 0;
  double rejected = 0;
  double compute_sum = 0;
  double compute_count = 0;
  double computes_within_1ms = 0;  // batches that computed in <= 1 ms
};

Snapshot Take(TestServer& server) {
  const std::string text = server.Scrape();
  Snapshot s;
  for (const std::string& le : kBuckets) {
    s.buckets.push_back(
        MetricValue(text, "brainserve_request_duration_seconds_bucket",
                    {{"model", "m"}, {"method", "Forward"}, {"le", le}})
            .value_or(0));
  }
  s.ok = MetricValue(text, "brainserve_requests_total",
                     {{"model", "m"}, {"method", "Forward"}, {"code", "OK"}})
             .value_or(0);
  s.rejected = MetricValue(text, "brainserve_requests_total",
                           {{"model", "m"},
                            {"method", "Forward"},
                            {"code", "RESOURCE_EXHAUSTED"}})
                   .value_or(0);
  s.compute_sum =
      MetricValue(text, "brainserve_compute_duration_seconds_sum",
                  {{"model", "m"}})
          .value_or(0);
  s.compute_count =
      MetricValue(text, "brainserve_compute_duration_seconds_count",
                  {{"model", "m"}})
          .value_or(0);
  s.computes_within_1ms =
      MetricValue(text, "brainserve_compute_duration_seconds_bucket",
                  {{"model", "m"}, {"le", "0.001"}})
          .value_or(0);
  return s;
}

// The smallest bucket bound (seconds) that at most `allowed` of the
// requests between `a` and `b` exceed.
double BoundExceededByAtMost(const Snapshot& a, const Snapshot& b,
                             double allowed) {
  const double total = b.buckets.back() - a.buckets.back();
  for (size_t i = 0; i + 1 < kBuckets.size(); ++i) {
    const double within = b.buckets[i] - a.buckets[i];
    if (total - within <= allowed) return std::stod(kBuckets[i]);
  }
  return 1e9;
}

// Runs h2load with `args` against `address`; its output.
std::string H2load(const std::string& address, const std::string& body,
                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kH2load};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const std::string& a :
       {std::string("-d"), body, std::string("-H"),
        std::string("content-type: application/grpc"), std::string("-H"),
        std::string("te: trailers"),
        absl::StrCat("http://", address,
                     "/brainserve.v1.ModelService/Forward")}) {
    argv.push_back(a);
  }
  absl::StatusOr<ProcessResult> run = RunProcess(argv);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? run->out + run->err : "";
}

TEST(OverloadTest, TenTimesCapacityAgainstASmallQueue) {
  if (access(kH2load, X_OK) != 0) {
    GTEST_SKIP() << kH2load << " missing (scripts/install-deps.sh installs "
                 << "nghttp2-client)";
  }
  auto options = TestServerOptions();
  options.engine_threads = 1;  // one core computes, the other serves gRPC
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  // [256] -> linear(4096) -> 2 x linear(4096): 132 MiB of weights read by
  // every Forward, ~10 ms on one core (memory-bound), so 10x the capacity
  // is ~1000 requests/s: the load generator and the rejections leave the
  // second core room. The request is 1 KiB, so refusing one costs little.
  ASSERT_TRUE(CreateModel(server->stub(), CreateRequestFromJson(R"({
      "name": "m", "spec": {"input_shape": [256], "layers": [
        {"linear": {"out_size": 4096}}, {"linear": {"out_size": 4096}},
        {"linear": {"out_size": 4096}}]},
      "batching": {"max_batch_size": 1, "max_queue_size": 1}})"))
                  .ok());
  // The request as h2load sends it: the 5-byte gRPC prefix, then the
  // serialized ForwardRequest.
  v1::ForwardRequest forward;
  forward.set_model("m");
  *forward.mutable_input() = RawTensor({1, 256}, RandomValues(256, 1));
  const std::string message = forward.SerializeAsString();
  std::string frame(5, '\0');
  for (int i = 0; i < 4; ++i) {
    frame[1 + i] = static_cast<char>((message.size() >> (8 * (3 - i))) & 0xff);
  }
  frame += message;
  const std::string body = ::testing::TempDir() + "/overload-forward.bin";
  std::ofstream(body, std::ios::binary) << frame;

  // Unloaded: one request at a time.
  const Snapshot start = Take(*server);
  H2load(server->address(), body, {"-n", "300", "-c", "1", "-m", "1"});
  const Snapshot unloaded = Take(*server);
  ASSERT_EQ(unloaded.ok - start.ok, 300);
  const double compute_s = (unloaded.compute_sum - start.compute_sum) /
                           (unloaded.compute_count - start.compute_count);
  const double unloaded_p99 = BoundExceededByAtMost(start, unloaded, 3);
  const double capacity = 1.0 / compute_s;

  // 10x the capacity: 4 connections, each at 2.5x, for 4 s.
  const int64_t rss_before = SelfRssBytes();
  const int per_client = static_cast<int>(10 * capacity / 4) + 1;
  const std::string out = H2load(
      server->address(), body,
      {"-D", "4", "-c", "4", "-m", "32", "--rps", std::to_string(per_client)});
  const Snapshot loaded = Take(*server);
  const int64_t rss_after = SelfRssBytes();

  const double ok = loaded.ok - unloaded.ok;
  const double rejected = loaded.rejected - unloaded.rejected;
  const double total = loaded.buckets.back() - unloaded.buckets.back();
  // Requests <= 1 ms, minus the admitted ones that could have been (one
  // per batch that computed in <= 1 ms; batches hold one request): a lower
  // bound on the rejections answered within 1 ms.
  const double fast = (loaded.buckets[6] - unloaded.buckets[6]) -
                      (loaded.computes_within_1ms - unloaded.computes_within_1ms);
  const double admitted_p99 = BoundExceededByAtMost(unloaded, loaded, ok / 100);
  std::fprintf(stderr,
               "compute %.2f ms (capacity %.0f/s), offered %d/s; unloaded "
               "p99 <= %.4f s; overload: %.0f OK, %.0f RESOURCE_EXHAUSTED "
               "(%.0f total), rejections <= 1 ms: >= %.1f%%, admitted p99 <= "
               "%.4f s; RSS %+.1f MiB\nh2load:\n%s\n",
               compute_s * 1e3, capacity, 4 * per_client, unloaded_p99, ok,
               rejected, total, 100 * fast / rejected, admitted_p99,
               (rss_after - rss_before) / 1048576.0, out.c_str());
  ASSERT_GT(ok, 0);
  // Most of the offered load was refused (10x capacity, a queue of 1).
  EXPECT_GT(rejected, 3 * ok);
  EXPECT_GE(fast, 0.9 * rejected);
  EXPECT_LE(admitted_p99, std::max(2 * unloaded_p99, 0.025));
  EXPECT_LT(rss_after - rss_before, int64_t{64} << 20);

  auto health = grpc::health::v1::Health::NewStub(server->channel());
  grpc::health::v1::HealthCheckRequest check;
  grpc::health::v1::HealthCheckResponse status;
  ASSERT_TRUE(health->Check(Context().get(), check, &status).ok());
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  // Once the requests still queued when h2load stopped have run.
  v1::ForwardResponse response;
  EXPECT_TRUE(WaitFor([&] {
    return Forward(server->stub(), forward, &response).ok();
  }));
}

}  // namespace
}  // namespace brainserve::testing
