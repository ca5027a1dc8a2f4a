#include "server/model_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brainserve::server {

ModelRegistry::ModelRegistry(const ModelRegistryLimits& limits,
                             metrics::Reporter* reporter)
    : limits_(limits), reporter_(reporter) {}

absl::Status ModelRegistry::Reserve(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (models_.contains(name) || reserved_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("model '", name, "' already exists"));
  }
  const int64_t count = static_cast<int64_t>(models_.size() + reserved_.size());
  if (count >= limits_.max_models) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create model '", name, "': max_models (",
                     limits_.max_models, ") models are already served"));
  }
  reserved_.insert(name);
  return absl::OkStatus();
}

void ModelRegistry::Unreserve(const std::string& name) {
  absl::MutexLock lock(&mu_);
  reserved_.erase(name);
}

absl::Status ModelRegistry::Commit(std::shared_ptr<ServedModel> model) {
  const int64_t bytes = model->engine().parameter_bytes();
  absl::MutexLock lock(&mu_);
  if (!reserved_.contains(model->name())) {
    return absl::InternalError(
        absl::StrCat("model '", model->name(), "' was not reserved"));
  }
  if (bytes > limits_.max_model_parameter_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model '", model->name(), "' has ", bytes,
                     " parameter bytes, over max_model_parameter_bytes (",
                     limits_.max_model_parameter_bytes, ")"));
  }
  if (total_parameter_bytes_ + bytes > limits_.max_total_parameter_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model '", model->name(), "' needs ", bytes,
                     " parameter bytes; with the ", total_parameter_bytes_,
                     " already served that exceeds max_total_parameter_bytes (",
                     limits_.max_total_parameter_bytes, ")"));
  }
  reserved_.erase(model->name());
  total_parameter_bytes_ += bytes;
  std::string name = model->name();
  models_.emplace(std::move(name), std::move(model));
  UpdateModelCountLocked();
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelRegistry::Get(
    absl::string_view name) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) {
    return absl::NotFoundError(absl::StrCat("model '", name, "' not found"));
  }
  return it->second;
}

std::vector<std::shared_ptr<ServedModel>> ModelRegistry::List() const {
  std::vector<std::shared_ptr<ServedModel>> models;
  {
    absl::ReaderMutexLock lock(&mu_);
    models.reserve(models_.size());
    for (const auto& [name, model] : models_) models.push_back(model);
  }
  std::sort(models.begin(), models.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return models;
}

absl::StatusOr<std::shared_ptr<ServedModel>> ModelRegistry::Remove(
    absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) {
    return absl::NotFoundError(absl::StrCat("model '", name, "' not found"));
  }
  std::shared_ptr<ServedModel> model = std::move(it->second);
  models_.erase(it);
  total_parameter_bytes_ -= model->engine().parameter_bytes();
  model->MarkDeleted();
  reporter_->RemoveModel(model->name());
  UpdateModelCountLocked();
  return model;
}

std::vector<std::shared_ptr<ServedModel>> ModelRegistry::RemoveAll() {
  std::vector<std::shared_ptr<ServedModel>> models;
  absl::MutexLock lock(&mu_);
  for (auto& [name, model] : models_) {
    model->MarkDeleted();
    reporter_->RemoveModel(name);
    models.push_back(std::move(model));
  }
  models_.clear();
  total_parameter_bytes_ = 0;
  UpdateModelCountLocked();
  return models;
}

int64_t ModelRegistry::total_parameter_bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  return total_parameter_bytes_;
}

void ModelRegistry::UpdateModelCountLocked() {
  reporter_->SetModelCount(static_cast<int64_t>(models_.size()));
}

}  // namespace brainserve::server
