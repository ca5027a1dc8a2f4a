// Configuration of one BatchScheduler (one per model in the server).

#ifndef BRAINSERVE_SERVER_BATCHING_SCHEDULER_OPTIONS_H_
#define BRAINSERVE_SERVER_BATCHING_SCHEDULER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/batching/clock.h"

namespace brainserve::batching {

// The batching policy of one model: what a CreateModel's `batching` sets
// and the server flags --default_max_batch_size etc. default. The server's
// ModelBatchingOptions is this type, and the defaults below are the flags'
// defaults, so there is one place to change either.
struct BatchingPolicy {
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
};

// Bounds of the accepted values (inclusive); the lower bounds are 1, except
// 0 for max_queue_delay_us.
inline constexpr int64_t kMaxBatchSizeLimit = 1 << 20;
inline constexpr int64_t kMaxQueueDelayUsLimit = 10'000'000;  // 10 s
inline constexpr int64_t kMaxQueueSizeLimit = 1 << 20;
// 64 worker threads per model. Each worker holds a formed batch while it
// waits for compute, and all models share the server's compute threads
// (--engine_threads), so workers beyond the cores only add threads and
// memory that wait; 64 leaves room for large hosts. It is the cap the server
// has always applied to CreateModel and the flags (the scheduler alone used
// to allow 256, a value no server request could reach).
inline constexpr int kMaxBatchWorkersLimit = 64;

// The one validation of a BatchingPolicy. OK, or INVALID_ARGUMENT naming the
// first offending field as `<field_prefix>.<field>` (just `<field>` when the
// prefix is empty) with its value and range, e.g.
// "batching.max_batch_size: 0, must be in [1, 1048576]".
absl::Status ValidateBatchingPolicy(const BatchingPolicy& policy,
                                    absl::string_view field_prefix);

// One BatchScheduler: its policy, plus what it needs to run.
struct SchedulerOptions : BatchingPolicy {
  // Time source; nullptr means RealClock(). Not owned; must outlive the
  // scheduler.
  Clock* clock = nullptr;

  // Who the queue serves, as every run-time message names it: messages
  // read "<name>: ...", e.g. "model 'mlp': queue is full (max_queue_size=8)",
  // so they can go to a client as they are.
  std::string name;

  // Optional metrics hook, called with the new number of queued tasks after
  // each change (Schedule, batch formation, drops). Calls are serialized and
  // the last call always carries the current depth, so it can set a gauge
  // directly. Runs on the thread that changed the queue, outside the
  // scheduler's lock; it must be cheap and must not call into the scheduler.
  std::function<void(int64_t queue_depth)> on_queue_depth_change;
};

// ValidateBatchingPolicy on the policy fields, the message prefixed with
// "batch scheduler of <name>: ".
absl::Status ValidateSchedulerOptions(const SchedulerOptions& options);

}  // namespace brainserve::batching

#endif  // BRAINSERVE_SERVER_BATCHING_SCHEDULER_OPTIONS_H_
