// The one owner of the model lifecycle: create, update, delete, restore.
//
// Every change is committed to the model store first, then applied in
// memory, then acknowledged (the caller answers the RPC only after these
// methods return OK). A failed commit changes nothing in memory.
//
// Create() validates the request (name, batching options, spec via the
// engine), reserves the name, builds the engine model (parameters
// initialized from the seed, primitives warmed) with its OpenMP thread share
// (ComputeBudget::ThreadsPerForward), reserves its bytes against the limits
// (ModelRegistry, the one place they are checked), commits the request and
// the version-1 parameters to the store, then publishes the model.
//
// Update() validates the updates, lets the engine prepare the next snapshot
// off the hot path, appends the updates to the store's log as that version
// (from the engine's commit hook, so the version is decided under the
// model's update lock), and only then publishes the snapshot. When a model's
// log reaches `snapshot_every_updates` entries or `snapshot_every_bytes`
// bytes, a snapshot of its current parameters is written in the background
// (the `maintenance` queue) and the log entries it covers are dropped.
//
// Delete() removes the model from the store, then unpublishes it and hands it
// to the `retirer` queue, which drains its executor (queued forwards still
// run) and, once the model is freed, returns its memory to the OS
// (free_memory.h).
//
// RestoreAll() (at start, before serving) rebuilds every stored model from
// its snapshot and replays its log, so versions and parameters continue
// bitwise where they were.
//
// Store failures: UNAVAILABLE when the store cannot commit now (disk full,
// read-only, I/O error, connection lost) and INTERNAL for anything else; the
// message names the store.
//
// Shared stores (PostgreSQL): the store decides each version. An update
// that loses the race for version v+1 to another replica (or that finds
// this replica behind) catches the model up from the store's log and tries
// again (up to 5 times); with expected_version set, the retry's check is
// against the cluster's latest version, so a stale expected_version is
// FAILED_PRECONDITION naming the cluster's version.
//
// Create(), Update() and Delete() block on the store (an fsync); run them off
// gRPC's threads. Thread-safe. Pointers given to the constructor are borrowed
// and must outlive the manager.
#ifndef BRAINSERVE_SERVER_MODEL_MANAGER_H_
#define BRAINSERVE_SERVER_MODEL_MANAGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "server/admission/admission.h"
#include "server/batching/clock.h"
#include "server/batching_config.h"
#include "server/compute_budget.h"
#include "server/metrics/reporter.h"
#include "server/model_registry.h"
#include "server/served_model.h"
#include "server/store/model_store.h"
#include "server/deadline_timer.h"
#include "server/task_runner.h"
#include "server/work_queue.h"

namespace brainserve::server {

struct ModelManagerOptions {
  // Batching options for fields a CreateModelRequest leaves unset.
  ModelBatchingOptions default_batching;
  // Time source of the batch schedulers; nullptr = real time. Not owned.
  batching::Clock* clock = nullptr;
  // Compaction: a model's log is folded into a snapshot once it holds this
  // many updates or this many parameter bytes (0 = no such trigger).
  int64_t snapshot_every_updates = 1000;
  int64_t snapshot_every_bytes = int64_t{256} << 20;
  // Admission by cost (server/admission): CreateModel checks the layer
  // count and a full batch's memory before warm-up, every executor cuts
  // batches by bytes, and the front ends check each Forward against it.
  admission::AdmissionLimits admission;
  // Threads running UpdateParameters (not owned; required), and the most
  // updates one model may have queued or running (server/model_update_queue.h).
  TaskRunner* update_workers = nullptr;
  int64_t max_pending_updates = 16;
  // Batches of fewer rows run on one thread (ServerOptions).
  int64_t min_rows_for_all_threads = 0;
};

// What RestoreAll() did, for the start-up log.
struct RestoreSummary {
  std::vector<std::string> names;  // the restored models
  int models = 0;
  int64_t replayed_updates = 0;
  double seconds = 0;
};

class ModelManager {
 public:
  ModelManager(const ModelManagerOptions& options, ModelRegistry* registry,
               metrics::Reporter* reporter, ComputeBudget* budget,
               store::ModelStore* store, WorkQueue* retirer,
               WorkQueue* maintenance, DeadlineTimer* timer);

  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Loads every model of the store. Errors name the store and the model; the
  // server must not serve after an error.
  absl::StatusOr<RestoreSummary> RestoreAll();

  // INVALID_ARGUMENT (name, batching.*, spec), ALREADY_EXISTS,
  // RESOURCE_EXHAUSTED (model or byte limits), UNAVAILABLE / INTERNAL (store).
  absl::StatusOr<std::shared_ptr<ServedModel>> Create(
      const v1::CreateModelRequest& request);

