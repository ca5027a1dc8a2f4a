#include "server/batching/scheduler_core.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"

namespace brainserve::batching::internal {

absl::StatusOr<std::unique_ptr<SchedulerCore>> SchedulerCore::Create(
    const SchedulerOptions& options, ProcessBatchFn process, DropTaskFn drop) {
  if (absl::Status status = ValidateSchedulerOptions(options); !status.ok()) {
    return status;
  }
  if (!process || !drop) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch scheduler of ", options.name,
                     ": the process and drop callbacks must both be set"));
  }
  auto core = absl::WrapUnique(
      new SchedulerCore(options, std::move(process), std::move(drop)));
  absl::MutexLock lock(&core->join_mu_);
  core->workers_.reserve(options.num_batch_workers);
  for (int i = 0; i < options.num_batch_workers; ++i) {
    core->workers_.emplace_back([raw = core.get()] { raw->WorkerLoop(); });
  }
  return core;
}

SchedulerCore::SchedulerCore(const SchedulerOptions& options,
                             ProcessBatchFn process, DropTaskFn drop)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : RealClock()),
      max_queue_delay_(absl::Microseconds(options.max_queue_delay_us)),
      process_(std::move(process)),
      drop_(std::move(drop)) {}

SchedulerCore::~SchedulerCore() { Shutdown(/*drain=*/true, "shut down"); }

absl::Status SchedulerCore::Schedule(std::unique_ptr<BatchTask>* task) {
  if (task == nullptr || *task == nullptr) {
    return absl::InvalidArgumentError("Schedule() needs a non-null task");
  }
  const int64_t rows = (*task)->size();
  if (rows < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("task size must be >= 1 row, got ", rows));
  }
  {
    absl::MutexLock lock(&mu_);
    if (!accepting_) {
      return absl::UnavailableError(absl::StrCat(
          options_.name, ": not accepting requests (", shutdown_reason_, ")"));
    }
    if (static_cast<int64_t>(queue_.size()) >= options_.max_queue_size) {
      return absl::ResourceExhaustedError(absl::StrCat(
          options_.name,
          ": queue is full (max_queue_size=", options_.max_queue_size, ")"));
    }
    const int64_t max_rows = options_.max_batch_size;
    const bool was_empty = queue_.empty();
    const bool became_full =
        queued_rows_ < max_rows && queued_rows_ + rows >= max_rows;
    const bool earlier_deadline =
        !worker_wakeups_.empty() &&
        (*task)->deadline() < *worker_wakeups_.begin();
    (*task)->enqueue_time_ = clock_->Now();
    queue_.push_back(Entry{std::move(*task), rows});
    queued_rows_ += rows;
    UpdateDepthLocked();
    if (was_empty || became_full || earlier_deadline) work_cv_.Signal();
  }
  ReportQueueDepth();
  return absl::OkStatus();
}

int64_t SchedulerCore::queued_rows() const {
  absl::MutexLock lock(&mu_);
  return queued_rows_;
}

void SchedulerCore::Shutdown(bool drain, absl::string_view reason) {
  std::vector<Dropped> unrun;
  {
    absl::MutexLock lock(&mu_);
    if (accepting_) shutdown_reason_ = std::string(reason);
    accepting_ = false;
    stopping_ = true;
    if (!drain) {
      const absl::Time now = clock_->Now();
      for (Entry& entry : queue_) {
        absl::Status why = DropReason(*entry.task, now);
        if (why.ok()) {
          why = absl::UnavailableError(
              absl::StrCat(options_.name, ": ", shutdown_reason_,
                           " before the request could run"));
        }
        entry.task->dequeue_time_ = now;
        unrun.push_back(Dropped{std::move(entry.task), std::move(why)});
      }
      queue_.clear();
      queued_rows_ = 0;
      UpdateDepthLocked();
    }
    work_cv_.SignalAll();
  }
  if (!unrun.empty()) {
    ReportQueueDepth();
    for (Dropped& d : unrun) drop_(std::move(d.task), std::move(d.why));
  }
  JoinWorkers();
}

