// Unit tests of the server's small building blocks that the API tests cannot
// pin down exactly: the core budget policy, the admin work queue's bounds,
// drain and priority, a model's update queue, and batching-option
// resolution.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/batching_config.h"
#include "server/compute_budget.h"
#include "server/forward_batch.h"
#include "server/model_update_queue.h"
#include "server/server_options.h"
#include "server/work_queue.h"

namespace brainserve::server {
namespace {

using ::testing::HasSubstr;

// Polls `condition` every millisecond for up to 10 s.
bool WaitUntil(const std::function<bool()>& condition) {
  for (int i = 0; i < 10000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

// Schedules `then` on `runner` behind a wait for `release`, and returns once
// it has started (so it occupies its thread, or its model's turn).
bool StartBlocked(TaskRunner& runner, absl::Notification* release,
                  std::function<void()> then) {
  absl::Notification running;
  const absl::Status scheduled = runner.Schedule([&running, release, then] {
    running.Notify();
    release->WaitForNotification();
    then();
  });
  if (!scheduled.ok()) return false;
  running.WaitForNotification();
  return true;
}

TEST(ComputeBudgetTest, ThreadsPerForwardSplitsTheCoresAmongWorkers) {
  ComputeBudget budget(8);
  EXPECT_EQ(budget.total_threads(), 8);
  EXPECT_EQ(budget.ThreadsPerForward(1), 8);
  EXPECT_EQ(budget.ThreadsPerForward(2), 4);
  EXPECT_EQ(budget.ThreadsPerForward(3), 2);
  EXPECT_EQ(budget.ThreadsPerForward(16), 1);      // never below one
  EXPECT_GE(ComputeBudget(0).total_threads(), 1);  // 0 = all cores
}

TEST(ComputeBudgetTest, SmallBatchesRunOnOneThreadLargeOnesOnAll) {
  ForwardBatchContext context;
  context.threads_per_forward = 2;
  context.min_rows_for_all_threads = 16;
  EXPECT_EQ(ThreadsForBatch(context, 1), 1);
  EXPECT_EQ(ThreadsForBatch(context, 15), 1);
  EXPECT_EQ(ThreadsForBatch(context, 16), 2);
  EXPECT_EQ(ThreadsForBatch(context, 64), 2);
  context.min_rows_for_all_threads = 0;  // always all
  EXPECT_EQ(ThreadsForBatch(context, 1), 2);
  context.threads_per_forward = 1;  // nothing to choose
  context.min_rows_for_all_threads = 16;
  EXPECT_EQ(ThreadsForBatch(context, 64), 1);
  // The server's default: every batch on all threads.
  EXPECT_EQ(ServerOptions().min_rows_for_all_threads, 0);
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

TEST(ComputeBudgetTest, FirstComeFirstServedAWideWaiterIsNotOvertaken) {
  // Two cores. A many-worker model holds one; a one-worker model then waits
  // for both. One core is free, but the many-worker model's next forward
  // (one token) must queue behind the wide waiter instead of taking it.
  ComputeBudget budget(2);
  budget.Acquire(1);
  std::atomic<int> wide_done{0};
  std::thread wide([&] {
    ComputeBudgetLease lease(&budget, 2);
    wide_done = 1;
  });
  ASSERT_TRUE(WaitUntil([&] { return budget.waiting() == 1; }));
  absl::Notification narrow_acquired;
  std::thread narrow([&] {
    ComputeBudgetLease lease(&budget, 1);
    // Served only after the wide one, which needed both tokens.
    EXPECT_EQ(wide_done.load(), 1);
    narrow_acquired.Notify();
  });
  ASSERT_TRUE(WaitUntil([&] { return budget.waiting() == 2; }));
  EXPECT_FALSE(
      narrow_acquired.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  EXPECT_EQ(budget.in_use(), 1);  // the free token was not handed out
  budget.Release(1);              // now the wide waiter runs, then the narrow
  wide.join();
  narrow_acquired.WaitForNotification();
  narrow.join();
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

TEST(WorkQueueTest, ThreadsRunAtTheConfiguredNiceValue) {
  WorkQueue niced(WorkQueueOptions{"update", 1, 0, /*nice=*/10});
  WorkQueue normal(WorkQueueOptions{"admin", 1, 0});
  auto nice_of = [](WorkQueue& queue) {
    std::atomic<int> nice{-100};
    absl::Notification done;
    EXPECT_TRUE(queue
                    .Schedule([&] {
                      errno = 0;
                      nice = getpriority(PRIO_PROCESS,
                                         static_cast<id_t>(syscall(SYS_gettid)));
                      done.Notify();
                    })
                    .ok());
    done.WaitForNotification();
    return nice.load();
  };
  const int base = getpriority(PRIO_PROCESS, 0);
  // Lowered to 10, never raised above the process's own priority.
  EXPECT_EQ(nice_of(niced), std::max(10, base));
  EXPECT_EQ(nice_of(normal), base);
  // The test's own thread is untouched.
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))),
            base);
}

TEST(ModelUpdateQueueTest, RunsOneAtATimeInOrderOnSharedThreads) {
  WorkQueue workers(WorkQueueOptions{"update", 4, 0});
  auto queue = ModelUpdateQueue::Create("m", &workers, 100, nullptr);
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(queue
                    ->Schedule([&, i] {
                      const int now = ++running;
                      int seen = most_running.load();
                      while (now > seen &&
                             !most_running.compare_exchange_weak(seen, now)) {
                      }
                      std::this_thread::sleep_for(std::chrono::microseconds(200));
                      {
                        std::lock_guard<std::mutex> lock(mu);
                        order.push_back(i);
                      }
                      --running;
                    })
                    .ok());
  }
  workers.Shutdown();  // runs everything accepted
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(most_running, 1);  // four threads, yet one update at a time
  EXPECT_EQ(queue->pending(), 0);
}

TEST(ModelUpdateQueueTest, RefusesBeyondMaxPendingNamingModelAndFlag) {
  WorkQueue workers(WorkQueueOptions{"update", 1, 0});
  auto queue = ModelUpdateQueue::Create("gradients", &workers, 2, nullptr);
  absl::Notification release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(StartBlocked(*queue, &release, [&] { ++ran; }));
  ASSERT_TRUE(queue->Schedule([&] { ++ran; }).ok());  // 1 running + 1 queued
  EXPECT_EQ(queue->pending(), 2);
  const absl::Status refused = queue->Schedule([&] { ++ran; });
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("model 'gradients'"));
  EXPECT_THAT(refused.message(), HasSubstr("--max_pending_updates 2"));
  release.Notify();
  ASSERT_TRUE(WaitUntil([&] { return queue->pending() == 0; }));
  EXPECT_EQ(ran, 2);  // the refused one never ran
  ASSERT_TRUE(queue->Schedule([&] { ++ran; }).ok());  // room again
  workers.Shutdown();
  EXPECT_EQ(ran, 3);
}

TEST(ModelUpdateQueueTest, AModelGivesItsThreadBackAfterEachUpdate) {
  // One shared thread; model A has three updates queued before model B's
  // one arrives: B's runs after A's first, not after all of A's.
  WorkQueue workers(WorkQueueOptions{"update", 1, 0});
  auto a = ModelUpdateQueue::Create("a", &workers, 16, nullptr);
  auto b = ModelUpdateQueue::Create("b", &workers, 16, nullptr);
  absl::Notification running;
  absl::Notification release;
  std::mutex mu;
  std::vector<std::string> order;
  auto record = [&](std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(std::move(what));
  };
  ASSERT_TRUE(a->Schedule([&] {
                 running.Notify();
                 release.WaitForNotification();
                 record("a1");
               }).ok());
  running.WaitForNotification();
  ASSERT_TRUE(a->Schedule([&] { record("a2"); }).ok());
  ASSERT_TRUE(a->Schedule([&] { record("a3"); }).ok());
  ASSERT_TRUE(b->Schedule([&] { record("b1"); }).ok());
  release.Notify();
  ASSERT_TRUE(WaitUntil([&] { return a->pending() + b->pending() == 0; }));
  workers.Shutdown();
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "b1", "a2", "a3"}));
}

