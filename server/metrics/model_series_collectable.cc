#include "server/metrics/model_series_collectable.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/metrics/metric_schema.h"

namespace brainserve::metrics::internal {

std::shared_ptr<ModelMetrics> ModelSeriesCollectable::AddModel(
    const std::string& model) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<ModelMetrics>& slot = models_[model];
  if (slot == nullptr) slot = std::make_shared<ModelMetrics>(model);
  return slot;
}

void ModelSeriesCollectable::RemoveModel(const std::string& model) {
  std::shared_ptr<ModelMetrics> removed;  // Released outside the lock.
  absl::MutexLock lock(&mu_);
  auto it = models_.find(model);
  if (it == models_.end()) return;
  removed = std::move(it->second);
  models_.erase(it);
}

std::vector<prometheus::MetricFamily> ModelSeriesCollectable::Collect() const {
  std::vector<std::shared_ptr<ModelMetrics>> live;
  {
    absl::MutexLock lock(&mu_);
    live.reserve(models_.size());
    for (const auto& [name, metrics] : models_) live.push_back(metrics);
  }
  std::vector<prometheus::MetricFamily> families = NewModelFamilies();
  unattributed_.AppendTo("", &families);
  for (const auto& metrics : live) metrics->AppendTo(&families);
  std::vector<prometheus::MetricFamily> non_empty;
  non_empty.reserve(families.size());
  for (auto& family : families) {
    if (!family.metric.empty()) non_empty.push_back(std::move(family));
  }
  return non_empty;
}

}  // namespace brainserve::metrics::internal
