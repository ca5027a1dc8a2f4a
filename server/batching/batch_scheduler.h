// Dynamic batch scheduler: groups small tasks (e.g. inference requests) into
// batches and runs each batch on a worker thread through an injected callback.
//
// Contract (after TF Serving's BatchScheduler and Triton's dynamic batcher):
//  * The scheduler knows a task only through BatchTask: size() in rows,
//    deadline(), IsCancelled(). It knows the model only through the
//    ProcessBatchFn given to Create().
//  * Schedule() takes ownership only when it returns OK, never blocks on
//    compute, and answers RESOURCE_EXHAUSTED at once when the queue is full.
//  * Every accepted task leaves exactly once: through ProcessBatchFn (in a
//    batch) or through DropTaskFn (with the reason). None is leaked or lost,
//    including at shutdown.
//
// Batching policy (per scheduler, i.e. per model):
//  * A batch goes out when the queued rows reach max_batch_size, or when the
//    oldest queued task has waited max_queue_delay_us (0: an idle worker takes
//    whatever is queued at once), or immediately while draining at shutdown.
//  * Batches are formed FIFO: tasks are taken in arrival order while their
//    rows fit; the first task that would overflow waits for the next batch
//    (tasks are never split or reordered). A task larger than max_batch_size
//    runs alone.
//  * While every worker is busy the queue keeps filling, so batches grow with
//    load.
//  * Before a batch is formed, and whenever a worker wakes up, the whole queue
//    is swept: tasks whose deadline passed are dropped with DEADLINE_EXCEEDED,
//    cancelled ones with CANCELLED. An idle worker also wakes at the earliest
//    queued deadline, so expired tasks are answered promptly when there is
//    spare capacity, and at the latest at the next batch formation otherwise.
//
// Threads: the scheduler owns num_batch_workers threads and joins them in
// Shutdown(). Callbacks run on those threads (DropTaskFn also on the thread
// calling Shutdown(/*drain=*/false)) without any scheduler lock held; they
// may call Schedule() but must not call Shutdown() or destroy the scheduler.
// All public methods are thread-safe.
//
// Metrics: BatchTask::enqueue_time()/dequeue_time() give each task's queue
// time; SchedulerOptions::on_queue_depth_change feeds a queue-depth gauge;
// the batch size is the sum of size() over the tasks in a batch.

#ifndef BRAINSERVE_SERVER_BATCHING_BATCH_SCHEDULER_H_
#define BRAINSERVE_SERVER_BATCHING_BATCH_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/batching/batch_task.h"
#include "server/batching/scheduler_core.h"
#include "server/batching/scheduler_options.h"

namespace brainserve::batching {

template <typename TaskT>
class BatchScheduler {
  static_assert(std::is_base_of_v<BatchTask, TaskT>,
                "TaskT must derive from brainserve::batching::BatchTask");

 public:
  // Runs on a worker thread with a non-empty batch, tasks in FIFO order.
  // Total rows <= max_batch_size, except a single task larger than
  // max_batch_size, which runs alone. The callback owns the tasks and must
  // complete each one.
  using ProcessBatchFn =
      std::function<void(std::vector<std::unique_ptr<TaskT>> batch)>;
  // Receives every accepted task that leaves the queue without running:
  // DEADLINE_EXCEEDED (deadline passed before compute), CANCELLED
  // (IsCancelled()), UNAVAILABLE (Shutdown(/*drain=*/false); a task already
  // expired or cancelled then still gets DEADLINE_EXCEEDED or CANCELLED).
  using DropTaskFn =
      std::function<void(std::unique_ptr<TaskT> task, absl::Status why)>;

  // INVALID_ARGUMENT if the options are invalid (see ValidateSchedulerOptions)
  // or a callback is empty. Starts the worker threads.
  static absl::StatusOr<std::unique_ptr<BatchScheduler>> Create(
      const SchedulerOptions& options, ProcessBatchFn process,
      DropTaskFn drop) {
    if (!process || !drop) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch scheduler of ", options.name,
                       ": the process and drop callbacks must both be set"));
    }
    auto core = internal::SchedulerCore::Create(
        options,
        [process = std::move(process)](internal::SchedulerCore::Batch batch) {
          std::vector<std::unique_ptr<TaskT>> typed;
          typed.reserve(batch.size());
          for (auto& task : batch) typed.push_back(Downcast(std::move(task)));
          process(std::move(typed));
        },
        [drop = std::move(drop)](std::unique_ptr<BatchTask> task,
                                 absl::Status why) {
          drop(Downcast(std::move(task)), std::move(why));
        });
    if (!core.ok()) return core.status();
    return std::unique_ptr<BatchScheduler>(
        new BatchScheduler(*std::move(core)));
  }

  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;
  // Shutdown(/*drain=*/true): queued tasks still run.
  ~BatchScheduler() = default;

  // Enqueues `*task`. On OK the scheduler owns it and `*task` is null;
  // otherwise `*task` is untouched and the caller still owns it:
  //  * INVALID_ARGUMENT: `task` or `*task` is null, or size() < 1;
  //  * UNAVAILABLE: Shutdown() has started;
  //  * RESOURCE_EXHAUSTED: max_queue_size tasks are already queued (the
  //    message names max_queue_size and its value).
  // Never blocks on compute. Stamps BatchTask::enqueue_time().
  absl::Status Schedule(std::unique_ptr<TaskT>* task) {
    if (task == nullptr || *task == nullptr) {
      return absl::InvalidArgumentError("Schedule() needs a non-null task");
    }
    std::unique_ptr<BatchTask> base(task->release());
    absl::Status status = core_->Schedule(&base);
    if (!status.ok()) *task = Downcast(std::move(base));
    return status;
  }

  // Tasks waiting in the queue (not yet in a batch). Lock-free.
  int64_t queue_depth() const { return core_->queue_depth(); }
  // Sum of size() over the queued tasks.
  int64_t queued_rows() const { return core_->queued_rows(); }
  // The options given to Create().
  const SchedulerOptions& options() const { return core_->options(); }

  // Stops accepting tasks, then either runs the queued tasks (drain=true) or
  // drops them on the calling thread (drain=false: UNAVAILABLE, or
  // DEADLINE_EXCEEDED / CANCELLED for tasks already expired or cancelled),
  // waits for running batches and joins the workers. `reason` says why, for
  // the messages of dropped tasks and of later Schedule() calls ("<name>:
  // <reason> ..."). Idempotent and thread-safe (the first reason stays); a
  // concurrent caller returns once the workers are joined. Must not be
  // called from a scheduler callback.
  void Shutdown(bool drain = true, absl::string_view reason = "shut down") {
    core_->Shutdown(drain, reason);
  }

 private:
  explicit BatchScheduler(std::unique_ptr<internal::SchedulerCore> core)
      : core_(std::move(core)) {}

  // Only TaskT objects ever enter the core, so the downcast is exact.
  static std::unique_ptr<TaskT> Downcast(std::unique_ptr<BatchTask> task) {
    return std::unique_ptr<TaskT>(static_cast<TaskT*>(task.release()));
  }

  std::unique_ptr<internal::SchedulerCore> core_;
};

}  // namespace brainserve::batching

#endif  // BRAINSERVE_SERVER_BATCHING_BATCH_SCHEDULER_H_