TEST(ModelUpdateQueueTest, AcceptedUpdatesRunThroughShutdownNewOnesAreRefused) {
  WorkQueue workers(WorkQueueOptions{"update", 1, 0});
  auto queue = ModelUpdateQueue::Create("m", &workers, 16, nullptr);
  absl::Notification release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(StartBlocked(*queue, &release, [&] { ++ran; }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue->Schedule([&] { ++ran; }).ok());
  std::thread stopper([&] { workers.Shutdown(); });
  // Once the threads stop taking work, a new update is refused.
  ASSERT_TRUE(WaitUntil([&] {
    return workers.Schedule([] {}).code() == absl::StatusCode::kUnavailable;
  }));
  release.Notify();
  stopper.join();
  EXPECT_EQ(ran, 4);  // every accepted update ran
  EXPECT_EQ(queue->pending(), 0);
  EXPECT_EQ(queue->Schedule([] {}).code(), absl::StatusCode::kUnavailable);
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
  requested.set_max_queue_delay_us(batching::kMaxQueueDelayUsLimit + 1);
  EXPECT_THAT(ResolveBatchingOptions(requested, defaults).status().message(),
              HasSubstr("batching.max_queue_delay_us"));
}

// One type, one validation: the worker cap (and every other bound) is the
// same whether a value comes from CreateModel's `batching`, from the flags'
// defaults or straight to the scheduler; only the field's prefix differs.
TEST(BatchingConfigTest, OneValidationForRequestsFlagsAndScheduler) {
  const ModelBatchingOptions defaults;
  ServerOptions server_options;
  EXPECT_TRUE(ValidateServerOptions(server_options).ok());
  EXPECT_EQ(server_options.default_batching.max_batch_size,
            defaults.max_batch_size);
  EXPECT_EQ(server_options.default_batching.num_batch_workers,
            defaults.num_batch_workers);

  v1::BatchingOptions requested;
  requested.set_num_batch_workers(batching::kMaxBatchWorkersLimit);
  EXPECT_TRUE(ResolveBatchingOptions(requested, defaults).ok());
  server_options.default_batching.num_batch_workers =
      batching::kMaxBatchWorkersLimit;
  EXPECT_TRUE(ValidateServerOptions(server_options).ok());
  batching::SchedulerOptions scheduler_options;
  scheduler_options.name = "m";
  scheduler_options.num_batch_workers = batching::kMaxBatchWorkersLimit;
  EXPECT_TRUE(batching::ValidateSchedulerOptions(scheduler_options).ok());

  const int over = batching::kMaxBatchWorkersLimit + 1;
  const std::string rule =
      absl::StrCat(": ", over, ", must be in [1, ",
                   batching::kMaxBatchWorkersLimit, "]");
  requested.set_num_batch_workers(over);
  const absl::Status from_request =
      ResolveBatchingOptions(requested, defaults).status();
  EXPECT_EQ(from_request.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(from_request.message(),
              HasSubstr(absl::StrCat("batching.num_batch_workers", rule)));
  server_options.default_batching.num_batch_workers = over;
  const absl::Status from_flags = ValidateServerOptions(server_options);
  EXPECT_EQ(from_flags.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(from_flags.message(),
              HasSubstr(absl::StrCat("defaults.num_batch_workers", rule)));
  EXPECT_THAT(from_flags.message(), HasSubstr("--default_batch_workers"));
  scheduler_options.num_batch_workers = over;
  const absl::Status from_scheduler =
      batching::ValidateSchedulerOptions(scheduler_options);
  EXPECT_EQ(from_scheduler.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(from_scheduler.message(),
              HasSubstr(absl::StrCat("num_batch_workers", rule)));
}

}  // namespace
}  // namespace brainserve::server
