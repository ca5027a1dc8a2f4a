// Group commit: concurrent writers share one durable transaction.
//
// A writer calls Run(op). If no transaction is in progress it becomes the
// leader: it takes every op queued so far (its own included), runs
// `begin`, each op inside its own savepoint (so one op's failure undoes only
// that op), then `commit` (one fsync for all of them), and hands each
// writer its result. Writers that arrive while a leader is committing queue
// up and form the next group. Nobody returns before the transaction that
// holds its op has committed, and if the commit fails every op of the group
// gets that error, so nothing is acknowledged before it is durable.
//
// Thread safety: Run() may be called from any number of threads.
#ifndef BRAINSERVE_SERVER_STORE_GROUP_COMMIT_H_
#define BRAINSERVE_SERVER_STORE_GROUP_COMMIT_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace brainserve::server::store {

struct GroupCommitHooks {
  std::function<absl::Status()> begin;
  std::function<absl::Status()> commit;
  // Undoes the open transaction (after a failed begin or commit).
  std::function<void()> rollback;
  // Savepoints around each op of a group.
  std::function<absl::Status()> savepoint;
  std::function<absl::Status()> release;
  std::function<void()> rollback_to_savepoint;
};

class GroupCommit {
 public:
  explicit GroupCommit(GroupCommitHooks hooks) : hooks_(std::move(hooks)) {}

  // Runs `op` inside a transaction shared with concurrent callers; returns
  // its status, or the transaction's if that failed.
  absl::Status Run(const std::function<absl::Status()>& op);

  // Most ops one transaction has carried so far (for tests and benchmarks).
  int64_t largest_group() const;
  // Ops queued behind the running group (for tests).
  int64_t pending() const;

 private:
  struct Pending {
    const std::function<absl::Status()>* op;
    absl::Status result;
    bool done = false;
  };

  void RunGroup(const std::vector<Pending*>& group);

  const GroupCommitHooks hooks_;
  mutable absl::Mutex mu_;
  std::vector<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool leader_active_ ABSL_GUARDED_BY(mu_) = false;
  int64_t largest_group_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_GROUP_COMMIT_H_
