// ModelManager: the models that come from the store rather than from a call
// on this server. Restore() and RestoreAll() build the stored models at
// start (snapshot plus log folded into the values); CatchUp(), FindOrLoad(),
// AddRemote() and RemoveRemote() apply what other replicas committed to a
// shared store.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/model_manager.h"
#include "server/request_validation.h"
#include "server/store/log_fold.h"

namespace brainserve::server {
namespace {

// Moves a logged entry's values into engine updates.
std::vector<engine::ParameterUpdate> ToEngineUpdates(
    std::vector<store::StoredUpdate>& stored) {
  std::vector<engine::ParameterUpdate> updates;
  updates.reserve(stored.size());
  for (store::StoredUpdate& u : stored) {
    updates.push_back({std::move(u.layer),
                       std::move(u.name),
                       u.mode == store::UpdateMode::kAdd
                           ? engine::UpdateMode::kAdd
                           : engine::UpdateMode::kReplace,
                       {std::move(u.value.shape), std::move(u.value.data)}});
  }
  return updates;
}

}  // namespace

absl::Status ModelManager::CatchUp(const std::shared_ptr<ServedModel>& model) {
  const std::string where = absl::StrCat("store '", store_->Describe(),
                                         "': model '", model->name(), "'");
  engine::Model& engine = model->engine();
  absl::StatusOr<std::vector<store::LogEntry>> log =
      store_->ReadLog(model->store_id(), engine.snapshot()->version());
  if (absl::IsOutOfRange(log.status())) {
    // The entries this replica needs were folded into a snapshot: jump to
    // it, then apply what follows it.
    absl::StatusOr<store::StoredModel> stored =
        store_->LoadModel(model->store_id());
    if (!stored.ok()) return stored.status();
    std::vector<engine::DenseTensor> values;
    for (store::StoredParameter& p : stored->snapshot.parameters) {
      values.push_back({std::move(p.value.shape), std::move(p.value.data)});
    }
    if (stored->snapshot.version > engine.snapshot()->version()) {
      absl::Status rebased =
          engine.Rebase(std::move(values), stored->snapshot.version);
      if (!rebased.ok() && !absl::IsFailedPrecondition(rebased)) {
        return absl::DataLossError(
            absl::StrCat(where, ": loading its snapshot: ", rebased.message()));
      }
      model->log().FoldedUpTo(stored->snapshot.version);
    }
    log = std::move(stored->log);
  }
  if (!log.ok()) return log.status();
  for (store::LogEntry& entry : *log) {
    if (entry.version <= engine.snapshot()->version()) continue;
    const int64_t bytes = store::LoggedBytes(entry.updates);
    absl::StatusOr<std::shared_ptr<const engine::ParameterSnapshot>> next =
        engine.Update(ToEngineUpdates(entry.updates), entry.version - 1);
    if (absl::IsFailedPrecondition(next.status())) continue;  // raced: applied
    if (!next.ok()) {
      return absl::DataLossError(absl::StrCat(where, ": applying version ",
                                              entry.version, ": ",
                                              next.status().message()));
    }
    model->log().Append(entry.version, bytes);
  }
  VersionApplied(*model);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelManager::FindOrLoad(
    const std::string& name) {
  absl::StatusOr<std::shared_ptr<ServedModel>> local = registry_->Get(name);
  if (local.ok() || !store_->shared()) return local;
  absl::StatusOr<std::vector<store::ModelHead>> heads = store_->ListModels();
  if (!heads.ok()) return heads.status();
  for (const store::ModelHead& head : *heads) {
    if (head.name != name) continue;
    absl::StatusOr<store::StoredModel> stored = store_->LoadModel(head.id);
    if (!stored.ok()) return stored.status();
    absl::Status added = AddRemote(*std::move(stored));
    // ALREADY_EXISTS: the replicator is loading it right now.
    if (!added.ok() && !absl::IsAlreadyExists(added)) return added;
    for (int i = 0; i < 500; ++i) {
      local = registry_->Get(name);
      if (local.ok()) return local;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return local;
  }
  return local;  // NOT_FOUND: not in the store either
}

absl::Status ModelManager::AddRemote(store::StoredModel stored) {
  for (const std::shared_ptr<ServedModel>& local : registry_->List()) {
    if (local->store_id() == stored.id) return absl::OkStatus();  // have it
    if (local->name() == stored.request.name()) {
      // A model of that name this replica still serves was deleted
      // elsewhere (its deletion event may still be on its way).
      Retire(local, absl::NotFoundError(absl::StrCat("model '", local->name(),
                                                     "' was deleted")));
    }
  }
  int64_t replayed = 0;
  return Restore(stored, &replayed).status();
}

void ModelManager::RemoveRemote(store::ModelId id) {
  for (const std::shared_ptr<ServedModel>& local : registry_->List()) {
    if (local->store_id() == id) {
      Retire(local, absl::NotFoundError(absl::StrCat("model '", local->name(),
                                                     "' was deleted")));
    }
  }
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelManager::Restore(
    store::StoredModel& stored, int64_t* replayed) {
  const v1::CreateModelRequest& request = stored.request;
  const std::string where = absl::StrCat("store '", store_->Describe(),
                                         "': model '", request.name(), "'");
  auto fail = [&](const absl::Status& status) {
    return absl::Status(status.code(),
                        absl::StrCat(where, ": ", status.message()));
  };
  absl::StatusOr<ModelBatchingOptions> batching =
      ResolveBatchingOptions(request.batching(), options_.default_batching);
  if (!batching.ok()) return fail(batching.status());
  absl::StatusOr<engine::Precision> precision =
      PrecisionFromProto(request.precision());
  if (!precision.ok()) return fail(precision.status());
  absl::Status status = registry_->Reserve(request.name());
  if (!status.ok()) return fail(status);
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      [&]() -> absl::StatusOr<std::shared_ptr<ServedModel>> {
    // The log is folded into the snapshot's values first (bitwise what
    // replaying it through the engine gives), so a long log costs one pass,
    // not one engine snapshot per entry.
    std::vector<LoggedVersion> logged;
    for (const store::LogEntry& entry : stored.log) {
      logged.push_back({entry.version, store::LoggedBytes(entry.updates)});
    }
    absl::Status folded =
        store::FoldLog(stored.snapshot.parameters, stored.log);
    if (!folded.ok()) return folded;
    const uint64_t version = stored.log.empty() ? stored.snapshot.version
                                                : stored.log.back().version;
    *replayed += static_cast<int64_t>(stored.log.size());
    std::vector<std::string> names;
    std::vector<engine::DenseTensor> values;
    for (store::StoredParameter& p : stored.snapshot.parameters) {
      names.push_back(absl::StrCat(p.layer, "/", p.name));
      values.push_back({std::move(p.value.shape), std::move(p.value.data)});
    }
    const engine::EngineOptions engine_options =
        EngineOptionsFor(*batching, *precision);
    absl::StatusOr<std::unique_ptr<engine::Model>> restored =
        engine::Model::Restore(request.spec(), std::move(values), version,
                               engine_options);
    if (!restored.ok()) return restored.status();
    std::shared_ptr<engine::Model> engine_model = *std::move(restored);
    const std::vector<engine::ParameterInfo>& infos =
        engine_model->parameter_infos();
    for (size_t i = 0; i < infos.size(); ++i) {
      const std::string expected =
          absl::StrCat(infos[i].layer, "/", infos[i].name);
      if (names[i] != expected) {
        return absl::DataLossError(
            absl::StrCat("snapshot parameter ", i, " is '", names[i],
                         "', the spec has '", expected, "'"));
      }
    }
    absl::Status warmed = engine_model->Warmup(batching->max_batch_size);
    if (!warmed.ok()) return warmed;
    absl::Status reserved = registry_->ReserveBytes(
        request.name(), engine_model->parameter_bytes());
    if (!reserved.ok()) return reserved;
    const store::ModelId id = stored.id;
    return Serve(
        request, *batching, engine_options.num_threads, std::move(engine_model),
        [id]() -> absl::StatusOr<store::ModelId> { return id; }, logged);
  }();
  if (!model.ok()) {
    registry_->Unreserve(request.name());
    return fail(model.status());
  }
  return model;
}

absl::StatusOr<RestoreSummary> ModelManager::RestoreAll() {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<store::StoredModel>> stored = store_->LoadAll();
  if (!stored.ok()) return stored.status();
  RestoreSummary summary;
  for (store::StoredModel& model : *stored) {
    absl::StatusOr<std::shared_ptr<ServedModel>> restored =
        Restore(model, &summary.replayed_updates);
    if (!restored.ok()) return restored.status();
    ++summary.models;
    summary.names.push_back((*restored)->name());
    MaybeCompact(*restored);
  }
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace brainserve::server