  // Returns the new version. RESOURCE_EXHAUSTED (naming
  // --max_total_parameter_bytes and the cost) if the update's peak memory
  // (admission/update_cost.h) does not fit the total byte limit beside every
  // served model and the updates in progress: checked before the request is
  // decoded, so a refused update allocates nothing and the model keeps
  // serving its current version. INVALID_ARGUMENT / NOT_FOUND from validation,
  // FAILED_PRECONDITION on an expected_version mismatch, NOT_FOUND if the
  // model was deleted meanwhile, UNAVAILABLE / INTERNAL (store). Records
  // brainserve_parameter_updates_total / _duration_seconds and the version.
  absl::StatusOr<uint64_t> Update(const std::shared_ptr<ServedModel>& model,
                                  const v1::UpdateParametersRequest& request);

  // INVALID_ARGUMENT for a malformed name, NOT_FOUND if not served,
  // UNAVAILABLE / INTERNAL (store).
  absl::Status Delete(const std::string& name);

  // --- Shared stores: applying what other replicas committed. ---

  bool shared_store() const { return store_->shared(); }
  // The limits every front end admits requests against.
  const admission::AdmissionLimits& admission_limits() const {
    return options_.admission;
  }
  // The served model `name`. On a shared store, a model another replica
  // created and this one has not loaded yet is loaded first (blocks on the
  // store: run it off gRPC's threads). NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<ServedModel>> FindOrLoad(
      const std::string& name);

  // Applies the store's log to `model` (reading it after the local
  // version; reloading the snapshot if the log was folded meanwhile) until
  // it has the cluster's latest version. Safe to run concurrently with
  // updates and other catch-ups of the same model.
  absl::Status CatchUp(const std::shared_ptr<ServedModel>& model);
  // Serves a model another replica created (replacing a stale local model
  // of the same name).
  absl::Status AddRemote(store::StoredModel stored);
  // Stops serving the model with store id `id` (deleted elsewhere).
  void RemoveRemote(store::ModelId id);

  // Unpublishes every model and shuts its executor down (drain=true runs the
  // queued forwards; false answers them UNAVAILABLE). Blocks: server shutdown.
  void ShutdownAll(bool drain);

 private:
  // A store log entry not yet folded into a snapshot.
  struct LoggedVersion {
    uint64_t version = 0;
    int64_t bytes = 0;
  };

  // Builds the executor and metrics of an engine model whose name is
  // reserved, commits it to the store through `commit` (which returns the
  // store id), and publishes it with `pending_log` as its unfolded log.
  absl::StatusOr<std::shared_ptr<ServedModel>> Serve(
      const v1::CreateModelRequest& request,
      const ModelBatchingOptions& batching, int threads_per_forward,
      std::shared_ptr<engine::Model> engine_model,
      const std::function<absl::StatusOr<store::ModelId>()>& commit,
      const std::vector<LoggedVersion>& pending_log);
  absl::StatusOr<std::shared_ptr<ServedModel>> Restore(
      store::StoredModel& stored, int64_t* replayed);
  // Unpublishes `model` and drains it off this thread.
  void Retire(std::shared_ptr<ServedModel> model, const absl::Status& why);
  // Publishes the model's current version to its gate and metrics.
  void VersionApplied(ServedModel& model);
  // One attempt at `updates`. With `consume`, REPLACE values are moved into
  // the new snapshot (no copy) and `updates` must not be used again.
  absl::StatusOr<uint64_t> UpdateOnce(
      const std::shared_ptr<ServedModel>& model,
      std::vector<engine::ParameterUpdate>& updates, bool consume,
      std::optional<uint64_t> expected, bool* store_conflict);
  // Times a store commit and records it; maps its status for the caller.
  absl::Status Committed(metrics::StoreOperation op, absl::Time start,
                         absl::Status status) const;
  void MaybeCompact(const std::shared_ptr<ServedModel>& model);
  void Compact(const std::shared_ptr<ServedModel>& model);
  engine::EngineOptions EngineOptionsFor(const ModelBatchingOptions& batching,
                                         engine::Precision precision) const;

  const ModelManagerOptions options_;
  ModelRegistry* const registry_;
  metrics::Reporter* const reporter_;
  ComputeBudget* const budget_;
  store::ModelStore* const store_;
  WorkQueue* const retirer_;
  WorkQueue* const maintenance_;
  DeadlineTimer* const timer_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_MANAGER_H_
