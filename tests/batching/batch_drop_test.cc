// Rejections, deadlines, cancellation and ownership.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/batching/test_util.h"

namespace brainserve::batching::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

SchedulerOptions Options(int64_t max_batch_size, int64_t max_queue_delay_us,
                         int64_t max_queue_size = 1024) {
  SchedulerOptions options;
  options.max_batch_size = max_batch_size;
  options.max_queue_delay_us = max_queue_delay_us;
  options.max_queue_size = max_queue_size;
  return options;
}

TEST_F(SchedulerTest, FullQueueAnswersResourceExhaustedAndKeepsOwnership) {
  Start(Options(/*max_batch_size=*/64, /*max_queue_delay_us=*/1000,
                /*max_queue_size=*/2));
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(Schedule(1).ok());

  std::unique_ptr<TestTask> task = MakeTask(2);
  TestTask* const raw = task.get();
  const absl::Status status = scheduler_->Schedule(&task);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("max_queue_size=2"));
  EXPECT_THAT(status.message(), HasSubstr(kName));
  EXPECT_EQ(task.get(), raw);
  EXPECT_EQ(task->id(), 2);
  EXPECT_EQ(scheduler_->queue_depth(), 2);

  // Tasks in a running batch no longer count against the limit.
  clock_.AdvanceBy(absl::Microseconds(1000));
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  EXPECT_TRUE(scheduler_->Schedule(&task).ok());
  EXPECT_EQ(task, nullptr);
  EXPECT_THAT(recorder_.drops(), IsEmpty());
}

TEST_F(SchedulerTest, TaskSizeBelowOneIsInvalidAndKeepsOwnership) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0));
  for (int64_t rows : {0, -3}) {
    std::unique_ptr<TestTask> task = MakeTask(0, rows);
    TestTask* const raw = task.get();
    const absl::Status status = scheduler_->Schedule(&task);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(std::to_string(rows)));
    EXPECT_EQ(task.get(), raw);
  }
  std::unique_ptr<TestTask> null_task;
  EXPECT_EQ(scheduler_->Schedule(&null_task).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_->Schedule(nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_->queue_depth(), 0);
}

TEST_F(SchedulerTest, IdleWorkerDropsExpiredTaskAtItsDeadline) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/10'000));
  const absl::Time start = clock_.Now();
  ASSERT_TRUE(Schedule(0, 1, start + absl::Milliseconds(2)).ok());
  ASSERT_TRUE(Schedule(1).ok());
  AwaitWorkerWaiting();
  // The worker wakes for the deadline, before the batch is due.
  EXPECT_EQ(clock_.earliest_waiter_deadline(), start + absl::Milliseconds(2));

  clock_.AdvanceBy(absl::Milliseconds(2));
  ASSERT_TRUE(recorder_.AwaitDrops(1));
  const DropRecord drop = recorder_.drops()[0];
  EXPECT_EQ(drop.id, 0);
  EXPECT_EQ(drop.why.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(drop.why.message(), HasSubstr(kName));
  EXPECT_EQ(drop.queue_time, absl::Milliseconds(2));
  EXPECT_THAT(recorder_.batches(), IsEmpty());
  EXPECT_EQ(scheduler_->queue_depth(), 1);

  clock_.AdvanceBy(absl::Milliseconds(8));  // task 1's batch is now due
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  EXPECT_THAT(recorder_.batches()[0].ids, ElementsAre(1));
  EXPECT_EQ(recorder_.drops().size(), 1u);
}

