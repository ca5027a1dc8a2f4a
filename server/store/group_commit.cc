#include "server/store/group_commit.h"

#include <algorithm>

namespace brainserve::server::store {

absl::Status GroupCommit::Run(const std::function<absl::Status()>& op) {
  Pending mine{&op};
  std::vector<Pending*> group;
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(&mine);
    auto done_or_free = [this, &mine]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return mine.done || !leader_active_;
    };
    mu_.Await(absl::Condition(&done_or_free));
    if (mine.done) return mine.result;
    // Lead the next group: everything queued so far, this op included.
    leader_active_ = true;
    group.swap(queue_);
    largest_group_ =
        std::max(largest_group_, static_cast<int64_t>(group.size()));
  }
  RunGroup(group);
  absl::MutexLock lock(&mu_);
  for (Pending* pending : group) pending->done = true;
  leader_active_ = false;
  return mine.result;
}

void GroupCommit::RunGroup(const std::vector<Pending*>& group) {
  absl::Status begun = hooks_.begin();
  if (!begun.ok()) {
    hooks_.rollback();
    for (Pending* pending : group) pending->result = begun;
    return;
  }
  for (Pending* pending : group) {
    absl::Status status = hooks_.savepoint();
    if (status.ok()) {
      status = (*pending->op)();
      if (status.ok()) {
        status = hooks_.release();
      } else {
        hooks_.rollback_to_savepoint();
      }
    }
    pending->result = status;
  }
  absl::Status committed = hooks_.commit();
  if (!committed.ok()) {
    hooks_.rollback();
    for (Pending* pending : group) {
      if (pending->result.ok()) pending->result = committed;
    }
  }
}

int64_t GroupCommit::largest_group() const {
  absl::MutexLock lock(&mu_);
  return largest_group_;
}

}  // namespace brainserve::server::store

namespace brainserve::server::store {

int64_t GroupCommit::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(queue_.size());
}

}  // namespace brainserve::server::store
