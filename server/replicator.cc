#include "server/replicator.h"

#include <cstdio>
#include <set>

#include "absl/time/clock.h"

namespace brainserve::server {

Replicator::Replicator(store::ModelStore* store, ModelManager* manager,
                       ModelRegistry* registry, metrics::Reporter* reporter,
                       absl::Duration resync_interval)
    : store_(store),
      manager_(manager),
      registry_(registry),
      reporter_(reporter),
      resync_interval_(resync_interval) {}

Replicator::~Replicator() { Stop(); }

absl::Status Replicator::Start() {
  absl::Status status = store_->Subscribe(this);
  if (!status.ok()) return status;
  ticker_ = std::thread([this] { PeriodicResync(); });
  return absl::OkStatus();
}

void Replicator::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  store_->Unsubscribe();  // no more events after this returns
  if (ticker_.joinable()) ticker_.join();
  queue_.Shutdown();
}

absl::Status Replicator::WaitCaughtUp(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (mu_.AwaitWithTimeout(absl::Condition(&caught_up_), timeout)) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      "store: could not catch up with the shared store at start");
}

void Replicator::OnEvent(const store::StoreEvent& event) {
  queue_.Schedule([this, event] { Handle(event); }).IgnoreError();
}

void Replicator::OnResync() {
  {
    absl::MutexLock lock(&mu_);
    if (resync_queued_) return;
    resync_queued_ = true;
  }
  queue_
      .Schedule([this] {
        {
          absl::MutexLock lock(&mu_);
          resync_queued_ = false;
        }
        absl::Status status = Resync();
        if (!status.ok()) {
          std::fprintf(stderr, "brainserve-server: resync failed: %s\n",
                       std::string(status.message()).c_str());
          return;
        }
        absl::MutexLock lock(&mu_);
        caught_up_ = true;
      })
      .IgnoreError();
}

void Replicator::OnConnection(bool up) { reporter_->SetStoreUp(up); }

void Replicator::PeriodicResync() {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), resync_interval_)) {
    mu_.Unlock();
    OnResync();
    mu_.Lock();
  }
}

std::shared_ptr<ServedModel> Replicator::FindById(store::ModelId id) const {
  for (const std::shared_ptr<ServedModel>& model : registry_->List()) {
    if (model->store_id() == id) return model;
  }
  return nullptr;
}

void Replicator::Handle(const store::StoreEvent& event) {
  absl::Status status;
  switch (event.kind) {
    case store::StoreEvent::Kind::kCreated: {
      if (FindById(event.id) != nullptr) return;  // created here
      absl::StatusOr<store::StoredModel> stored = store_->LoadModel(event.id);
      if (absl::IsNotFound(stored.status())) return;  // deleted meanwhile
      status = stored.ok() ? manager_->AddRemote(*std::move(stored))
                           : stored.status();
      break;
    }
    case store::StoreEvent::Kind::kUpdated: {
      std::shared_ptr<ServedModel> model = FindById(event.id);
      if (model == nullptr) {
        OnResync();  // a model we do not know yet
        return;
      }
      if (model->engine().snapshot()->version() >= event.version) return;
      status = manager_->CatchUp(model);
      if (status.ok() && event.committed_unix_seconds > 0) {
        reporter_->RecordApplyLag(absl::ToDoubleSeconds(
            absl::Now() - absl::FromUnixMicros(static_cast<int64_t>(
                              event.committed_unix_seconds * 1e6))));
      }
      break;
    }
    case store::StoreEvent::Kind::kDeleted:
      manager_->RemoveRemote(event.id);
      return;
  }
  if (!status.ok()) {
    std::fprintf(stderr,
                 "brainserve-server: applying a change of model id %lld: %s\n",
                 static_cast<long long>(event.id),
                 std::string(status.message()).c_str());
    OnResync();  // try again from the store's state
  }
}

absl::Status Replicator::Resync() {
  absl::StatusOr<std::vector<store::ModelHead>> heads = store_->ListModels();
  if (!heads.ok()) return heads.status();
  std::set<store::ModelId> live;
  for (const store::ModelHead& head : *heads) live.insert(head.id);
  for (const std::shared_ptr<ServedModel>& model : registry_->List()) {
    if (!live.count(model->store_id())) manager_->RemoveRemote(model->store_id());
  }
  absl::Status result;
  for (const store::ModelHead& head : *heads) {
    std::shared_ptr<ServedModel> model = FindById(head.id);
    absl::Status status;
    if (model == nullptr) {
      absl::StatusOr<store::StoredModel> stored = store_->LoadModel(head.id);
      if (absl::IsNotFound(stored.status())) continue;
      status = stored.ok() ? manager_->AddRemote(*std::move(stored))
                           : stored.status();
      // A local create of that name still in progress holds it: the next
      // resync settles it.
      if (absl::IsAlreadyExists(status)) status = absl::OkStatus();
    } else if (model->engine().snapshot()->version() < head.latest_version) {
      status = manager_->CatchUp(model);
    }
    if (!status.ok() && result.ok()) result = status;
  }
  return result;
}

}  // namespace brainserve::server
