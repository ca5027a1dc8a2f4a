// Configuration of one BatchScheduler (one per model in the server).

#ifndef BRAINSERVE_SERVER_BATCHING_SCHEDULER_OPTIONS_H_
#define BRAINSERVE_SERVER_BATCHING_SCHEDULER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "server/batching/clock.h"

namespace brainserve::batching {

struct SchedulerOptions {
  // Upper bound on the rows (sum of BatchTask::size()) in one batch. 1
  // disables batching: every task runs alone. A single task larger than this
  // still runs, alone; it is never rejected for its size.
  int64_t max_batch_size = 64;

  // How long, in microseconds, the oldest queued task may wait for its batch
  // to fill before the batch goes out anyway. 0: an idle worker takes
  // whatever is queued at once.
  int64_t max_queue_delay_us = 0;

  // Tasks (not rows) that may wait in the queue; Schedule() answers
  // RESOURCE_EXHAUSTED beyond this. Tasks in running batches do not count.
  int64_t max_queue_size = 1024;

  // Threads that form and run batches; at most this many batches run at once.
  int num_batch_workers = 1;

  // Time source; nullptr means RealClock(). Not owned; must outlive the
  // scheduler.
  Clock* clock = nullptr;

  // Label for error messages, e.g. the model name.
  std::string name;

  // Optional metrics hook, called with the new number of queued tasks after
  // each change (Schedule, batch formation, drops). Calls are serialized and
  // the last call always carries the current depth, so it can set a gauge
  // directly. Runs on the thread that changed the queue, outside the
  // scheduler's lock; it must be cheap and must not call into the scheduler.
  std::function<void(int64_t queue_depth)> on_queue_depth_change;
};

// Upper bound accepted for SchedulerOptions::num_batch_workers.
inline constexpr int kMaxBatchWorkers = 256;

// OK, or INVALID_ARGUMENT naming the first offending field and its value.
absl::Status ValidateSchedulerOptions(const SchedulerOptions& options);

}  // namespace brainserve::batching

#endif  // BRAINSERVE_SERVER_BATCHING_SCHEDULER_OPTIONS_H_