void SchedulerCore::JoinWorkers() {
  absl::MutexLock lock(&join_mu_);
  for (std::thread& worker : workers_) {
    assert(worker.get_id() != std::this_thread::get_id() &&
           "Shutdown() called from a scheduler callback");
    if (worker.joinable()) worker.join();
  }
}

void SchedulerCore::WorkerLoop() {
  bool keep_running = true;
  while (keep_running) {
    Batch batch;
    std::vector<Dropped> dropped;
    {
      absl::MutexLock lock(&mu_);
      keep_running = NextWorkLocked(&batch, &dropped);
    }
    if (batch.empty() && dropped.empty()) continue;
    ReportQueueDepth();
    for (Dropped& d : dropped) drop_(std::move(d.task), std::move(d.why));
    if (!batch.empty()) process_(std::move(batch));
  }
}

bool SchedulerCore::NextWorkLocked(Batch* batch,
                                   std::vector<Dropped>* dropped) {
  while (true) {
    const absl::Time now = clock_->Now();
    const absl::Time earliest_deadline = SweepLocked(now, dropped);
    if (queue_.empty()) {
      if (!dropped->empty()) return true;
      if (stopping_) return false;
      work_cv_.Wait(&mu_);
      continue;
    }
    const absl::Time batch_due =
        queue_.front().task->enqueue_time_ + max_queue_delay_;
    if (stopping_ || queued_rows_ >= options_.max_batch_size ||
        now >= batch_due) {
      FormBatchLocked(now, batch);
      // Let another idle worker look at what is left.
      if (!queue_.empty()) work_cv_.Signal();
      return true;
    }
    if (!dropped->empty()) return true;
    const absl::Time wake_at = std::min(batch_due, earliest_deadline);
    auto wakeup = worker_wakeups_.insert(wake_at);
    clock_->WaitUntil(&work_cv_, &mu_, wake_at);
    worker_wakeups_.erase(wakeup);
  }
}

absl::Status SchedulerCore::DropReason(const BatchTask& task,
                                       absl::Time now) const {
  if (now >= task.deadline()) {
    return absl::DeadlineExceededError(
        absl::StrCat(options_.name, ": deadline exceeded after ",
                     absl::FormatDuration(now - task.enqueue_time_),
                     " in the batch queue, before compute"));
  }
  if (task.IsCancelled()) {
    return absl::CancelledError(
        absl::StrCat(options_.name, ": cancelled while queued for batching"));
  }
  return absl::OkStatus();
}

absl::Time SchedulerCore::SweepLocked(absl::Time now,
                                      std::vector<Dropped>* dropped) {
  absl::Time earliest_deadline = absl::InfiniteFuture();
  auto kept = queue_.begin();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    BatchTask& task = *it->task;
    absl::Status why = DropReason(task, now);
    if (!why.ok()) {
      task.dequeue_time_ = now;
      queued_rows_ -= it->rows;
      dropped->push_back(Dropped{std::move(it->task), std::move(why)});
      continue;
    }
    earliest_deadline = std::min(earliest_deadline, task.deadline());
    if (kept != it) *kept = std::move(*it);
    ++kept;
  }
  if (kept != queue_.end()) {
    queue_.erase(kept, queue_.end());
    UpdateDepthLocked();
  }
  return earliest_deadline;
}

void SchedulerCore::FormBatchLocked(absl::Time now, Batch* batch) {
  int64_t rows = 0;
  while (!queue_.empty()) {
    Entry& next = queue_.front();
    if (rows > 0 && rows + next.rows > options_.max_batch_size) break;
    rows += next.rows;
    next.task->dequeue_time_ = now;
    batch->push_back(std::move(next.task));
    queue_.pop_front();
  }
  queued_rows_ -= rows;
  UpdateDepthLocked();
}

void SchedulerCore::UpdateDepthLocked() {
  queue_depth_.store(static_cast<int64_t>(queue_.size()),
                     std::memory_order_release);
}

// Each change to the depth is followed by a call here that reads the depth
// under `report_mu_`, so the last call observes the latest value.
void SchedulerCore::ReportQueueDepth() {
  if (!options_.on_queue_depth_change) return;
  absl::MutexLock lock(&report_mu_);
  options_.on_queue_depth_change(queue_depth_.load(std::memory_order_acquire));
}

}  // namespace brainserve::batching::internal
