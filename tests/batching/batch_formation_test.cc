// When batches go out and what they contain.

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/batching/test_util.h"

namespace brainserve::batching::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

SchedulerOptions Options(int64_t max_batch_size, int64_t max_queue_delay_us,
                         int workers = 1) {
  SchedulerOptions options;
  options.max_batch_size = max_batch_size;
  options.max_queue_delay_us = max_queue_delay_us;
  options.num_batch_workers = workers;
  return options;
}

TEST_F(SchedulerTest, FullBatchGoesOutWithoutWaitingForTheDelay) {
  Start(Options(/*max_batch_size=*/4, /*max_queue_delay_us=*/1'000'000));
  const absl::Time start = clock_.Now();
  for (int id = 0; id < 3; ++id) ASSERT_TRUE(Schedule(id).ok());
  AwaitWorkerWaiting();
  // Time never moves in this test: only the size trigger can start a batch.
  EXPECT_THAT(recorder_.batches(), IsEmpty());
  EXPECT_EQ(scheduler_->queue_depth(), 3);
  EXPECT_EQ(scheduler_->queued_rows(), 3);

  ASSERT_TRUE(Schedule(3).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  const BatchRecord batch = recorder_.batches()[0];
  EXPECT_THAT(batch.ids, ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(batch.rows, 4);
  EXPECT_EQ(clock_.Now(), start);
}

TEST_F(SchedulerTest, PartialBatchGoesOutWhenOldestTaskWaitedTheDelay) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/1000));
  const absl::Time start = clock_.Now();
  ASSERT_TRUE(Schedule(0).ok());
  clock_.AdvanceBy(absl::Microseconds(400));
  ASSERT_TRUE(Schedule(1, /*rows=*/2).ok());
  AwaitWorkerWaiting();
  // The batch is due when the OLDEST task has waited the delay.
  EXPECT_EQ(clock_.earliest_waiter_deadline(),
            start + absl::Microseconds(1000));

  clock_.AdvanceBy(absl::Microseconds(599));  // not yet due: nobody wakes up
  EXPECT_THAT(recorder_.batches(), IsEmpty());
  EXPECT_EQ(scheduler_->queue_depth(), 2);

  clock_.AdvanceBy(absl::Microseconds(1));
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  const BatchRecord batch = recorder_.batches()[0];
  EXPECT_THAT(batch.ids, ElementsAre(0, 1));
  EXPECT_EQ(batch.rows, 3);
  EXPECT_THAT(batch.queue_times,
              ElementsAre(absl::Microseconds(1000), absl::Microseconds(600)));
  EXPECT_EQ(scheduler_->queue_depth(), 0);
}

TEST_F(SchedulerTest, ZeroDelayIdleWorkerTakesWhatIsQueuedAtOnce) {
  Start(Options(/*max_batch_size=*/64, /*max_queue_delay_us=*/0));
  ASSERT_TRUE(Schedule(7, /*rows=*/3).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));  // the fake clock never moves
  const BatchRecord batch = recorder_.batches()[0];
  EXPECT_THAT(batch.ids, ElementsAre(7));
  EXPECT_THAT(batch.queue_times, ElementsAre(absl::ZeroDuration()));
}

TEST_F(SchedulerTest, BatchesGrowWhileTheWorkerIsBusy) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));  // worker busy with {0}
  for (int id = 1; id <= 3; ++id) ASSERT_TRUE(Schedule(id).ok());
  EXPECT_EQ(scheduler_->queue_depth(), 3);

  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(2));
  const std::vector<BatchRecord> batches = recorder_.batches();
  EXPECT_THAT(batches[0].ids, ElementsAre(0));
  EXPECT_THAT(batches[1].ids, ElementsAre(1, 2, 3));
}

TEST_F(SchedulerTest, TaskThatWouldOverflowWaitsAndIsNeverSplitOrSkipped) {
  Start(Options(/*max_batch_size=*/4, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  ASSERT_TRUE(Schedule(1, /*rows=*/2).ok());
  ASSERT_TRUE(Schedule(2, /*rows=*/3).ok());  // 2 + 3 > 4: next batch
  ASSERT_TRUE(Schedule(3, /*rows=*/1).ok());  // would fit, but FIFO: no skip
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(3));
  const std::vector<BatchRecord> batches = recorder_.batches();
  EXPECT_THAT(batches[1].ids, ElementsAre(1));
  EXPECT_THAT(batches[2].ids, ElementsAre(2, 3));
  EXPECT_EQ(batches[2].rows, 4);
}

TEST_F(SchedulerTest, OversizeTaskRunsAloneAtOnce) {
  Start(Options(/*max_batch_size=*/4, /*max_queue_delay_us=*/1'000'000));
  ASSERT_TRUE(Schedule(0, /*rows=*/10).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));  // full by itself; no delay
  EXPECT_THAT(recorder_.batches()[0].ids, ElementsAre(0));
  EXPECT_EQ(recorder_.batches()[0].rows, 10);
  EXPECT_THAT(recorder_.drops(), IsEmpty());
}

