// Unit tests of the server's small building blocks that the API tests cannot
// pin down exactly: the core budget policy, the admin work queue's bounds and
// drain, and batching-option resolution.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/batching_config.h"
#include "server/compute_budget.h"
#include "server/work_queue.h"

namespace brainserve::server {
namespace {

using ::testing::HasSubstr;

TEST(ComputeBudgetTest, ThreadsPerForwardSplitsTheCoresAmongWorkers) {
  ComputeBudget budget(8);
  EXPECT_EQ(budget.total_threads(), 8);
  EXPECT_EQ(budget.ThreadsPerForward(1), 8);
  EXPECT_EQ(budget.ThreadsPerForward(2), 4);
  EXPECT_EQ(budget.ThreadsPerForward(3), 2);
  EXPECT_EQ(budget.ThreadsPerForward(16), 1);      // never below one
  EXPECT_GE(ComputeBudget(0).total_threads(), 1);  // 0 = all cores
}

TEST(ComputeBudgetTest, AcquireWaitsUntilTheCoresAreFree) {
  ComputeBudget budget(2);
  budget.Acquire(2);
  EXPECT_EQ(budget.in_use(), 2);
  absl::Notification acquired;
  std::thread waiter([&] {
    ComputeBudgetLease lease(&budget, 1);
    acquired.Notify();
  });
  // The waiter cannot get a token while both are held.
  EXPECT_FALSE(acquired.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  budget.Release(2);
  acquired.WaitForNotification();
  waiter.join();
  EXPECT_EQ(budget.in_use(), 0);
  budget.Acquire(100);  // clamped to the total, so it cannot deadlock
  EXPECT_EQ(budget.in_use(), 2);
  budget.Release(100);
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(WorkQueueTest, FullQueueIsResourceExhaustedAndShutdownDrains) {
  WorkQueue queue(WorkQueueOptions{"admin", 1, 2});
  absl::Notification release;
  absl::Notification running;
  std::atomic<int> ran{0};
  ASSERT_TRUE(queue
                  .Schedule([&] {
                    running.Notify();
                    release.WaitForNotification();
                    ++ran;
                  })
                  .ok());
  running.WaitForNotification();  // the only thread is busy now
  ASSERT_TRUE(queue.Schedule([&] { ++ran; }).ok());
  ASSERT_TRUE(queue.Schedule([&] { ++ran; }).ok());
  const absl::Status full = queue.Schedule([&] { ++ran; });
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.message(), HasSubstr("admin"));
  EXPECT_THAT(full.message(), HasSubstr("max_queue_size"));
  release.Notify();
  queue.Shutdown();  // runs what was accepted
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(queue.Schedule([] {}).code(), absl::StatusCode::kUnavailable);
}

TEST(BatchingConfigTest, RequestOverridesDefaultsFieldByField) {
  ModelBatchingOptions defaults;
  defaults.max_batch_size = 32;
  defaults.max_queue_delay_us = 100;
  defaults.max_queue_size = 7;
  defaults.num_batch_workers = 2;
  v1::BatchingOptions requested;
  requested.set_max_queue_size(9);
  requested.set_max_queue_delay_us(0);  // explicitly 0, not "unset"
  auto resolved = ResolveBatchingOptions(requested, defaults);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->max_batch_size, 32);
  EXPECT_EQ(resolved->max_queue_delay_us, 0);
  EXPECT_EQ(resolved->max_queue_size, 9);
  EXPECT_EQ(resolved->num_batch_workers, 2);
  const v1::BatchingOptions proto = ToProto(*resolved);
  EXPECT_TRUE(proto.has_max_batch_size() && proto.has_num_batch_workers());
  requested.set_max_queue_delay_us(kMaxQueueDelayUsLimit + 1);
  EXPECT_THAT(ResolveBatchingOptions(requested, defaults).status().message(),
              HasSubstr("batching.max_queue_delay_us"));
}

}  // namespace
}  // namespace brainserve::server
