// Shared helpers for the batch scheduler tests: a task type, a thread-safe
// recorder of what the scheduler did, and a fixture wiring them up with a
// FakeClock.

#ifndef BRAINSERVE_TESTS_BATCHING_TEST_UTIL_H_
#define BRAINSERVE_TESTS_BATCHING_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/batching/batch_scheduler.h"
#include "server/batching/batch_task.h"
#include "tests/batching/fake_clock.h"
#include "server/batching/scheduler_options.h"

namespace brainserve::batching::testing {

// Wall-clock bound for waits that only guard against a hung test.
inline constexpr absl::Duration kSafetyTimeout = absl::Seconds(30);

class TestTask : public BatchTask {
 public:
  TestTask(int id, int64_t rows, absl::Time deadline)
      : id_(id), rows_(rows), deadline_(deadline) {}

  int64_t size() const override { return rows_; }
  absl::Time deadline() const override { return deadline_; }
  bool IsCancelled() const override { return cancelled_.load(); }

  int id() const { return id_; }
  void Cancel() { cancelled_.store(true); }

 private:
  const int id_;
  const int64_t rows_;
  const absl::Time deadline_;
  std::atomic<bool> cancelled_{false};
};

std::unique_ptr<TestTask> MakeTask(
    int id, int64_t rows = 1, absl::Time deadline = absl::InfiniteFuture());

using TestScheduler = BatchScheduler<TestTask>;

struct BatchRecord {
  std::vector<int> ids;
  int64_t rows = 0;
  std::vector<absl::Duration> queue_times;  // dequeue_time - enqueue_time
};

struct DropRecord {
  int id;
  absl::Status why;
  absl::Duration queue_time;
};

// Records every batch and drop. The batch callback records its batch, then
// blocks until it gets a permit, which keeps that worker busy. The gate starts
// open (unlimited permits).
class Recorder {
 public:
  TestScheduler::ProcessBatchFn ProcessFn();
  TestScheduler::DropTaskFn DropFn();

  // No more permits: batches block after being recorded.
  void CloseGate();
  // Lets `n` more batches finish.
  void ReleaseBatches(int n);
  // Unlimited permits.
  void OpenGate();

  // Block (up to kSafetyTimeout) until at least n batches / drops were
  // recorded; false on timeout.
  bool AwaitBatches(int n);
  bool AwaitDrops(int n);

  std::vector<BatchRecord> batches();
  std::vector<DropRecord> drops();
  // Ids of every task that ran, in the order the batches started.
  std::vector<int> processed_ids();

 private:
  static constexpr int64_t kUnlimited = int64_t{1} << 60;

  absl::Mutex mu_;
  int64_t permits_ ABSL_GUARDED_BY(mu_) = kUnlimited;
  std::vector<BatchRecord> batches_ ABSL_GUARDED_BY(mu_);
  std::vector<DropRecord> drops_ ABSL_GUARDED_BY(mu_);
};

// Fixture: a FakeClock, a Recorder and a scheduler built by Start().
class SchedulerTest : public ::testing::Test {
 protected:
  static constexpr char kName[] = "test_model";

  void TearDown() override;

  // Fills in clock and name, creates the scheduler, asserts success.
  void Start(SchedulerOptions options);
  absl::Status Schedule(int id, int64_t rows = 1,
                        absl::Time deadline = absl::InfiniteFuture());
  // Waits until a worker blocks on the fake clock (it has decided to wait).
  void AwaitWorkerWaiting(int n = 1);

  FakeClock clock_;
  Recorder recorder_;
  std::unique_ptr<TestScheduler> scheduler_;
};

}  // namespace brainserve::batching::testing

#endif  // BRAINSERVE_TESTS_BATCHING_TEST_UTIL_H_
