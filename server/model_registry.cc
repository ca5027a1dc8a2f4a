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
  reserved_.emplace(name, 0);
  return absl::OkStatus();
}

absl::Status ModelRegistry::ReserveBytes(const std::string& name,
                                         int64_t bytes) {
  absl::MutexLock lock(&mu_);
  auto it = reserved_.find(name);
  if (it == reserved_.end()) {
    return absl::InternalError(
        absl::StrCat("model '", name, "' was not reserved"));
  }
  if (bytes > limits_.max_model_parameter_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model '", name, "' has ", bytes,
                     " bytes (parameters and one pass of workspace), over max_model_parameter_bytes (",
                     limits_.max_model_parameter_bytes, ")"));
  }
  const int64_t others = total_parameter_bytes_ - it->second;
  if (others + bytes > limits_.max_total_parameter_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model '", name, "' needs ", bytes,
                     " bytes (parameters and workspace); with the ", others,
                     " already served that exceeds max_total_parameter_bytes (",
                     limits_.max_total_parameter_bytes, ")"));
  }
  total_parameter_bytes_ = others + bytes;
  it->second = bytes;
  return absl::OkStatus();
}

void ModelRegistry::Unreserve(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = reserved_.find(name);
  if (it == reserved_.end()) return;
  total_parameter_bytes_ -= it->second;
  reserved_.erase(it);
}

absl::Status ModelRegistry::HoldUpdateBytes(absl::string_view name,
                                            int64_t bytes,
                                            absl::string_view breakdown) {
  absl::MutexLock lock(&mu_);
  const int64_t others = total_parameter_bytes_;
  if (bytes > limits_.max_total_parameter_bytes - others) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "update of model '", name, "' needs ", bytes, " bytes while it is "
        "prepared (", breakdown, "); with the ", others,
        " bytes held by served models and updates in progress that exceeds "
        "--max_total_parameter_bytes=",
        limits_.max_total_parameter_bytes,
        "; update fewer parameters per request"));
  }
  total_parameter_bytes_ += bytes;
  return absl::OkStatus();
}

void ModelRegistry::ReleaseUpdateBytes(int64_t bytes) {
  absl::MutexLock lock(&mu_);
  total_parameter_bytes_ -= bytes;
}

void ModelRegistry::Publish(std::shared_ptr<ServedModel> model) {
  absl::MutexLock lock(&mu_);
  auto it = reserved_.find(model->name());
  if (it != reserved_.end()) {
    // The reservation's bytes become the served model's.
    total_parameter_bytes_ +=
        model->engine().parameter_bytes() - it->second;
    reserved_.erase(it);
  } else {
    total_parameter_bytes_ += model->engine().parameter_bytes();
  }
  std::string name = model->name();
  models_.insert_or_assign(std::move(name), std::move(model));
  UpdateModelCountLocked();
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
    absl::string_view name, const ServedModel* only) {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end() || (only != nullptr && it->second.get() != only)) {
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
