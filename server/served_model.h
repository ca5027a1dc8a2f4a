// One model being served: its spec, the engine model, its effective
// batching options, its metrics handle and its ForwardExecutor.
//
// Shared by shared_ptr between the registry and in-flight RPCs, so deleting a
// model never frees it under a running call. Batch workers hold no reference
// to the ServedModel (only to the engine model and the metrics handle), so
// the executor is never destroyed from its own threads.
//
// Thread safety: immutable after construction except `deleted`; the engine
// model and the executor are themselves thread-safe.
#ifndef BRAINSERVE_SERVER_SERVED_MODEL_H_
#define BRAINSERVE_SERVER_SERVED_MODEL_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "brainserve/v1/model_service.pb.h"
#include "engine/model.h"
#include "server/batching_config.h"
#include "server/forward_executor.h"
#include "server/metrics/reporter.h"
#include "server/model_log.h"
#include "server/model_update_queue.h"
#include "server/store/model_store.h"
#include "server/version_gate.h"

namespace brainserve::server {

class ServedModel {
 public:
  ServedModel(std::string name, v1::ModelSpec spec,
              std::shared_ptr<engine::Model> model,
              ModelBatchingOptions batching,
              std::shared_ptr<metrics::ModelReporter> reporter,
              std::unique_ptr<ForwardExecutor> executor,
              std::shared_ptr<ModelUpdateQueue> updates,
              store::ModelId store_id, DeadlineTimer* timer);

  ServedModel(const ServedModel&) = delete;
  ServedModel& operator=(const ServedModel&) = delete;

  const std::string& name() const { return name_; }
  const v1::ModelSpec& spec() const { return spec_; }
  engine::Model& engine() const { return *model_; }
  // Layer names in order: the spec's names, or "0", "1", ... where empty.
  const std::vector<std::string>& layer_names() const { return layer_names_; }
  const ModelBatchingOptions& batching() const { return batching_; }
  const std::shared_ptr<metrics::ModelReporter>& reporter() const {
    return reporter_;
  }
  ForwardExecutor& executor() const { return *executor_; }
  // Where this model's UpdateParameters calls wait their turn (bounded).
  ModelUpdateQueue& updates() const { return *updates_; }
  // The model's id in the store (never reused, unlike its name).
  store::ModelId store_id() const { return store_id_; }
  // The store log entries after the model's latest stored snapshot.
  ModelLog& log() const { return log_; }
  // Where calls with a min_version wait for the version to be applied.
  VersionGate& gate() const { return *gate_; }

  // Set once the model has left the registry.
  void MarkDeleted() { deleted_.store(true, std::memory_order_release); }
  bool deleted() const { return deleted_.load(std::memory_order_acquire); }

  // name, spec, shapes, current version, parameters, effective batching.
  void FillInfo(v1::ModelInfo* info) const;

 private:
  const std::string name_;
  const v1::ModelSpec spec_;
  const std::shared_ptr<engine::Model> model_;
  const std::vector<std::string> layer_names_;
  const ModelBatchingOptions batching_;
  const std::shared_ptr<metrics::ModelReporter> reporter_;
  const store::ModelId store_id_;
  mutable ModelLog log_;
  const std::shared_ptr<VersionGate> gate_;
  const std::shared_ptr<ModelUpdateQueue> updates_;
  std::atomic<bool> deleted_{false};
  // Declared last: destroyed (drained and joined) first.
  const std::unique_ptr<ForwardExecutor> executor_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_SERVED_MODEL_H_
