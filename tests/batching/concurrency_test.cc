// The scheduler on the real clock under concurrent producers: every accepted
// task leaves exactly once and for the right reason, rejected tasks stay with
// the caller, and batch limits hold. No timing assertions.

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
constexpr int kTasks = kProducers * kTasksPerProducer;
constexpr int64_t kMaxBatchSize = 16;

enum class Kind {
  kPlain,          // no deadline, not cancelled: must run (unless aborted)
  kExpired,        // deadline already passed when scheduled: never runs
  kShortDeadline,  // may run or expire
  kCancelled,      // cancelled before Schedule: never runs
};

struct Outcome {
  std::atomic<int> accepted{0};
  std::atomic<int> rejected{0};
  std::atomic<int> producers_done{0};
  // Indexed by task id; each entry is written by one producer only and read
  // after the producers are joined.
  std::vector<Kind> kinds = std::vector<Kind>(kTasks, Kind::kPlain);
  std::vector<char> accepted_ids =
      std::vector<char>(kTasks, 0);  // not vector<bool>: bits share words
};

void Produce(TestScheduler* scheduler, int producer, Outcome* outcome) {
  std::mt19937 rng(producer);
  for (int i = 0; i < kTasksPerProducer; ++i) {
    const int id = producer * kTasksPerProducer + i;
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 4);
    Kind kind = Kind::kPlain;
    absl::Time deadline = absl::InfiniteFuture();
    switch (rng() % 10) {
      case 0:
        kind = Kind::kExpired;
        deadline = absl::Now() - absl::Seconds(1);
        break;
      case 1:
        kind = Kind::kShortDeadline;
        deadline = absl::Now() + absl::Microseconds(50);
        break;
      case 2:
        kind = Kind::kCancelled;
        break;
      default:
        break;
    }
    std::unique_ptr<TestTask> task = MakeTask(id, rows, deadline);
    TestTask* const raw = task.get();
    if (kind == Kind::kCancelled) raw->Cancel();
    outcome->kinds[id] = kind;
    const absl::Status status = scheduler->Schedule(&task);
    if (status.ok()) {
      EXPECT_EQ(task, nullptr);
      outcome->accepted_ids[id] = 1;
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

class ConcurrencyTest : public ::testing::TestWithParam<bool> {};

TEST_P(ConcurrencyTest, EveryAcceptedTaskLeavesExactlyOnceForTheRightReason) {
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
  while (outcome.accepted.load() < kTasks / 4 &&
         outcome.producers_done.load() < kProducers) {
    std::this_thread::yield();
  }
  scheduler->Shutdown(drain);
  EXPECT_EQ(scheduler->queue_depth(), 0);
  for (std::thread& producer : producers) producer.join();
  EXPECT_EQ(outcome.accepted.load() + outcome.rejected.load(), kTasks);

  std::map<int, int> times_seen;
  for (const BatchRecord& batch : recorder.batches()) {
    EXPECT_TRUE(batch.rows <= kMaxBatchSize || batch.ids.size() == 1u);
    for (int id : batch.ids) {
      ++times_seen[id];
      EXPECT_NE(outcome.kinds[id], Kind::kExpired) << id;
      EXPECT_NE(outcome.kinds[id], Kind::kCancelled) << id;
    }
  }
  for (const DropRecord& drop : recorder.drops()) {
    ++times_seen[drop.id];
    const absl::StatusCode code = drop.why.code();
    switch (outcome.kinds[drop.id]) {
      case Kind::kPlain:
        EXPECT_FALSE(drain) << "drained scheduler dropped task " << drop.id;
        EXPECT_EQ(code, absl::StatusCode::kUnavailable);
        break;
      case Kind::kExpired:
        EXPECT_EQ(code, absl::StatusCode::kDeadlineExceeded);
        break;
      case Kind::kShortDeadline:
        EXPECT_TRUE(code == absl::StatusCode::kDeadlineExceeded ||
                    code == absl::StatusCode::kUnavailable)
            << drop.why;
        break;
      case Kind::kCancelled:
        EXPECT_EQ(code, absl::StatusCode::kCancelled);
        break;
    }
  }
  for (int id = 0; id < kTasks; ++id) {
    EXPECT_EQ(times_seen[id], outcome.accepted_ids[id] ? 1 : 0) << id;
  }
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
  // Not full, so it cannot have gone out before its delay.
  EXPECT_GE(recorder.batches()[0].queue_times[0], absl::Microseconds(2000));
}

}  // namespace
}  // namespace brainserve::batching::testing
