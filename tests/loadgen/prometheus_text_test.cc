#include "client/loadgen/prometheus_text.h"

#include <cmath>

#include "client/loadgen/server_metrics.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

// Shaped like prometheus-cpp's output for brainserve's metrics.
constexpr char kExposition[] = R"(# HELP brainserve_requests_total RPCs handled.
# TYPE brainserve_requests_total counter
brainserve_requests_total{code="OK",method="Forward",model="mlp"} 120
brainserve_requests_total{code="NOT_FOUND",method="Forward",model="mlp"} 3
brainserve_requests_total{code="OK",method="Forward",model="other"} 7
brainserve_requests_total{code="OK",method="GetModel",model="mlp"} 2
# TYPE brainserve_queue_duration_seconds histogram
brainserve_queue_duration_seconds_count{model="mlp"} 120
brainserve_queue_duration_seconds_sum{model="mlp"} 0.012
brainserve_queue_duration_seconds_bucket{model="mlp",le="0.001"} 100
brainserve_queue_duration_seconds_bucket{model="mlp",le="+Inf"} 120
brainserve_compute_duration_seconds_count{model="mlp"} 40
brainserve_compute_duration_seconds_sum{model="mlp"} 0.004
brainserve_batch_size_count{model="mlp"} 40
brainserve_batch_size_sum{model="mlp"} 120
brainserve_parameter_update_duration_seconds_count{model="mlp"} 4
brainserve_parameter_update_duration_seconds_sum{model="mlp"} 0.02
brainserve_inflight_requests 0
brainserve_build_info{version="0.1.0"} 1 1700000000000
)";

TEST(LoadgenPrometheusTextTest, ParsesSamplesLabelsAndSpecialValues) {
  auto snapshot = MetricsSnapshot::Parse(
      "a 1\n"
      "b{x=\"1\",y=\"two words\"} -2.5e-3\n"
      "c{q=\"say \\\"hi\\\"\\\\\\n\"} +Inf\n"
      "d NaN\n"
      "e{} -Inf\n"
      "\n   # comment with leading space\n");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  const auto& s = snapshot->samples();
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].name, "a");
  EXPECT_EQ(s[0].value, 1);
  EXPECT_EQ(s[1].labels.at("y"), "two words");
  EXPECT_DOUBLE_EQ(s[1].value, -2.5e-3);
  EXPECT_EQ(s[2].labels.at("q"), "say \"hi\"\\\n");
  EXPECT_TRUE(std::isinf(s[2].value) && s[2].value > 0);
  EXPECT_TRUE(std::isnan(s[3].value));
  EXPECT_TRUE(s[4].labels.empty());
  EXPECT_TRUE(std::isinf(s[4].value) && s[4].value < 0);
}

TEST(LoadgenPrometheusTextTest, SumsAndGroupsByLabel) {
  auto snapshot = MetricsSnapshot::Parse(kExposition);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->Sum("brainserve_requests_total", {{"model", "mlp"}}),
            125);
  EXPECT_EQ(snapshot->Sum("brainserve_requests_total",
                          {{"model", "mlp"}, {"method", "Forward"}}),
            123);
  EXPECT_EQ(snapshot->Sum("brainserve_requests_total", {{"model", "none"}}), 0);
  auto by_code = snapshot->SumBy("brainserve_requests_total", "code",
                                 {{"method", "Forward"}});
  EXPECT_EQ(by_code.size(), 2u);
  EXPECT_EQ(by_code["OK"], 127);
  EXPECT_EQ(by_code["NOT_FOUND"], 3);
  EXPECT_EQ(snapshot->Sum("brainserve_build_info", {}),
            1);  // timestamp kept out
}

TEST(LoadgenPrometheusTextTest, RejectsMalformedLinesWithLineNumber) {
  for (const char* bad : {"a\n", "a{b=\"1\" 2\n", "a{b=1} 2\n", "a 1 2 3\n",
                          "{b=\"1\"} 2\n", "a one\n"}) {
    auto snapshot = MetricsSnapshot::Parse(std::string("ok 1\n") + bad);
    ASSERT_FALSE(snapshot.ok()) << bad;
    EXPECT_NE(snapshot.status().message().find("line 2"), std::string::npos)
        << snapshot.status();
  }
}

TEST(LoadgenServerMetricsTest, ExtractsAndDiffsModelCounters) {
  auto after_snapshot = MetricsSnapshot::Parse(kExposition);
  ASSERT_TRUE(after_snapshot.ok());
  const ServerCounters after = ExtractCounters(*after_snapshot, "mlp");
  EXPECT_EQ(after.ForwardTotal(), 123);
  EXPECT_EQ(after.forward_by_code.at("OK"), 120);
  EXPECT_EQ(after.batch_rows_sum, 120);

  ServerCounters before;
  before.forward_by_code["OK"] = 20;
  before.queue_sum_s = 0.002;
  before.queue_count = 20;
  before.compute_sum_s = 0.001;
  before.compute_count = 10;
  before.batch_rows_sum = 20;
  before.batch_count = 10;
  const ServerSplit split = DiffCounters(before, after);
  EXPECT_TRUE(split.available);
  EXPECT_EQ(split.forward_total, 103);
  EXPECT_EQ(split.forward_by_code.at("OK"), 100);
  EXPECT_EQ(split.forward_by_code.at("NOT_FOUND"), 3);
  EXPECT_NEAR(split.queue_mean_us, 100, 1e-9);    // 0.01 s / 100
  EXPECT_NEAR(split.compute_mean_us, 100, 1e-9);  // 0.003 s / 30
  EXPECT_NEAR(split.batch_size_mean, 100.0 / 30, 1e-12);
  EXPECT_EQ(split.batches, 30);
  EXPECT_EQ(split.updates, 4);
  EXPECT_NEAR(split.update_mean_us, 5000, 1e-9);
}

TEST(LoadgenServerMetricsTest, SegmentDeltasSumToTheWholeDelta) {
  auto snapshot = MetricsSnapshot::Parse(kExposition);
  ASSERT_TRUE(snapshot.ok());
  const ServerCounters end = ExtractCounters(*snapshot, "mlp");
  ServerCounters start;
  start.forward_by_code["OK"] = 20;
  start.batch_rows_sum = 20;
  start.batch_count = 10;
  ServerCounters middle = start;
  middle.forward_by_code["OK"] = 70;
  middle.forward_by_code["NOT_FOUND"] = 1;
  middle.batch_rows_sum = 60;
  middle.batch_count = 25;
  ServerCounters total;
  AddCounters(SubtractCounters(middle, start), &total);
  AddCounters(SubtractCounters(end, middle), &total);
  const ServerSplit summed = DiffCounters(ServerCounters(), total);
  const ServerSplit direct = DiffCounters(start, end);
  EXPECT_EQ(summed.forward_by_code, direct.forward_by_code);
  EXPECT_EQ(summed.forward_total, 103);
  EXPECT_DOUBLE_EQ(summed.batch_size_mean, direct.batch_size_mean);
  EXPECT_DOUBLE_EQ(summed.queue_mean_us, direct.queue_mean_us);
  EXPECT_EQ(summed.updates, 4);
}

TEST(LoadgenServerMetricsTest, EmptyDeltaHasZeroMeans) {
  const ServerSplit split = DiffCounters(ServerCounters(), ServerCounters());
  EXPECT_EQ(split.forward_total, 0);
  EXPECT_EQ(split.queue_mean_us, 0);
  EXPECT_EQ(split.batch_size_mean, 0);
}

}  // namespace
}  // namespace brainserve::loadgen
