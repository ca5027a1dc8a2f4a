#include "client/loadgen/latency_stats.h"

#include <algorithm>
#include <random>

#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

TEST(LoadgenNearestRankPercentileTest, OneToHundred) {
  std::vector<int64_t> sorted;
  for (int i = 1; i <= 100; ++i) sorted.push_back(i);
  EXPECT_EQ(NearestRankPercentile(sorted, 0), 1);
  EXPECT_EQ(NearestRankPercentile(sorted, 1), 1);
  EXPECT_EQ(NearestRankPercentile(sorted, 29), 29);
  EXPECT_EQ(NearestRankPercentile(sorted, 50), 50);
  EXPECT_EQ(NearestRankPercentile(sorted, 50.5), 51);
  EXPECT_EQ(NearestRankPercentile(sorted, 90), 90);
  EXPECT_EQ(NearestRankPercentile(sorted, 99), 99);
  EXPECT_EQ(NearestRankPercentile(sorted, 99.9), 100);
  EXPECT_EQ(NearestRankPercentile(sorted, 100), 100);
}

TEST(LoadgenNearestRankPercentileTest, SmallSets) {
  EXPECT_EQ(NearestRankPercentile({7}, 50), 7);
  EXPECT_EQ(NearestRankPercentile({7}, 99), 7);
  // Ten samples: p50 is rank 5, p90 rank 9, p95 and p99 rank 10.
  std::vector<int64_t> ten = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(NearestRankPercentile(ten, 50), 50);
  EXPECT_EQ(NearestRankPercentile(ten, 90), 90);
  EXPECT_EQ(NearestRankPercentile(ten, 95), 100);
  EXPECT_EQ(NearestRankPercentile(ten, 99), 100);
  // Four samples: p50 is rank 2 (the lower middle, never an average).
  EXPECT_EQ(NearestRankPercentile({1, 2, 3, 4}, 50), 2);
  EXPECT_EQ(NearestRankPercentile({1, 2, 3, 4}, 51), 3);
}

TEST(LoadgenLatencySamplesTest, SummarizesUnsortedSamplesExactly) {
  std::vector<int64_t> values;
  for (int i = 1; i <= 1000; ++i) values.push_back(i * 1000);  // 1..1000 us
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  LatencySamples samples;
  for (int64_t v : values) samples.Add(v);
  const LatencySummary s = samples.Summarize();
  EXPECT_EQ(s.count, 1000);
  EXPECT_DOUBLE_EQ(s.p50_us, 500);
  EXPECT_DOUBLE_EQ(s.p90_us, 900);
  EXPECT_DOUBLE_EQ(s.p95_us, 950);
  EXPECT_DOUBLE_EQ(s.p99_us, 990);
  EXPECT_DOUBLE_EQ(s.max_us, 1000);
  EXPECT_DOUBLE_EQ(s.mean_us, 500.5);
}

TEST(LoadgenLatencySamplesTest, TailIsNotAveragedAway) {
  LatencySamples samples;
  for (int i = 0; i < 98; ++i) samples.Add(1000);
  samples.Add(50000);
  samples.Add(90000);
  const LatencySummary s = samples.Summarize();
  EXPECT_DOUBLE_EQ(s.p50_us, 1);
  EXPECT_DOUBLE_EQ(s.p99_us, 50);  // rank 99 of 100
  EXPECT_DOUBLE_EQ(s.max_us, 90);
}

TEST(LoadgenLatencySamplesTest, EmptyAndAppend) {
  LatencySamples a, b;
  EXPECT_EQ(a.Summarize().count, 0);
  EXPECT_DOUBLE_EQ(a.Summarize().p99_us, 0);
  a.Add(3000);
  b.Add(1000);
  b.Add(2000);
  a.Append(b);
  EXPECT_EQ(a.size(), 3);
  EXPECT_DOUBLE_EQ(a.Summarize().p50_us, 2);
}

}  // namespace
}  // namespace brainserve::loadgen
