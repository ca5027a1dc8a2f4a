#include "server/metrics/lazy_metric.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace brainserve::metrics::internal {
namespace {

std::atomic<int> live_objects{0};

struct Tracked {
  explicit Tracked(int v) : value(v) { live_objects.fetch_add(1); }
  ~Tracked() { live_objects.fetch_sub(1); }
  int value;
};

TEST(LazyMetricTest, CreatesOnFirstUseAndOwnsTheObject) {
  {
    LazyMetric<Tracked> lazy;
    EXPECT_EQ(lazy.get(), nullptr);
    Tracked& first = lazy.GetOrCreate(7);
    Tracked& second = lazy.GetOrCreate(8);  // Arguments ignored once created.
    EXPECT_EQ(&first, &second);
    EXPECT_EQ(lazy.get(), &first);
    EXPECT_EQ(first.value, 7);
    EXPECT_EQ(live_objects.load(), 1);
  }
  EXPECT_EQ(live_objects.load(), 0);
}

TEST(LazyMetricTest, RacingCreatorsAgreeOnOneObjectAndLeakNothing) {
  for (int round = 0; round < 50; ++round) {
    LazyMetric<Tracked> lazy;
    constexpr int kThreads = 8;
    std::vector<const Tracked*> seen(kThreads);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        seen[t] = &lazy.GetOrCreate(t);
      });
    }
    go.store(true);
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(std::set<const Tracked*>(seen.begin(), seen.end()).size(), 1u);
    EXPECT_EQ(live_objects.load(), 1);
  }
  EXPECT_EQ(live_objects.load(), 0);
}

}  // namespace
}  // namespace brainserve::metrics::internal
