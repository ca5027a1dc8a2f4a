#include "client/loadgen/arrival_schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

TEST(LoadgenArrivalScheduleTest, ConstantSpacingIsExact) {
  auto schedule = ArrivalSchedule::Create(ArrivalProcess::kConstant, 1000, 1);
  ASSERT_TRUE(schedule.ok());
  for (int64_t k = 0; k < 10000; ++k) {
    ASSERT_EQ((*schedule)->NextOffsetNs(), k * 1000000) << "arrival " << k;
  }
}

TEST(LoadgenArrivalScheduleTest, ConstantRateDoesNotDrift) {
  // 3/s does not divide 1e9 ns: each offset is rounded independently, so
  // arrival 3000 lands exactly at 1000 s.
  auto schedule = ArrivalSchedule::Create(ArrivalProcess::kConstant, 3, 1);
  ASSERT_TRUE(schedule.ok());
  EXPECT_EQ((*schedule)->NextOffsetNs(), 0);
  EXPECT_EQ((*schedule)->NextOffsetNs(), 333333333);
  EXPECT_EQ((*schedule)->NextOffsetNs(), 666666667);
  int64_t last = 0;
  for (int k = 3; k <= 3000; ++k) last = (*schedule)->NextOffsetNs();
  EXPECT_EQ(last, 1000000000000LL);
}

TEST(LoadgenArrivalScheduleTest, PoissonMeanRateWithinOnePercent) {
  const double rate = 2500;
  auto schedule = ArrivalSchedule::Create(ArrivalProcess::kPoisson, rate, 42);
  ASSERT_TRUE(schedule.ok());
  const int n = 200000;
  int64_t previous = (*schedule)->NextOffsetNs();
  EXPECT_EQ(previous, 0);
  double sum_gap = 0, sum_gap2 = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t t = (*schedule)->NextOffsetNs();
    ASSERT_GE(t, previous);
    const double gap = (t - previous) / 1e9;
    sum_gap += gap;
    sum_gap2 += gap * gap;
    previous = t;
  }
  const double mean = sum_gap / n;
  EXPECT_NEAR(1 / mean, rate, rate * 0.01);
  // Exponential gaps: the standard deviation equals the mean.
  const double stddev = std::sqrt(sum_gap2 / n - mean * mean);
  EXPECT_NEAR(stddev / mean, 1.0, 0.02);
}

TEST(LoadgenArrivalScheduleTest, PoissonIsDeterministicPerSeed) {
  auto a = ArrivalSchedule::Create(ArrivalProcess::kPoisson, 100, 7);
  auto b = ArrivalSchedule::Create(ArrivalProcess::kPoisson, 100, 7);
  auto c = ArrivalSchedule::Create(ArrivalProcess::kPoisson, 100, 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const int64_t ta = (*a)->NextOffsetNs();
    EXPECT_EQ(ta, (*b)->NextOffsetNs());
    differs |= ta != (*c)->NextOffsetNs();
  }
  EXPECT_TRUE(differs);
}

TEST(LoadgenArrivalScheduleTest, RejectsNonPositiveRates) {
  EXPECT_FALSE(ArrivalSchedule::Create(ArrivalProcess::kConstant, 0, 1).ok());
  EXPECT_FALSE(ArrivalSchedule::Create(ArrivalProcess::kPoisson, -5, 1).ok());
  EXPECT_FALSE(
      ArrivalSchedule::Create(ArrivalProcess::kPoisson, std::nan(""), 1).ok());
}

}  // namespace
}  // namespace brainserve::loadgen
