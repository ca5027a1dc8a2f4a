// Creates and deletes served models: the logic behind CreateModel,
// DeleteModel and the startup model file.
//
// Create() validates the request (name, batching options, spec via the
// engine), reserves the name in the registry, builds the engine model with its
// OpenMP thread share (ComputeBudget::ThreadsPerForward), the metrics handle
// and the model's BatchedForwardExecutor, and commits it (limits checked).
// Delete() unpublishes the model at once and hands it to the `retirer` queue,
// which drains its executor (queued forwards still run) off the caller's
// thread.
//
// Create() is CPU-heavy (parameter initialization) and may block briefly on
// thread joins when it fails, so run it off gRPC's threads. Delete() never
// blocks. Thread-safe. All pointers given to the constructor are borrowed and
// must outlive the manager.
#ifndef BRAINSERVE_SERVER_MODEL_MANAGER_H_
#define BRAINSERVE_SERVER_MODEL_MANAGER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "server/batching/clock.h"
#include "server/batching_config.h"
#include "server/compute_budget.h"
#include "server/metrics/reporter.h"
#include "server/model_registry.h"
#include "server/served_model.h"
#include "server/work_queue.h"

namespace brainserve::server {

struct ModelManagerOptions {
  // Batching options for fields a CreateModelRequest leaves unset.
  ModelBatchingOptions default_batching;
  // Time source of the batch schedulers; nullptr = real time. Not owned.
  batching::Clock* clock = nullptr;
};

class ModelManager {
 public:
  ModelManager(const ModelManagerOptions& options, ModelRegistry* registry,
               metrics::Reporter* reporter, ComputeBudget* budget,
               WorkQueue* retirer);

  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // INVALID_ARGUMENT (name, batching.*, spec), ALREADY_EXISTS,
  // RESOURCE_EXHAUSTED (model or byte limits).
  absl::StatusOr<std::shared_ptr<ServedModel>> Create(
      const v1::CreateModelRequest& request);

  // INVALID_ARGUMENT for a malformed name, NOT_FOUND if not served.
  absl::Status Delete(const std::string& name);

  // Unpublishes every model and shuts its executor down (drain=true runs the
  // queued forwards; false answers them UNAVAILABLE). Blocks: server shutdown.
  void ShutdownAll(bool drain);

 private:
  absl::StatusOr<std::shared_ptr<ServedModel>> BuildReserved(
      const v1::CreateModelRequest& request,
      const ModelBatchingOptions& batching);

  const ModelManagerOptions options_;
  ModelRegistry* const registry_;
  metrics::Reporter* const reporter_;
  ComputeBudget* const budget_;
  WorkQueue* const retirer_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_MANAGER_H_
