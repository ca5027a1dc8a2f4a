#include "server/work_queue.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brainserve::server {

WorkQueue::WorkQueue(const WorkQueueOptions& options) : options_(options) {
  const int n = std::max(1, options_.num_threads);
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkQueue::~WorkQueue() { Shutdown(); }

absl::Status WorkQueue::Schedule(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError(
        absl::StrCat(options_.name, " queue: server is shutting down"));
  }
  if (options_.max_queue_size > 0 &&
      static_cast<int64_t>(queue_.size()) >= options_.max_queue_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat(options_.name, " queue is full (max_queue_size ",
                     options_.max_queue_size, ")"));
  }
  queue_.push_back(std::move(work));
  return absl::OkStatus();
}

void WorkQueue::Shutdown() {
  absl::MutexLock join_lock(&join_mu_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkQueue::Loop() {
  // Linux: the nice value is per thread (and inherited by the OpenMP threads
  // this thread starts). It is only ever lowered: a process already running
  // niced keeps its own value.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  if (options_.nice > getpriority(PRIO_PROCESS, tid)) {
    if (setpriority(PRIO_PROCESS, tid, options_.nice) != 0) {
      std::fprintf(stderr,
                   "brainserve-server: WARNING: %s queue: setpriority(%d) failed; its threads "
                   "run at normal priority\n",
                   options_.name.c_str(), options_.nice);
    }
  }
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping and drained
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace brainserve::server
