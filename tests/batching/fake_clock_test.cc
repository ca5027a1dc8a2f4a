#include "tests/batching/fake_clock.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/batching/test_util.h"

namespace brainserve::batching::testing {
namespace {

TEST(FakeClockTest, TimeMovesOnlyWhenTold) {
  const absl::Time start = absl::FromUnixSeconds(100);
  FakeClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(clock.Now(), start);
  clock.AdvanceBy(absl::Milliseconds(5));
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(5));
  clock.SetTime(start - absl::Seconds(1));
  EXPECT_EQ(clock.Now(), start - absl::Seconds(1));
}

TEST(FakeClockTest, WaitUntilAReachedDeadlineReturnsAtOnce) {
  FakeClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  absl::MutexLock lock(&mu);
  clock.WaitUntil(&cv, &mu, clock.Now());
  clock.WaitUntil(&cv, &mu, clock.Now() - absl::Seconds(1));
  EXPECT_EQ(clock.num_timed_waiters(), 0);
}

TEST(FakeClockTest, WaiterWakesWhenTimeReachesItsDeadline) {
  FakeClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  const absl::Time deadline = clock.Now() + absl::Seconds(3);
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    while (clock.Now() < deadline) clock.WaitUntil(&cv, &mu, deadline);
  });
  ASSERT_TRUE(clock.AwaitTimedWaiters(1, kSafetyTimeout));
  EXPECT_EQ(clock.earliest_waiter_deadline(), deadline);
  clock.AdvanceBy(absl::Seconds(2));
  EXPECT_EQ(clock.num_timed_waiters(), 1);  // not due: not woken
  clock.AdvanceBy(absl::Seconds(1));
  waiter.join();
  EXPECT_EQ(clock.num_timed_waiters(), 0);
  EXPECT_EQ(clock.earliest_waiter_deadline(), absl::InfiniteFuture());
}

TEST(FakeClockTest, WaiterWakesWhenSignalled) {
  FakeClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  bool ready = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    while (!ready) clock.WaitUntil(&cv, &mu, clock.Now() + absl::Hours(1));
  });
  ASSERT_TRUE(clock.AwaitTimedWaiters(1, kSafetyTimeout));
  {
    absl::MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  }
  waiter.join();
  EXPECT_EQ(clock.num_timed_waiters(), 0);
}

TEST(FakeClockTest, InfiniteDeadlineWaitsForASignalAndIsNotCounted) {
  FakeClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  bool ready = false;
  bool started = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    started = true;
    while (!ready) clock.WaitUntil(&cv, &mu, absl::InfiniteFuture());
  });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&started));
    EXPECT_EQ(clock.num_timed_waiters(), 0);
    ready = true;
    cv.Signal();
  }
  waiter.join();
}

// Advancing time concurrently with threads that are about to wait must never
// lose a wake-up; a lost one hangs the test.
TEST(FakeClockTest, NoWakeUpIsLostUnderConcurrentAdvances) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  FakeClock clock;
  const absl::Time start = clock.Now();
  absl::Mutex mu;
  absl::CondVar cv;
  std::atomic<int> finished{0};
  std::vector<std::thread> waiters;
  for (int t = 0; t < kThreads; ++t) {
    waiters.emplace_back([&, t] {
      for (int round = 1; round <= kRounds; ++round) {
        const absl::Time deadline =
            start + absl::Microseconds(round * kThreads + t);
        absl::MutexLock lock(&mu);
        while (clock.Now() < deadline) clock.WaitUntil(&cv, &mu, deadline);
      }
      finished.fetch_add(1);
    });
  }
  // Advance whenever someone waits, racing with the others' registration.
  while (finished.load() < kThreads) {
    if (clock.num_timed_waiters() > 0) {
      clock.AdvanceBy(absl::Microseconds(1));
    } else {
      std::this_thread::yield();
    }
  }
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_EQ(clock.num_timed_waiters(), 0);
}

}  // namespace
}  // namespace brainserve::batching::testing