TEST_F(SchedulerTest, ExpiredTaskIsDroppedBeforeComputeWhileWorkerWasBusy) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  const absl::Time deadline = clock_.Now() + absl::Milliseconds(1);
  ASSERT_TRUE(Schedule(1, 1, deadline).ok());
  ASSERT_TRUE(Schedule(2, 1, deadline + absl::Milliseconds(1)).ok());
  ASSERT_TRUE(Schedule(3).ok());
  clock_.AdvanceBy(absl::Milliseconds(1));  // 1 expired; 2 expires later
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(2));
  ASSERT_TRUE(recorder_.AwaitDrops(1));
  EXPECT_THAT(recorder_.batches()[1].ids, ElementsAre(2, 3));
  const std::vector<DropRecord> drops = recorder_.drops();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].id, 1);
  EXPECT_EQ(drops[0].why.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(SchedulerTest, ExpiredTasksAnywhereInTheQueueGoAtTheNextFormation) {
  // An expired task behind the next batch does not wait for its own turn.
  Start(Options(/*max_batch_size=*/1, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  ASSERT_TRUE(Schedule(1).ok());
  ASSERT_TRUE(Schedule(2, 1, clock_.Now() + absl::Milliseconds(1)).ok());
  clock_.AdvanceBy(absl::Milliseconds(1));
  recorder_.ReleaseBatches(1);  // {0} finishes; {1} will block
  ASSERT_TRUE(recorder_.AwaitBatches(2));
  ASSERT_TRUE(recorder_.AwaitDrops(1));  // while {1} is still running
  EXPECT_EQ(recorder_.drops()[0].id, 2);
  EXPECT_EQ(scheduler_->queue_depth(), 0);
  EXPECT_THAT(recorder_.processed_ids(), ElementsAre(0, 1));
}

TEST_F(SchedulerTest, CancelledTaskIsDroppedBeforeCompute) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  std::unique_ptr<TestTask> task = MakeTask(1);
  TestTask* const queued = task.get();  // owned by the scheduler once queued
  ASSERT_TRUE(scheduler_->Schedule(&task).ok());
  ASSERT_TRUE(Schedule(2).ok());
  queued->Cancel();
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(2));
  ASSERT_TRUE(recorder_.AwaitDrops(1));
  EXPECT_THAT(recorder_.batches()[1].ids, ElementsAre(2));
  const DropRecord drop = recorder_.drops()[0];
  EXPECT_EQ(drop.id, 1);
  EXPECT_EQ(drop.why.code(), absl::StatusCode::kCancelled);
}

TEST_F(SchedulerTest, ExpiredAndCancelledReportsDeadlineExceeded) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));  // no sweep while the worker is busy
  std::unique_ptr<TestTask> task =
      MakeTask(1, 1, clock_.Now() + absl::Microseconds(500));
  task->Cancel();
  ASSERT_TRUE(scheduler_->Schedule(&task).ok());
  clock_.AdvanceBy(absl::Microseconds(500));
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitDrops(1));
  EXPECT_EQ(recorder_.drops()[0].why.code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(SchedulerTest, ShutdownWithDrainRunsQueuedTasksWithoutWaiting) {
  Start(Options(/*max_batch_size=*/2, /*max_queue_delay_us=*/1'000'000));
  for (int id = 0; id < 3; ++id) ASSERT_TRUE(Schedule(id).ok());
  scheduler_->Shutdown(/*drain=*/true);  // returns once the workers joined
  // {0, 1} went out by size; {2} by the drain although its delay never passed.
  EXPECT_THAT(recorder_.processed_ids(), ElementsAre(0, 1, 2));
  EXPECT_THAT(recorder_.drops(), IsEmpty());
  EXPECT_EQ(scheduler_->queue_depth(), 0);

  std::unique_ptr<TestTask> late = MakeTask(9);
  const absl::Status status = scheduler_->Schedule(&late);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr(kName));
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->id(), 9);
  scheduler_->Shutdown();  // idempotent
}

TEST_F(SchedulerTest, ShutdownWithoutDrainAnswersQueuedTasksUnavailable) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/1'000'000));
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(Schedule(1).ok());
  scheduler_->Shutdown(/*drain=*/false);
  EXPECT_THAT(recorder_.batches(), IsEmpty());
  const std::vector<DropRecord> drops = recorder_.drops();
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_EQ(drops[0].id, 0);
  EXPECT_EQ(drops[1].id, 1);
  for (const DropRecord& drop : drops) {
    EXPECT_EQ(drop.why.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(drop.why.message(), HasSubstr(kName));
  }
  EXPECT_EQ(Schedule(2).code(), absl::StatusCode::kUnavailable);
}

TEST_F(SchedulerTest, ShutdownWithoutDrainKeepsTheMoreSpecificReason) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/1'000'000));
  ASSERT_TRUE(Schedule(0, 1, clock_.Now() + absl::Milliseconds(1)).ok());
  std::unique_ptr<TestTask> task = MakeTask(1);
  TestTask* const queued = task.get();
  ASSERT_TRUE(scheduler_->Schedule(&task).ok());
  ASSERT_TRUE(Schedule(2).ok());
  queued->Cancel();
  clock_.AdvanceBy(absl::Milliseconds(1));
  // Whether the worker or Shutdown() answers 0 and 1, the reason is the same.
  scheduler_->Shutdown(/*drain=*/false);
  std::map<int, absl::StatusCode> codes;
  for (const DropRecord& drop : recorder_.drops())
    codes[drop.id] = drop.why.code();
  EXPECT_THAT(codes,
              UnorderedElementsAre(Pair(0, absl::StatusCode::kDeadlineExceeded),
                                   Pair(1, absl::StatusCode::kCancelled),
                                   Pair(2, absl::StatusCode::kUnavailable)));
  EXPECT_THAT(recorder_.batches(), IsEmpty());
}

TEST_F(SchedulerTest, ShutdownWaitsForTheRunningBatch) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  ASSERT_TRUE(Schedule(1).ok());
  absl::Notification shutdown_returned;
  std::thread shutdown([&] {
    scheduler_->Shutdown(/*drain=*/false);
    shutdown_returned.Notify();
  });
  ASSERT_TRUE(recorder_.AwaitDrops(1));  // queued task answered at once
  EXPECT_EQ(recorder_.drops()[0].id, 1);
  EXPECT_EQ(recorder_.drops()[0].why.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(shutdown_returned.HasBeenNotified());  // batch {0} still runs
  recorder_.OpenGate();
  EXPECT_TRUE(shutdown_returned.WaitForNotificationWithTimeout(kSafetyTimeout));
  shutdown.join();
  EXPECT_EQ(recorder_.batches().size(), 1u);
}

TEST_F(SchedulerTest, DestructorDrainsTheQueue) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/1'000'000));
  ASSERT_TRUE(Schedule(0).ok());
  scheduler_.reset();
  EXPECT_THAT(recorder_.processed_ids(), ElementsAre(0));
}

}  // namespace
}  // namespace brainserve::batching::testing
