// One model's UpdateParameters calls, in order, with a bound.
//
// Policy. Updates of one model run one at a time, in arrival order, on the
// server's shared update threads; after each update the model gives its
// thread back (the next update is queued behind other models' work), so one
// model pushing gradients as fast as it can never holds every update thread.
// At most `max_pending` updates per model are queued or running: one more is
// refused at once with RESOURCE_EXHAUSTED naming the model and the limit
// (--max_pending_updates), before its values are decoded or copied, so a
// client pushing faster than the model can absorb learns it immediately
// instead of seeing its latency grow without bound. The time each update
// waited here is reported (brainserve_update_queue_duration_seconds).
//
// Thread safety: Schedule() may be called from any thread. Shutdown of the
// shared threads runs every update already accepted (inline on the last
// draining thread if the threads no longer accept work).
#ifndef BRAINSERVE_SERVER_MODEL_UPDATE_QUEUE_H_
#define BRAINSERVE_SERVER_MODEL_UPDATE_QUEUE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/reporter.h"
#include "server/task_runner.h"

namespace brainserve::server {

class ModelUpdateQueue final
    : public TaskRunner,
      public std::enable_shared_from_this<ModelUpdateQueue> {
 public:
  // `workers` runs the updates (not owned; outlives every scheduled update).
  // `max_pending` >= 1.
  static std::shared_ptr<ModelUpdateQueue> Create(
      std::string model_name, TaskRunner* workers, int64_t max_pending,
      std::shared_ptr<metrics::ModelReporter> reporter);

  // Queues `work` behind this model's earlier updates. `work` must not throw
  // (the front ends turn exceptions into statuses before they get here).
  absl::Status Schedule(std::function<void()> work) override;

  // Updates queued or running.
  int64_t pending() const;

 private:
  struct Pending {
    std::function<void()> work;
    absl::Time queued;
  };

  ModelUpdateQueue(std::string model_name, TaskRunner* workers,
                   int64_t max_pending,
                   std::shared_ptr<metrics::ModelReporter> reporter);

  // Runs the oldest queued update, then hands the next one back to
  // `workers_` (or runs it here if they no longer take work).
  void Drain();

  const std::string model_name_;
  TaskRunner* const workers_;
  const int64_t max_pending_;
  const std::shared_ptr<metrics::ModelReporter> reporter_;
  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  // Queued plus running.
  int64_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  // True while a Drain() of this model is running or handed to workers_.
  bool active_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_UPDATE_QUEUE_H_
