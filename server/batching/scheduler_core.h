// The non-template engine behind BatchScheduler<TaskT> (batch_scheduler.h).
// Use BatchScheduler; this class is an implementation detail.

#ifndef BRAINSERVE_SERVER_BATCHING_SCHEDULER_CORE_H_
#define BRAINSERVE_SERVER_BATCHING_SCHEDULER_CORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/batching/batch_task.h"
#include "server/batching/clock.h"
#include "server/batching/scheduler_options.h"

namespace brainserve::batching::internal {

// Owns the task queue and the worker threads. Semantics are documented on
// BatchScheduler; this class implements them for BatchTask.
//
// Worker loop: sweep the queue (drop expired and cancelled tasks), then form
// a batch if the queue holds a full batch, the oldest task has waited
// max_queue_delay_us, or the scheduler is draining; otherwise wait on the
// clock until the oldest task's batch is due or the earliest queued deadline,
// whichever is first. Schedule() wakes a worker only when that can change the
// decision (queue was empty, queue became full, earlier deadline).
//
// Thread safety: all public methods are thread-safe. Callbacks run without
// the internal lock held.
class SchedulerCore {
 public:
  using Batch = std::vector<std::unique_ptr<BatchTask>>;
  using ProcessBatchFn = std::function<void(Batch batch)>;
  using DropTaskFn =
      std::function<void(std::unique_ptr<BatchTask> task, absl::Status why)>;

  // Validates `options`, then starts options.num_batch_workers threads.
  static absl::StatusOr<std::unique_ptr<SchedulerCore>> Create(
      const SchedulerOptions& options, ProcessBatchFn process, DropTaskFn drop);

  SchedulerCore(const SchedulerCore&) = delete;
  SchedulerCore& operator=(const SchedulerCore&) = delete;
  ~SchedulerCore();  // Shutdown(/*drain=*/true)

  absl::Status Schedule(std::unique_ptr<BatchTask>* task);
  int64_t queue_depth() const {
    return queue_depth_.load(std::memory_order_acquire);
  }
  int64_t queued_rows() const;
  const SchedulerOptions& options() const { return options_; }
  void Shutdown(bool drain, absl::string_view reason);

 private:
  struct Entry {
    std::unique_ptr<BatchTask> task;
    int64_t rows;  // task->size(), read once at Schedule()
  };
  struct Dropped {
    std::unique_ptr<BatchTask> task;
    absl::Status why;
  };

  SchedulerCore(const SchedulerOptions& options, ProcessBatchFn process,
                DropTaskFn drop);

  void WorkerLoop();
  // Blocks until this worker has something to do. Fills `batch` and/or
  // `dropped`; returns false when the worker should exit (both empty then).
  bool NextWorkLocked(Batch* batch, std::vector<Dropped>* dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // DEADLINE_EXCEEDED or CANCELLED if `task` must leave the queue unrun at
  // `now`, else OK. Calls the task's deadline() and IsCancelled().
  absl::Status DropReason(const BatchTask& task, absl::Time now) const;
  // Moves expired and cancelled tasks from the queue to `dropped`. Returns
  // the earliest deadline among the tasks that stay.
  absl::Time SweepLocked(absl::Time now, std::vector<Dropped>* dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes tasks FIFO while their rows fit in max_batch_size (the first task
  // is always taken, even if it alone is larger).
  void FormBatchLocked(absl::Time now, Batch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateDepthLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Calls options_.on_queue_depth_change; must be called without `mu_` after
  // every depth change.
  void ReportQueueDepth();
  void JoinWorkers();

  const SchedulerOptions options_;
  Clock* const clock_;
  const absl::Duration max_queue_delay_;
  const ProcessBatchFn process_;
  const DropTaskFn drop_;

  mutable absl::Mutex mu_;
  // Signalled when a waiting worker may have something new to do.
  absl::CondVar work_cv_;
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_rows_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  // Why Shutdown() was called, once it was.
  std::string shutdown_reason_ ABSL_GUARDED_BY(mu_);
  // Shutdown started: workers form batches without waiting and exit once the
  // queue is empty.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Times at which workers waiting on the clock will wake up by themselves.
  std::multiset<absl::Time> worker_wakeups_ ABSL_GUARDED_BY(mu_);
  // Mirrors queue_.size() so queue_depth() needs no lock.
  std::atomic<int64_t> queue_depth_{0};

  // Serializes on_queue_depth_change calls.
  absl::Mutex report_mu_;

  absl::Mutex join_mu_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace brainserve::batching::internal

#endif  // BRAINSERVE_SERVER_BATCHING_SCHEDULER_CORE_H_
