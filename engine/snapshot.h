// The engine's ParameterSnapshot: one immutable parameter version plus the
// per-layer weights derived from it. Built completely before it is
// published, never modified afterwards, shared by shared_ptr; any number of
// threads may read it, and it stays valid after its Model is destroyed.
// Values and derived weights are held by shared_ptr each, so consecutive
// snapshots share whatever an update left unchanged (copy-on-write).
#ifndef BRAINSERVE_ENGINE_SNAPSHOT_H_
#define BRAINSERVE_ENGINE_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/layer.h"
#include "engine/parameter_snapshot.h"

namespace brainserve::engine {

// (layer name, parameter name) -> position in Model::parameter_infos().
class ParameterIndex {
 public:
  explicit ParameterIndex(const std::vector<ParameterInfo>& infos);
  // -1 if the layer has no such parameter.
  int Find(absl::string_view layer, absl::string_view name) const;

 private:
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int>>
      index_;
};

class SnapshotImpl final : public ParameterSnapshot {
 public:
  SnapshotImpl(uint64_t model_id, uint64_t version,
               std::vector<std::shared_ptr<const DenseTensor>> values,
               std::vector<std::shared_ptr<const LayerWeights>> layer_weights,
               std::shared_ptr<const ParameterIndex> index)
      : model_id_(model_id),
        version_(version),
        values_(std::move(values)),
        layer_weights_(std::move(layer_weights)),
        index_(std::move(index)) {}

  uint64_t version() const override { return version_; }
  const std::vector<std::shared_ptr<const DenseTensor>>& values()
      const override {
    return values_;
  }
  const DenseTensor* Find(absl::string_view layer,
                          absl::string_view name) const override;

  // The model that created this snapshot (Forward rejects foreign ones).
  uint64_t model_id() const { return model_id_; }
  // Derived weights of layer `layer_index` (null for layers without any).
  const LayerWeights* layer_weights(size_t layer_index) const {
    return layer_weights_[layer_index].get();
  }
  const std::vector<std::shared_ptr<const LayerWeights>>& all_layer_weights()
      const {
    return layer_weights_;
  }

 private:
  const uint64_t model_id_;
  const uint64_t version_;
  const std::vector<std::shared_ptr<const DenseTensor>> values_;
  const std::vector<std::shared_ptr<const LayerWeights>> layer_weights_;
  const std::shared_ptr<const ParameterIndex> index_;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_SNAPSHOT_H_
