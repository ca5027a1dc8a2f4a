#include "server/model_update_queue.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace brainserve::server {

std::shared_ptr<ModelUpdateQueue> ModelUpdateQueue::Create(
    std::string model_name, TaskRunner* workers, int64_t max_pending,
    std::shared_ptr<metrics::ModelReporter> reporter) {
  return std::shared_ptr<ModelUpdateQueue>(new ModelUpdateQueue(
      std::move(model_name), workers, max_pending, std::move(reporter)));
}

ModelUpdateQueue::ModelUpdateQueue(
    std::string model_name, TaskRunner* workers, int64_t max_pending,
    std::shared_ptr<metrics::ModelReporter> reporter)
    : model_name_(std::move(model_name)),
      workers_(workers),
      max_pending_(max_pending < 1 ? 1 : max_pending),
      reporter_(std::move(reporter)) {
  if (reporter_ != nullptr) reporter_->SetPendingUpdates(0);
}

absl::Status ModelUpdateQueue::Schedule(std::function<void()> work) {
  {
    absl::MutexLock lock(&mu_);
    if (pending_ >= max_pending_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "model '", model_name_, "' has ", pending_,
          pending_ == 1 ? " update" : " updates",
          " queued or running, the most --max_pending_updates ", max_pending_,
          " allows: updates arrive faster than the model applies them; "
          "retry after one completes"));
    }
    queue_.push_back(Pending{std::move(work), absl::Now()});
    ++pending_;
    if (reporter_ != nullptr) reporter_->SetPendingUpdates(pending_);
    if (active_) return absl::OkStatus();
    active_ = true;
  }
  std::shared_ptr<ModelUpdateQueue> self = shared_from_this();
  absl::Status scheduled = workers_->Schedule([self] { self->Drain(); });
  if (scheduled.ok()) return absl::OkStatus();
  // The shared threads refuse (shutting down): so is this queue. Only the
  // update just queued can be here, since the queue was idle.
  absl::MutexLock lock(&mu_);
  queue_.pop_back();
  --pending_;
  active_ = false;
  if (reporter_ != nullptr) reporter_->SetPendingUpdates(pending_);
  return scheduled;
}

int64_t ModelUpdateQueue::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_;
}

void ModelUpdateQueue::Drain() {
  while (true) {
    Pending next;
    {
      absl::MutexLock lock(&mu_);
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    if (reporter_ != nullptr) {
      reporter_->RecordUpdateQueueSeconds(
          absl::ToDoubleSeconds(absl::Now() - next.queued));
    }
    next.work();
    {
      absl::MutexLock lock(&mu_);
      --pending_;
      if (reporter_ != nullptr) reporter_->SetPendingUpdates(pending_);
      if (queue_.empty()) {
        active_ = false;
        return;
      }
    }
    // Give the thread back: the next update of this model queues behind
    // other work. If the threads no longer take work (shutdown), finish
    // what was accepted here.
    std::shared_ptr<ModelUpdateQueue> self = shared_from_this();
    if (workers_->Schedule([self] { self->Drain(); }).ok()) return;
  }
}

}  // namespace brainserve::server
