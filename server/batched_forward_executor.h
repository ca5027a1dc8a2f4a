// ForwardExecutor backed by one dynamic BatchScheduler per model.
//
// Submit() first admits the call by cost (admission::AdmitForward: its
// memory and response size, RESOURCE_EXHAUSTED naming the limit), so every
// front end that submits gets the same check before anything is allocated;
// then schedules it (RESOURCE_EXHAUSTED naming batching.max_queue_size when
// the queue is full); the scheduler's workers
// run batches through RunForwardBatch() (forward_batch.h) and answer calls
// dropped from the queue: DEADLINE_EXCEEDED when the client's deadline passed
// before compute (also when gRPC reported that as a cancellation), CANCELLED
// when the client cancelled, UNAVAILABLE at Shutdown(drain=false).
//
// Ownership: shares the engine model and the model's metrics handle; borrows
// the ComputeBudget, which must outlive the executor. Thread-safe.
#ifndef BRAINSERVE_SERVER_BATCHED_FORWARD_EXECUTOR_H_
#define BRAINSERVE_SERVER_BATCHED_FORWARD_EXECUTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model.h"
#include "server/admission/admission.h"
#include "server/batching/batch_scheduler.h"
#include "server/batching/clock.h"
#include "server/batching_config.h"
#include "server/compute_budget.h"
#include "server/forward_batch.h"
#include "server/forward_executor.h"
#include "server/metrics/reporter.h"

namespace brainserve::server {

struct BatchedForwardExecutorOptions {
  // The model's name, for messages.
  std::string model_name;
  // Effective batching options of the model.
  ModelBatchingOptions batching;
  // OpenMP threads of one Forward (the model's EngineOptions::num_threads);
  // the tokens a batch takes from the ComputeBudget.
  int threads_per_forward = 1;
  // A batch of fewer rows runs on one thread and takes one token
  // (ForwardBatchContext); 0 = always threads_per_forward.
  int64_t min_rows_for_all_threads = 0;
  // The limits Submit() admits each call against.
  admission::AdmissionLimits admission;
  // The most rows whose batch fits the per-request memory budget
  // (admission::MaxBatchRows); batches are cut at
  // min(batching.max_batch_size, this). 0 = no byte cut.
  int64_t max_batch_rows_by_bytes = 0;
  // Scheduler time source; nullptr = batching::RealClock(). Not owned.
  batching::Clock* clock = nullptr;
};

class BatchedForwardExecutor : public ForwardExecutor {
 public:
  static absl::StatusOr<std::unique_ptr<BatchedForwardExecutor>> Create(
      const BatchedForwardExecutorOptions& options,
      std::shared_ptr<const engine::Model> model,
      std::shared_ptr<metrics::ModelReporter> reporter, ComputeBudget* budget);

  ~BatchedForwardExecutor() override;

  void Submit(std::unique_ptr<ForwardCall> call) override;
  void Shutdown(bool drain, absl::string_view reason) override;
  int64_t queue_depth() const override;

 private:
  BatchedForwardExecutor(const BatchedForwardExecutorOptions& options,
                         std::shared_ptr<const engine::Model> model,
                         std::shared_ptr<metrics::ModelReporter> reporter,
                         ComputeBudget* budget);

  void Drop(std::unique_ptr<ForwardCall> call, const absl::Status& why);

  const BatchedForwardExecutorOptions options_;
  const std::shared_ptr<const engine::Model> model_;
  const std::shared_ptr<metrics::ModelReporter> reporter_;
  batching::Clock* const clock_;
  const ForwardBatchContext batch_context_;
  // Declared last: destroyed (drained and joined) first.
  std::unique_ptr<batching::BatchScheduler<ForwardCall>> scheduler_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_BATCHED_FORWARD_EXECUTOR_H_
