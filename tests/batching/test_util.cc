#include "tests/batching/test_util.h"

#include <utility>

namespace brainserve::batching::testing {

std::unique_ptr<TestTask> MakeTask(int id, int64_t rows, absl::Time deadline) {
  return std::make_unique<TestTask>(id, rows, deadline);
}

TestScheduler::ProcessBatchFn Recorder::ProcessFn() {
  return [this](std::vector<std::unique_ptr<TestTask>> batch) {
    BatchRecord record;
    for (const auto& task : batch) {
      record.ids.push_back(task->id());
      record.rows += task->size();
      record.queue_times.push_back(task->dequeue_time() - task->enqueue_time());
    }
    absl::MutexLock lock(&mu_);
    batches_.push_back(std::move(record));
    auto permitted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return permits_ > 0;
    };
    mu_.Await(absl::Condition(&permitted));
    --permits_;
  };
}

TestScheduler::DropTaskFn Recorder::DropFn() {
  return [this](std::unique_ptr<TestTask> task, absl::Status why) {
    absl::MutexLock lock(&mu_);
    drops_.push_back(DropRecord{task->id(), std::move(why),
                                task->dequeue_time() - task->enqueue_time()});
  };
}

void Recorder::CloseGate() {
  absl::MutexLock lock(&mu_);
  permits_ = 0;
}

void Recorder::ReleaseBatches(int n) {
  absl::MutexLock lock(&mu_);
  permits_ += n;
}

void Recorder::OpenGate() {
  absl::MutexLock lock(&mu_);
  permits_ = kUnlimited;
}

bool Recorder::AwaitBatches(int n) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(batches_.size()) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
}

bool Recorder::AwaitDrops(int n) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(drops_.size()) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
}

std::vector<BatchRecord> Recorder::batches() {
  absl::MutexLock lock(&mu_);
  return batches_;
}

std::vector<DropRecord> Recorder::drops() {
  absl::MutexLock lock(&mu_);
  return drops_;
}

std::vector<int> Recorder::processed_ids() {
  absl::MutexLock lock(&mu_);
  std::vector<int> ids;
  for (const BatchRecord& batch : batches_) {
    ids.insert(ids.end(), batch.ids.begin(), batch.ids.end());
  }
  return ids;
}

void SchedulerTest::TearDown() {
  recorder_.OpenGate();
  scheduler_.reset();
}

void SchedulerTest::Start(SchedulerOptions options) {
  options.clock = &clock_;
  options.name = kName;
  auto scheduler =
      TestScheduler::Create(options, recorder_.ProcessFn(), recorder_.DropFn());
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  scheduler_ = *std::move(scheduler);
}

absl::Status SchedulerTest::Schedule(int id, int64_t rows,
                                     absl::Time deadline) {
  std::unique_ptr<TestTask> task = MakeTask(id, rows, deadline);
  absl::Status status = scheduler_->Schedule(&task);
  EXPECT_EQ(status.ok(), task == nullptr) << "ownership must move iff OK";
  return status;
}

void SchedulerTest::AwaitWorkerWaiting(int n) {
  ASSERT_TRUE(clock_.AwaitTimedWaiters(n, kSafetyTimeout))
      << "no worker waited on the clock";
}

}  // namespace brainserve::batching::testing
