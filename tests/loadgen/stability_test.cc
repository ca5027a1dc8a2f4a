#include "client/loadgen/stability.h"

#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

TEST(LoadgenStabilityTest, NeedsEnoughWindows) {
  EXPECT_FALSE(LastWindowsStable({}, 3, 10));
  EXPECT_FALSE(LastWindowsStable({100, 100}, 3, 10));
  EXPECT_TRUE(LastWindowsStable({100, 100, 100}, 3, 10));
}

TEST(LoadgenStabilityTest, TenPercentBoundIsInclusive) {
  EXPECT_TRUE(LastWindowsStable({100, 110, 105}, 3, 10));
  EXPECT_FALSE(LastWindowsStable({100, 110.01, 105}, 3, 10));
  EXPECT_FALSE(LastWindowsStable({90, 100, 100}, 3, 10));  // 100/90 > 1.1
}

TEST(LoadgenStabilityTest, OnlyTheLastWindowsCount) {
  // A slow warm-up window no longer matters once three stable ones follow.
  EXPECT_TRUE(LastWindowsStable({10, 500, 1000, 1020, 990}, 3, 10));
  EXPECT_FALSE(LastWindowsStable({1000, 1020, 990, 500}, 3, 10));
}

TEST(LoadgenStabilityTest, ZeroThroughputIsNeverStable) {
  EXPECT_FALSE(LastWindowsStable({0, 0, 0}, 3, 10));
}

TEST(LoadgenStabilityTest, WindowCountAndPercentAreParameters) {
  EXPECT_TRUE(LastWindowsStable({100, 104}, 2, 5));
  EXPECT_FALSE(LastWindowsStable({100, 106}, 2, 5));
  EXPECT_FALSE(LastWindowsStable({100, 100, 100}, 0, 10));
}

}  // namespace
}  // namespace brainserve::loadgen
