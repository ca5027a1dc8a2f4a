#include "server/deadline_timer.h"

#include "absl/time/clock.h"

namespace brainserve::server {

DeadlineTimer::DeadlineTimer() : thread_([this] { Loop(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

uint64_t DeadlineTimer::Schedule(absl::Time deadline,
                                 std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  pending_.emplace(std::make_pair(deadline, id), std::move(callback));
  deadlines_.emplace(id, deadline);
  return id;
}

bool DeadlineTimer::Cancel(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(id);
  if (it != deadlines_.end()) {
    pending_.erase({it->second, id});
    deadlines_.erase(it);
    return true;
  }
  // Running now: wait until it has finished.
  auto not_running = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return running_ != id;
  };
  mu_.Await(absl::Condition(&not_running));
  return false;
}

void DeadlineTimer::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](DeadlineTimer* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu_) {
                                 return t->stopping_ || !t->pending_.empty();
                               },
                               this),
                           absl::Seconds(1));
      continue;
    }
    auto first = pending_.begin();
    const absl::Time deadline = first->first.first;
    if (absl::Now() < deadline) {
      // Woken early by a new, earlier entry or by stopping.
      const size_t size = pending_.size();
      const absl::Time earliest = deadline;
      struct Args {
        DeadlineTimer* t;
        size_t size;
        absl::Time earliest;
      } args{this, size, earliest};
      mu_.AwaitWithDeadline(
          absl::Condition(
              +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                return a->t->stopping_ || a->t->pending_.empty() ||
                       a->t->pending_.begin()->first.first < a->earliest;
              },
              &args),
          deadline);
      continue;
    }
    const uint64_t id = first->first.second;
    std::function<void()> callback = std::move(first->second);
    pending_.erase(first);
    deadlines_.erase(id);
    running_ = id;
    mu_.Unlock();
    callback();
    mu_.Lock();
    running_ = 0;
  }
}

}  // namespace brainserve::server
