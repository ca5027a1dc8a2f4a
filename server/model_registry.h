// The thread-safe name -> ServedModel map, with the server's model limits.
//
// Creation is staged so the (slow) engine model is built and the (slow)
// store commit runs outside the lock while the name, a model slot and the
// model's bytes are already held; the limits are checked here and nowhere
// else:
//   Reserve(name)        -> ALREADY_EXISTS if served or being created,
//                           RESOURCE_EXHAUSTED naming max_models if full;
//   ReserveBytes(name, b)-> RESOURCE_EXHAUSTED naming
//                           max_model_parameter_bytes or
//                           max_total_parameter_bytes;
//   Publish(model)       -> the model is served (cannot fail);
//   Unreserve(name)      after a failed creation (releases the bytes).
// An update holds its transient bytes (the update's peak beyond the current
// snapshot, admission/update_cost.h) against max_total_parameter_bytes while
// it is prepared: HoldUpdateBytes() -> RESOURCE_EXHAUSTED naming
// --max_total_parameter_bytes and the cost, ReleaseUpdateBytes() after.
// Remove() unpublishes a model: new lookups get NOT_FOUND while callers that
// already hold the shared_ptr finish normally.
//
// The registry also keeps the metrics in step: Remove() drops the model's
// series and every change sets brainserve_models, both under the registry
// lock, so a concurrent delete and re-create of one name cannot remove the new
// model's series.
//
// Thread safety: all methods are thread-safe. Lookups take a reader lock.
#ifndef BRAINSERVE_SERVER_MODEL_REGISTRY_H_
#define BRAINSERVE_SERVER_MODEL_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/reporter.h"
#include "server/served_model.h"

namespace brainserve::server {

struct ModelRegistryLimits {
  // Most models served (or being created) at once.
  int64_t max_models = 64;
  // Most parameter bytes (float32 values of one snapshot) of one model.
  int64_t max_model_parameter_bytes = int64_t{2} << 30;  // 2 GiB
  // Most parameter bytes over all served models.
  int64_t max_total_parameter_bytes = int64_t{8} << 30;  // 8 GiB
};

class ModelRegistry {
 public:
  // `reporter` is not owned and must outlive the registry.
  ModelRegistry(const ModelRegistryLimits& limits, metrics::Reporter* reporter);

  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  const ModelRegistryLimits& limits() const { return limits_; }

  absl::Status Reserve(const std::string& name);
  // `name` must be reserved; holds `bytes` of the limits for it.
  absl::Status ReserveBytes(const std::string& name, int64_t bytes);
  void Unreserve(const std::string& name);
  // Holds `bytes` of max_total_parameter_bytes for an update of `name`
  // (for the message); release them with ReleaseUpdateBytes(bytes).
  // `breakdown` explains the bytes in the message.
  absl::Status HoldUpdateBytes(absl::string_view name, int64_t bytes,
                               absl::string_view breakdown);
  void ReleaseUpdateBytes(int64_t bytes);
  // `model->name()` must be reserved (with its bytes); serves it.
  void Publish(std::shared_ptr<ServedModel> model);

  // OK: the model; NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<ServedModel>> Get(
      absl::string_view name) const;
  // Every served model, ordered by name.
  std::vector<std::shared_ptr<ServedModel>> List() const;
  // Unpublishes `name` and marks it deleted; NOT_FOUND if not served (or, when
  // `only` is set, if the served model of that name is not `only`).
  absl::StatusOr<std::shared_ptr<ServedModel>> Remove(
      absl::string_view name, const ServedModel* only = nullptr);
  // Unpublishes every model (server shutdown).
  std::vector<std::shared_ptr<ServedModel>> RemoveAll();

  int64_t total_parameter_bytes() const;

 private:
  void UpdateModelCountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ModelRegistryLimits limits_;
  metrics::Reporter* const reporter_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<ServedModel>> models_
      ABSL_GUARDED_BY(mu_);
  // Names being created -> the bytes they hold (0 until ReserveBytes).
  absl::flat_hash_map<std::string, int64_t> reserved_ ABSL_GUARDED_BY(mu_);
  // Served and reserved bytes, and those held by updates in progress.
  int64_t total_parameter_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_REGISTRY_H_
