// The scheduler on the real clock under concurrent producers: every accepted
// task leaves exactly once, rejected tasks stay with the caller, and batch
// limits hold. No timing assertions.

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/batching/test_util.h"

namespace brainserve::batching::testing {
namespace {

constexpr int kProducers = 4;
constexpr int kTasksPerProducer = 400;
constexpr int64_t kMaxBatchSize = 16;

struct Outcome {
  std::atomic<int> accepted{0};
  std::atomic<int> rejected{0};
  std::atomic<int> producers_done{0};
};

// Each producer schedules tasks of 1..4 rows; some already expired, some with
// a short deadline, some cancelled right after scheduling.
void Produce(TestScheduler* scheduler, int producer, Outcome* outcome) {
  std::mt19937 rng(producer);
  for (int i = 0; i < kTasksPerProducer; ++i) {
    const int id = producer * kTasksPerProducer + i;
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 4);
    absl::Time deadline = absl::InfiniteFuture();
    switch (rng() % 8) {
      case 0: deadline = absl::Now() - absl::Seconds(1); break;
      case 1: deadline = absl::Now() + absl::Microseconds(50); break;
      default: break;
    }
    std::unique_ptr<TestTask> task = MakeTask(id, rows, deadline);
    TestTask* const raw = task.get();
    const bool cancel = rng() % 10 == 0;
    if (cancel) raw->Cancel();  // before Schedule: the task may run at once
    const absl::Status status = scheduler->Schedule(&task);
    if (status.ok()) {
      EXPECT_EQ(task, nullptr);
      outcome->accepted.fetch_add(1);
    } else {
      EXPECT_TRUE(status.code() == absl::StatusCode::kResourceExhausted ||
                  status.code() == absl::StatusCode::kUnavailable)
          << status;
      EXPECT_EQ(task.get(), raw);
      outcome->rejected.fetch_add(1);
    }
    if (i % 64 == 0) std::this_thread::yield();
  }
  outcome->producers_done.fetch_add(1);
}

void CheckEveryAcceptedTaskLeftOnce(Recorder& recorder, const Outcome& outcome) {
  std::map<int, int> seen;
  for (const BatchRecord& batch : recorder.batches()) {
    EXPECT_FALSE(batch.ids.empty());
    EXPECT_TRUE(batch.rows <= kMaxBatchSize || batch.ids.size() == 1u);
    for (int id : batch.ids) ++seen[id];
  }
  for (const DropRecord& drop : recorder.drops()) {
    ++seen[drop.id];
    const absl::StatusCode code = drop.why.code();
    EXPECT_TRUE(code == absl::StatusCode::kDeadlineExceeded ||
                code == absl::StatusCode::kCancelled ||
                code == absl::StatusCode::kUnavailable)
        << drop.why;
  }
  EXPECT_EQ(static_cast<int>(seen.size()), outcome.accepted.load());
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << "task " << id;
  EXPECT_EQ(outcome.accepted.load() + outcome.rejected.load(),
            kProducers * kTasksPerProducer);
}

class ConcurrencyTest : public ::testing::TestWithParam<bool> {};

TEST_P(ConcurrencyTest, EveryAcceptedTaskLeavesExactlyOnce) {
  const bool drain = GetParam();
  Recorder recorder;
  SchedulerOptions options;
  options.max_batch_size = kMaxBatchSize;
  options.max_queue_delay_us = 200;
  options.max_queue_size = 64;  // small enough that bursts are rejected
  options.num_batch_workers = 2;
  options.name = "stress";
  auto created =
      TestScheduler::Create(options, recorder.ProcessFn(), recorder.DropFn());
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<TestScheduler> scheduler = *std::move(created);

  Outcome outcome;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back(Produce, scheduler.get(), p, &outcome);
  }
  // Shut down while the producers are (most likely) still going.
  while (outcome.accepted.load() < kProducers * kTasksPerProducer / 4 &&
         outcome.producers_done.load() < kProducers) {
    std::this_thread::yield();
  }
  scheduler->Shutdown(drain);
  EXPECT_EQ(scheduler->queue_depth(), 0);
  for (std::thread& producer : producers) producer.join();

  CheckEveryAcceptedTaskLeftOnce(recorder, outcome);
  if (drain) {
    for (const DropRecord& drop : recorder.drops()) {
      EXPECT_NE(drop.why.code(), absl::StatusCode::kUnavailable);
    }
  }
  EXPECT_FALSE(recorder.batches().empty());
}

INSTANTIATE_TEST_SUITE_P(DrainOrNot, ConcurrencyTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Drain" : "Abort";
                         });

TEST(RealClockTest, DelayedBatchEventuallyRunsOnTheWallClock) {
  Recorder recorder;
  SchedulerOptions options;
  options.max_batch_size = 64;
  options.max_queue_delay_us = 2000;
  auto created =
      TestScheduler::Create(options, recorder.ProcessFn(), recorder.DropFn());
  ASSERT_TRUE(created.ok());
  std::unique_ptr<TestScheduler> scheduler = *std::move(created);
  std::unique_ptr<TestTask> task = MakeTask(1);
  ASSERT_TRUE(scheduler->Schedule(&task).ok());
  ASSERT_TRUE(recorder.AwaitBatches(1));
  EXPECT_THAT(recorder.processed_ids(), ::testing::ElementsAre(1));
  EXPECT_GE(recorder.batches()[0].queue_times[0], absl::Microseconds(2000));
}

}  // namespace
}  // namespace brainserve::batching::testing
