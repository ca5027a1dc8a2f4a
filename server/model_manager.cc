#include "server/model_manager.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/admission/update_cost.h"
#include "server/batched_forward_executor.h"
#include "server/free_memory.h"
#include "server/request_validation.h"
#include "server/store/log_fold.h"

namespace brainserve::server {
namespace {

using metrics::StoreOperation;

// The store's borrowed view of a snapshot's parameters (no copy).
std::vector<store::ParameterRef> ParameterRefs(
    const engine::Model& model, const engine::ParameterSnapshot& snapshot) {
  const std::vector<engine::ParameterInfo>& infos = model.parameter_infos();
  std::vector<store::ParameterRef> refs;
  refs.reserve(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    const engine::DenseTensor& value = snapshot.value(i);
    refs.push_back({infos[i].layer, infos[i].name, {value.shape, value.data}});
  }
  return refs;
}

std::vector<store::UpdateRef> UpdateRefs(
    const std::vector<engine::ParameterUpdate>& updates) {
  std::vector<store::UpdateRef> refs;
  refs.reserve(updates.size());
  for (const engine::ParameterUpdate& u : updates) {
    refs.push_back({u.layer, u.name,
                    u.mode == engine::UpdateMode::kAdd
                        ? store::UpdateMode::kAdd
                        : store::UpdateMode::kReplace,
                    {u.value.shape, u.value.data}});
  }
  return refs;
}

}  // namespace

ModelManager::ModelManager(const ModelManagerOptions& options,
                           ModelRegistry* registry, metrics::Reporter* reporter,
                           ComputeBudget* budget, store::ModelStore* store,
                           WorkQueue* retirer, WorkQueue* maintenance,
                           DeadlineTimer* timer)
    : options_(options),
      registry_(registry),
      reporter_(reporter),
      budget_(budget),
      store_(store),
      retirer_(retirer),
      maintenance_(maintenance),
      timer_(timer) {}

engine::EngineOptions ModelManager::EngineOptionsFor(
    const ModelBatchingOptions& batching, engine::Precision precision) const {
  engine::EngineOptions engine_options;
  engine_options.precision = precision;
  engine_options.num_threads =
      budget_->ThreadsPerForward(batching.num_batch_workers);
  // The engine checks the byte limit before it allocates any parameter, so
  // an oversized spec cannot exhaust memory first; the registry checks the
  // limits for good (ReserveBytes).
  engine_options.max_parameter_bytes =
      registry_->limits().max_model_parameter_bytes;
  return engine_options;
}

absl::Status ModelManager::Committed(StoreOperation op, absl::Time start,
                                     absl::Status status) const {
  reporter_->RecordStoreCommit(op, status.ok(),
                               absl::ToDoubleSeconds(absl::Now() - start));
  if (status.ok()) return status;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return absl::Status(status.code(),
                          absl::StrCat("not committed: ", status.message()));
    default:
      return absl::InternalError(
          absl::StrCat("not committed: ", status.message()));
  }
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelManager::Create(
    const v1::CreateModelRequest& request) {
  absl::Status status = ValidateModelName(request.name(), "name");
  if (!status.ok()) return status;
  if (!request.has_spec()) {
    return absl::InvalidArgumentError("spec: missing");
  }
  absl::StatusOr<ModelBatchingOptions> batching =
      ResolveBatchingOptions(request.batching(), options_.default_batching);
  if (!batching.ok()) return batching.status();
  absl::StatusOr<engine::Precision> precision =
      PrecisionFromProto(request.precision());
  if (!precision.ok()) return precision.status();

  // Before anything is built: a spec with too many layers costs seconds of
  // primitive creation and memory out of proportion to its parameters.
  status = admission::AdmitModelSpec(options_.admission, request.name(),
                                     request.spec());
  if (!status.ok()) return status;

  status = registry_->Reserve(request.name());
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      [&]() -> absl::StatusOr<std::shared_ptr<ServedModel>> {
    engine::EngineOptions engine_options =
        EngineOptionsFor(*batching, *precision);
    // Warm-up runs a full batch, and so will the batcher: both must fit the
    // per-request memory budget. Checked from the shapes alone, before the
    // engine creates any primitive or allocates any parameter.
    const int64_t warmup_rows = std::min(batching->max_batch_size,
                                         engine_options.max_rows_per_pass);
    absl::Status refused_batch;
    engine_options.admit_shapes = [&](const engine::Model& shapes) {
      refused_batch = admission::AdmitModelWarmup(
          options_.admission, request.name(), shapes, warmup_rows);
      return refused_batch;
    };
    absl::StatusOr<std::unique_ptr<engine::Model>> created =
        engine::Model::Create(request.spec(), request.seed(), engine_options);
    if (!refused_batch.ok()) return refused_batch;
    if (absl::IsResourceExhausted(created.status())) {
      return absl::ResourceExhaustedError(
          absl::StrCat("model '", request.name(),
                       "' is over max_model_parameter_bytes: ",
                       created.status().message()));
    }
    if (!created.ok()) return created.status();
    std::shared_ptr<engine::Model> engine_model = *std::move(created);
    // The model holds its parameters and, per concurrent Forward, a
    // workspace of one full pass: both count against the model byte limits.
    absl::Status reserved = registry_->ReserveBytes(
        request.name(),
        admission::SaturatingAdd(engine_model->parameter_bytes(),
                                 engine_model->ForwardScratchBytes(warmup_rows)));
    if (!reserved.ok()) return reserved;
    // Build every primitive the batcher can need now (on the admin thread),
    // so no Forward pays for primitive creation.
    absl::Status warmed = engine_model->Warmup(batching->max_batch_size);
    if (!warmed.ok()) return warmed;
    const std::shared_ptr<const engine::ParameterSnapshot> initial =
        engine_model->snapshot();
    // Serve() takes engine_model; the commit reads through its own pointer.
    auto commit = [&, model = engine_model]() -> absl::StatusOr<store::ModelId> {
      const absl::Time start = absl::Now();
      absl::StatusOr<store::ModelId> id = store_->CreateModel(
          request, initial->version(), ParameterRefs(*model, *initial));
      absl::Status status =
          Committed(StoreOperation::kCreateModel, start, id.status());
      if (!status.ok()) return status;
      return id;
    };
    return Serve(request, *batching, engine_options.num_threads,
                 std::move(engine_model), commit, {});
  }();
  if (!model.ok()) registry_->Unreserve(request.name());
  return model;
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelManager::Serve(
    const v1::CreateModelRequest& request, const ModelBatchingOptions& batching,
    int threads_per_forward, std::shared_ptr<engine::Model> engine_model,
    const std::function<absl::StatusOr<store::ModelId>()>& commit,
    const std::vector<LoggedVersion>& pending_log) {
  std::shared_ptr<metrics::ModelReporter> model_reporter =
      reporter_->AddModel(request.name());
  model_reporter->SetQueueCapacity(batching.max_queue_size);
  BatchedForwardExecutorOptions executor_options;
  executor_options.model_name = request.name();
  executor_options.batching = batching;
  executor_options.threads_per_forward = threads_per_forward;
  executor_options.min_rows_for_all_threads = options_.min_rows_for_all_threads;
  executor_options.clock = options_.clock;
  // Every submitted call is admitted by cost; batches are cut by bytes as
  // well as rows.
  executor_options.admission = options_.admission;
  executor_options.max_batch_rows_by_bytes = admission::MaxBatchRows(
      options_.admission, *engine_model, batching.max_batch_size);
  absl::StatusOr<std::unique_ptr<BatchedForwardExecutor>> executor =
      BatchedForwardExecutor::Create(executor_options, engine_model,
                                     model_reporter, budget_);
  if (!executor.ok()) {
    reporter_->RemoveModel(request.name());
    return executor.status();
  }
  absl::StatusOr<store::ModelId> id = commit();
  if (!id.ok()) {
    (*executor)->Shutdown(/*drain=*/false, "the model could not be created");
    reporter_->RemoveModel(request.name());
    return id.status();
  }
  auto model = std::make_shared<ServedModel>(
      request.name(), request.spec(), std::move(engine_model), batching,
      model_reporter, *std::move(executor),
      ModelUpdateQueue::Create(request.name(), options_.update_workers,
                               options_.max_pending_updates, model_reporter),
      *id, timer_);
  for (const LoggedVersion& entry : pending_log) {
    model->log().Append(entry.version, entry.bytes);
  }
  registry_->Publish(model);
  model_reporter->SetVersion(model->engine().snapshot()->version());
  model_reporter->SetStoreLogEntries(model->log().size().entries);
  return model;
}

absl::StatusOr<uint64_t> ModelManager::UpdateOnce(
    const std::shared_ptr<ServedModel>& model,
    std::vector<engine::ParameterUpdate>& updates, bool consume,
    std::optional<uint64_t> expected, bool* store_conflict) {
  // Spans over the update values. A consumed REPLACE's buffer moves into the
  // prepared snapshot, which is alive while the hook runs, so they stay
  // valid for the commit; afterwards only their sizes are read.
  const std::vector<store::UpdateRef> refs = UpdateRefs(updates);
  // The engine calls the hook with the prepared snapshot's version, under
  // the model's update lock, and publishes only if the append committed.
  auto append = [&](uint64_t next) {
    const absl::Time commit_start = absl::Now();
    absl::Status status = store_->AppendUpdate(model->store_id(), next, refs);
    if (absl::IsFailedPrecondition(status)) *store_conflict = true;
    return Committed(StoreOperation::kAppendUpdate, commit_start, status);
  };
  absl::StatusOr<std::shared_ptr<const engine::ParameterSnapshot>> snapshot =
      consume ? model->engine().Update(std::move(updates), expected, append)
              : model->engine().Update(updates, expected, append);
  if (!snapshot.ok()) return snapshot.status();
  model->log().Append((*snapshot)->version(), store::LoggedBytes(refs));
  return (*snapshot)->version();
}

absl::StatusOr<uint64_t> ModelManager::Update(
    const std::shared_ptr<ServedModel>& model,
    const v1::UpdateParametersRequest& request) {
  const absl::Time start = absl::Now();
  absl::StatusOr<uint64_t> version = [&]() -> absl::StatusOr<uint64_t> {
    // Before anything is decoded or copied: the update's peak beyond the
    // current snapshot is held against the total byte limit while it runs.
    const admission::UpdateCost cost = admission::EstimateUpdateCost(
        model->engine(), request, /*replace_moves=*/!store_->shared());
    const int64_t held = cost.total_bytes();
    absl::Status admitted =
        registry_->HoldUpdateBytes(model->name(), held, cost.Breakdown());
    if (!admitted.ok()) return admitted;
    absl::Cleanup release = [&] { registry_->ReleaseUpdateBytes(held); };
    absl::StatusOr<std::vector<engine::ParameterUpdate>> updates =
        ValidateUpdates(request, model->engine(), model->layer_names());
    if (!updates.ok()) return updates.status();
    std::optional<uint64_t> expected;
    if (request.has_expected_version()) expected = request.expected_version();
    constexpr int kMaxAttempts = 5;
    for (int attempt = 1;; ++attempt) {
      bool store_conflict = false;
      // Only a shared store retries; otherwise the values can be moved.
      absl::StatusOr<uint64_t> result =
          UpdateOnce(model, *updates, /*consume=*/!store_->shared(), expected,
                     &store_conflict);
      // On a shared store, a version mismatch may only mean this replica is
      // behind the cluster: catch up, then decide again.
      if (!store_->shared() || !absl::IsFailedPrecondition(result.status()) ||
          attempt == kMaxAttempts) {
        return result;
      }
      const uint64_t before = model->engine().snapshot()->version();
      absl::Status caught_up = CatchUp(model);
      if (!caught_up.ok()) return caught_up;
      const uint64_t after = model->engine().snapshot()->version();
      if (after == before && !store_conflict) {
        // Not behind: the expected_version itself is stale.
        return result;
      }
    }
  }();
  model->reporter()->RecordParameterUpdate(
      version.status().code(), absl::ToDoubleSeconds(absl::Now() - start));
  if (version.ok()) {
    VersionApplied(*model);
    MaybeCompact(model);
  }
  return version;
}

void ModelManager::VersionApplied(ServedModel& model) {
  const uint64_t version = model.engine().snapshot()->version();
  model.gate().Advance(version);
  model.reporter()->SetVersion(version);
  model.reporter()->SetStoreLogEntries(model.log().size().entries);
}

absl::Status ModelManager::Delete(const std::string& name) {
  absl::Status status = ValidateModelName(name, "name");
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<ServedModel>> model = FindOrLoad(name);
  if (!model.ok()) return model.status();
  const absl::Time start = absl::Now();
  status = Committed(StoreOperation::kDeleteModel, start,
                     store_->DeleteModel((*model)->store_id()));
  if (absl::IsNotFound(status)) {
    // A concurrent DeleteModel of the same model committed first.
    return absl::NotFoundError(absl::StrCat("model '", name, "' not found"));
  }
  if (!status.ok()) return status;
  Retire(*std::move(model),
         absl::NotFoundError(absl::StrCat("model '", name, "' was deleted")));
  return absl::OkStatus();
}

void ModelManager::Retire(std::shared_ptr<ServedModel> model,
                          const absl::Status& why) {
  absl::StatusOr<std::shared_ptr<ServedModel>> removed =
      registry_->Remove(model->name(), model.get());
  if (!removed.ok()) return;  // already gone
  // Calls waiting for a version of this model get `why`.
  (*removed)->gate().Close(why);
  // Drain off this thread. If the retirer is already stopped (server
  // shutdown), the model's destructor drains when the last user lets go.
  // Then, once the model is freed (callers that still held it, such as the
  // deleting handler, let go within a second), its memory is returned to
  // the OS: glibc would otherwise keep it (free_memory.h).
  retirer_
      ->Schedule([model = *std::move(removed)]() mutable {
        model->executor().Shutdown(/*drain=*/true, "the model was deleted");
        const std::weak_ptr<ServedModel> freed = model;
        model.reset();
        for (int i = 0; i < 200 && !freed.expired(); ++i) {
          absl::SleepFor(absl::Milliseconds(5));
        }
        ReleaseFreeMemory();
      })
      .IgnoreError();
}

void ModelManager::MaybeCompact(const std::shared_ptr<ServedModel>& model) {
  if (!model->log().StartCompactionIfDue(options_.snapshot_every_updates,
                                         options_.snapshot_every_bytes)) {
    return;
  }
  absl::Status scheduled =
      maintenance_->Schedule([this, model] { Compact(model); });
  if (!scheduled.ok()) model->log().CompactionDone();
}

void ModelManager::Compact(const std::shared_ptr<ServedModel>& model) {
  bool written = false;
  if (!model->deleted()) {
    const absl::Time start = absl::Now();
    const std::shared_ptr<const engine::ParameterSnapshot> snapshot =
        model->engine().snapshot();
    const absl::Time commit_start = absl::Now();
    absl::StatusOr<store::LogSize> rest = store_->WriteSnapshot(
        model->store_id(), snapshot->version(),
        ParameterRefs(model->engine(), *snapshot));
    absl::Status status =
        Committed(StoreOperation::kWriteSnapshot, commit_start, rest.status());
    if (status.ok()) {
      model->log().FoldedUpTo(snapshot->version());
      reporter_->RecordStoreSnapshot(
          absl::ToDoubleSeconds(absl::Now() - start));
      model->reporter()->SetStoreLogEntries(model->log().size().entries);
      written = true;
    } else if (!model->deleted()) {
      std::fprintf(stderr,
                   "brainserve-server: snapshot of model '%s' at version %llu "
                   "failed (the log is kept; retried after the next "
                   "update): %s\n",
                   model->name().c_str(),
                   static_cast<unsigned long long>(snapshot->version()),
                   std::string(status.message()).c_str());
    }
  }
  model->log().CompactionDone();
  // Updates that arrived meanwhile may already call for the next one.
  if (written) MaybeCompact(model);
}

void ModelManager::ShutdownAll(bool drain) {
  for (const std::shared_ptr<ServedModel>& model : registry_->RemoveAll()) {
    model->gate().Close(absl::UnavailableError("the server is shutting down"));
    model->executor().Shutdown(drain, "the server is shutting down");
  }
}

}  // namespace brainserve::server
