// A small pool of threads running closures from a bounded FIFO queue.
//
// The server uses it to keep work off gRPC's threads: model creation and
// parameter updates (CPU-heavy), and retiring deleted models (joining their
// batch workers). Schedule() never blocks: a full queue is reported as
// RESOURCE_EXHAUSTED naming the queue, and a queue that has been shut down
// answers UNAVAILABLE.
//
// Ownership and threads: the WorkQueue owns its threads; Shutdown() (also run
// by the destructor) stops accepting, runs every closure already queued, and
// joins. Thread-safe: any thread may call Schedule() and Shutdown(), except
// that Shutdown() must not be called from one of the queue's own threads.
#ifndef BRAINSERVE_SERVER_WORK_QUEUE_H_
#define BRAINSERVE_SERVER_WORK_QUEUE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/task_runner.h"

namespace brainserve::server {

struct WorkQueueOptions {
  // Used in error messages, e.g. "admin".
  std::string name = "work";
  // Threads running closures (>= 1).
  int num_threads = 1;
  // Most closures waiting to run; 0 = unbounded.
  int64_t max_queue_size = 0;
  // CPU priority of the threads (nice, up to 19 = lowest; never raised above
  // the process's own; 0 = the process's). Background work runs niced so that the kernel gives the
  // forwards' compute threads the cores first (docs/PERFORMANCE.md §3).
  int nice = 0;
};

class WorkQueue final : public TaskRunner {
 public:
  explicit WorkQueue(const WorkQueueOptions& options);
  ~WorkQueue();

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `work`. On error `work` is not run and not kept.
  absl::Status Schedule(std::function<void()> work) override;

  // Idempotent. Runs what is queued, then joins the threads.
  void Shutdown();

 private:
  void Loop();

  const WorkQueueOptions options_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
  absl::Mutex join_mu_;  // serializes Shutdown() callers
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_WORK_QUEUE_H_
