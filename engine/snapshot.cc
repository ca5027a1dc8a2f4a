#include "engine/snapshot.h"

namespace brainserve::engine {

ParameterIndex::ParameterIndex(const std::vector<ParameterInfo>& infos) {
  for (size_t i = 0; i < infos.size(); ++i) {
    index_[infos[i].layer][infos[i].name] = static_cast<int>(i);
  }
}

int ParameterIndex::Find(absl::string_view layer,
                         absl::string_view name) const {
  const auto layer_it = index_.find(layer);
  if (layer_it == index_.end()) return -1;
  const auto it = layer_it->second.find(name);
  return it == layer_it->second.end() ? -1 : it->second;
}

const DenseTensor* SnapshotImpl::Find(absl::string_view layer,
                                      absl::string_view name) const {
  const int i = index_->Find(layer, name);
  return i < 0 ? nullptr : values_[i].get();
}

}  // namespace brainserve::engine
