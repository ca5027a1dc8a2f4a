#include "server/model_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/batched_forward_executor.h"
#include "server/request_validation.h"

namespace brainserve::server {

ModelManager::ModelManager(const ModelManagerOptions& options,
                           ModelRegistry* registry, metrics::Reporter* reporter,
                           ComputeBudget* budget, WorkQueue* retirer)
    : options_(options),
      registry_(registry),
      reporter_(reporter),
      budget_(budget),
      retirer_(retirer) {}

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

  status = registry_->Reserve(request.name());
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      BuildReserved(request, *batching);
  if (!model.ok()) registry_->Unreserve(request.name());
  return model;
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelManager::BuildReserved(
    const v1::CreateModelRequest& request,
    const ModelBatchingOptions& batching) {
  engine::EngineOptions engine_options;
  engine_options.num_threads =
      budget_->ThreadsPerForward(batching.num_batch_workers);
  // The engine checks the byte limit before it allocates any parameter, so
  // an oversized spec cannot exhaust memory first.
  engine_options.max_parameter_bytes =
      registry_->limits().max_model_parameter_bytes;
  absl::StatusOr<std::unique_ptr<engine::Model>> created =
      engine::Model::Create(request.spec(), request.seed(), engine_options);
  if (absl::IsResourceExhausted(created.status())) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model '", request.name(),
                     "' is over max_model_parameter_bytes: ",
                     created.status().message()));
  }
  if (!created.ok()) return created.status();
  std::shared_ptr<engine::Model> engine_model = *std::move(created);
  // Build every primitive the batcher can need now (on the admin thread), so
  // no Forward pays for primitive creation.
  absl::Status warmed = engine_model->Warmup(batching.max_batch_size);
  if (!warmed.ok()) return warmed;

  const int64_t bytes = engine_model->parameter_bytes();
  if (bytes > registry_->limits().max_model_parameter_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model '", request.name(), "' has ", bytes,
                     " parameter bytes, over max_model_parameter_bytes (",
                     registry_->limits().max_model_parameter_bytes, ")"));
  }

  std::shared_ptr<metrics::ModelReporter> model_reporter =
      reporter_->AddModel(request.name());
  model_reporter->SetQueueCapacity(batching.max_queue_size);
  BatchedForwardExecutorOptions executor_options;
  executor_options.model_name = request.name();
  executor_options.batching = batching;
  executor_options.threads_per_forward = engine_options.num_threads;
  executor_options.clock = options_.clock;
  absl::StatusOr<std::unique_ptr<BatchedForwardExecutor>> executor =
      BatchedForwardExecutor::Create(executor_options, engine_model,
                                     model_reporter, budget_);
  if (!executor.ok()) {
    reporter_->RemoveModel(request.name());
    return executor.status();
  }
  auto model = std::make_shared<ServedModel>(
      request.name(), request.spec(), std::move(engine_model), batching,
      model_reporter, *std::move(executor));
  absl::Status status = registry_->Commit(model);
  if (!status.ok()) {
    model->executor().Shutdown(/*drain=*/false);
    reporter_->RemoveModel(request.name());
    return status;
  }
  model_reporter->SetVersion(model->engine().snapshot()->version());
  return model;
}

absl::Status ModelManager::Delete(const std::string& name) {
  absl::Status status = ValidateModelName(name, "name");
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<ServedModel>> model = registry_->Remove(name);
  if (!model.ok()) return model.status();
  // Drain off this thread. If the retirer is already stopped (server
  // shutdown), the model's destructor drains when the last user lets go.
  retirer_
      ->Schedule([model = *std::move(model)] {
        model->executor().Shutdown(/*drain=*/true);
      })
      .IgnoreError();
  return absl::OkStatus();
}

void ModelManager::ShutdownAll(bool drain) {
  for (const std::shared_ptr<ServedModel>& model : registry_->RemoveAll()) {
    model->executor().Shutdown(drain);
  }
}

}  // namespace brainserve::server
