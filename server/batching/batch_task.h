// The unit of work the batch scheduler queues and groups into batches.

#ifndef BRAINSERVE_SERVER_BATCHING_BATCH_TASK_H_
#define BRAINSERVE_SERVER_BATCHING_BATCH_TASK_H_

#include <cstdint>

#include "absl/time/time.h"

namespace brainserve::batching {

namespace internal {
class SchedulerCore;
}  // namespace internal

// The scheduler knows a task only through this interface: its size in rows,
// its deadline and whether its client gave up. Subclasses carry the payload
// (inputs, a completion callback, ...). The scheduler owns a task from a
// successful Schedule() until it hands it to the batch or drop callback.
//
// Thread safety: size() must be constant. deadline() and IsCancelled() are
// called from scheduler threads with the scheduler's lock held, so they must
// be cheap, thread-safe and must not call into the scheduler.
class BatchTask {
 public:
  virtual ~BatchTask() = default;

  // Rows this task adds to a batch (>= 1; Schedule() rejects smaller sizes).
  virtual int64_t size() const = 0;
  // The task is dropped with DEADLINE_EXCEEDED if it is still queued when the
  // scheduler's clock reaches this time.
  virtual absl::Time deadline() const { return absl::InfiniteFuture(); }
  // The task is dropped with CANCELLED if this returns true while it is queued.
  virtual bool IsCancelled() const { return false; }

  // Metrics hooks, stamped with the scheduler's clock. enqueue_time() is set
  // when Schedule() accepts the task; dequeue_time() when the task leaves the
  // queue (put into a batch, or dropped). Both are absl::InfinitePast() before
  // that. Queue time = dequeue_time() - enqueue_time(). Read them from the
  // batch or drop callback, which own the task by then.
  absl::Time enqueue_time() const { return enqueue_time_; }
  absl::Time dequeue_time() const { return dequeue_time_; }

 private:
  friend class internal::SchedulerCore;

  absl::Time enqueue_time_ = absl::InfinitePast();
  absl::Time dequeue_time_ = absl::InfinitePast();
};

}  // namespace brainserve::batching

#endif  // BRAINSERVE_SERVER_BATCHING_BATCH_TASK_H_
