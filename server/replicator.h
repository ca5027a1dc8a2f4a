// Keeps this replica in step with a shared store: applies, in commit order,
// what any replica (this one included) committed, as the store's change
// feed reports it.
//
//   created  -> the model is loaded and served (ModelManager::AddRemote);
//   updated  -> the model catches up from the store's log (CatchUp); the
//               apply lag is recorded;
//   deleted  -> the model stops being served (RemoveRemote);
//   resync   -> (after the feed (re)connects, and every
//               `resync_interval` as a safety net, never the main path)
//               every stored model is compared with the served ones.
// Events are handled one at a time on the replicator's own thread, never on
// the feed's. Versions this replica wrote itself are already applied and
// are skipped.
//
// Thread safety: the StoreSubscriber methods may be called from any thread.
#ifndef BRAINSERVE_SERVER_REPLICATOR_H_
#define BRAINSERVE_SERVER_REPLICATOR_H_

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/reporter.h"
#include "server/model_manager.h"
#include "server/model_registry.h"
#include "server/store/model_store.h"
#include "server/work_queue.h"

namespace brainserve::server {

class Replicator final : public store::StoreSubscriber {
 public:
  // All pointers are borrowed and must outlive the replicator.
  Replicator(store::ModelStore* store, ModelManager* manager,
             ModelRegistry* registry, metrics::Reporter* reporter,
             absl::Duration resync_interval);
  ~Replicator() override;

  // Subscribes to the store's feed.
  absl::Status Start();
  // Blocks until a resync has completed since Start() (the replica has
  // caught up with the store), or `timeout` passes (UNAVAILABLE).
  absl::Status WaitCaughtUp(absl::Duration timeout);
  // Unsubscribes and joins; idempotent.
  void Stop();

  void OnEvent(const store::StoreEvent& event) override;
  void OnResync() override;
  void OnConnection(bool up) override;

 private:
  void Handle(const store::StoreEvent& event);
  absl::Status Resync();
  std::shared_ptr<ServedModel> FindById(store::ModelId id) const;
  void PeriodicResync();

  store::ModelStore* const store_;
  ModelManager* const manager_;
  ModelRegistry* const registry_;
  metrics::Reporter* const reporter_;
  const absl::Duration resync_interval_;
  // One thread: events are applied in the order they arrive.
  WorkQueue queue_{WorkQueueOptions{"replication", 1, 0}};

  absl::Mutex mu_;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool resync_queued_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_REPLICATOR_H_