TEST_F(SchedulerTest, OversizeTaskBehindOthersRunsAloneInItsTurn) {
  Start(Options(/*max_batch_size=*/4, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  ASSERT_TRUE(Schedule(1).ok());
  ASSERT_TRUE(Schedule(2, /*rows=*/10).ok());
  ASSERT_TRUE(Schedule(3).ok());
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(4));
  const std::vector<BatchRecord> batches = recorder_.batches();
  EXPECT_THAT(batches[1].ids, ElementsAre(1));
  EXPECT_THAT(batches[2].ids, ElementsAre(2));
  EXPECT_THAT(batches[3].ids, ElementsAre(3));
}

TEST_F(SchedulerTest, MaxBatchSizeOneDisablesBatching) {
  Start(Options(/*max_batch_size=*/1, /*max_queue_delay_us=*/1'000'000));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  ASSERT_TRUE(Schedule(1).ok());
  ASSERT_TRUE(Schedule(2).ok());
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(3));
  for (const BatchRecord& batch : recorder_.batches()) {
    EXPECT_EQ(batch.ids.size(), 1u);
  }
  EXPECT_THAT(recorder_.processed_ids(), ElementsAre(0, 1, 2));
}

TEST_F(SchedulerTest, BatchesAreFormedInFifoOrder) {
  Start(Options(/*max_batch_size=*/3, /*max_queue_delay_us=*/0));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  for (int id = 1; id <= 9; ++id) ASSERT_TRUE(Schedule(id).ok());
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(4));
  const std::vector<BatchRecord> batches = recorder_.batches();
  EXPECT_THAT(batches[1].ids, ElementsAre(1, 2, 3));
  EXPECT_THAT(batches[2].ids, ElementsAre(4, 5, 6));
  EXPECT_THAT(batches[3].ids, ElementsAre(7, 8, 9));
}

TEST_F(SchedulerTest, TwoWorkersRunBatchesConcurrently) {
  Start(Options(/*max_batch_size=*/8, /*max_queue_delay_us=*/0,
                /*workers=*/2));
  recorder_.CloseGate();
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  ASSERT_TRUE(Schedule(1).ok());
  // The first batch is still blocked, so only a second worker can start this.
  ASSERT_TRUE(recorder_.AwaitBatches(2));
  ASSERT_TRUE(Schedule(2).ok());
  EXPECT_EQ(scheduler_->queue_depth(), 1);  // both workers are busy
  recorder_.OpenGate();
  ASSERT_TRUE(recorder_.AwaitBatches(3));
  EXPECT_THAT(recorder_.batches()[2].ids, ElementsAre(2));
}

TEST_F(SchedulerTest, SecondIdleWorkerTakesWhatTheFirstLeft) {
  Start(Options(/*max_batch_size=*/2, /*max_queue_delay_us=*/1'000'000,
                /*workers=*/2));
  recorder_.CloseGate();
  // Four rows queue up; each batch holds two. Two batches must run at once.
  for (int id = 0; id < 4; ++id) ASSERT_TRUE(Schedule(id).ok());
  ASSERT_TRUE(recorder_.AwaitBatches(2));
  EXPECT_EQ(scheduler_->queue_depth(), 0);
  recorder_.OpenGate();
  // FIFO and the size trigger: {0, 1} and {2, 3}, in whichever order the two
  // workers recorded them.
  std::vector<std::vector<int>> ids;
  for (const BatchRecord& batch : recorder_.batches()) ids.push_back(batch.ids);
  EXPECT_THAT(ids, UnorderedElementsAre(ElementsAre(0, 1), ElementsAre(2, 3)));
}

TEST_F(SchedulerTest, QueueDepthCallbackEndsWithTheCurrentDepth) {
  absl::Mutex mu;
  std::vector<int64_t> depths;
  SchedulerOptions options = Options(/*max_batch_size=*/8,
                                     /*max_queue_delay_us=*/1000);
  options.on_queue_depth_change = [&](int64_t depth) {
    absl::MutexLock lock(&mu);
    depths.push_back(depth);
  };
  Start(options);
  ASSERT_TRUE(Schedule(0).ok());
  ASSERT_TRUE(Schedule(1).ok());
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(depths, ElementsAre(1, 2));
  }
  clock_.AdvanceBy(absl::Microseconds(1000));
  ASSERT_TRUE(recorder_.AwaitBatches(1));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(depths, ElementsAre(1, 2, 0));
}

}  // namespace
}  // namespace brainserve::batching::testing
