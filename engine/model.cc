#include "engine/model.h"

#include "engine/sequential_model.h"

namespace brainserve::engine {

absl::StatusOr<std::unique_ptr<Model>> Model::Create(
    const brainserve::v1::ModelSpec& spec, uint64_t seed,
    const EngineOptions& options) {
  absl::StatusOr<std::unique_ptr<SequentialModel>> model =
      SequentialModel::Create(spec, seed, options);
  if (!model.ok()) return model.status();
  return std::unique_ptr<Model>(*std::move(model));
}

absl::StatusOr<std::unique_ptr<Model>> Model::Restore(
    const brainserve::v1::ModelSpec& spec, std::vector<DenseTensor> values,
    uint64_t version, const EngineOptions& options) {
  absl::StatusOr<std::unique_ptr<SequentialModel>> model =
      SequentialModel::Restore(spec, std::move(values), version, options);
  if (!model.ok()) return model.status();
  return std::unique_ptr<Model>(*std::move(model));
}

absl::Status Model::Forward(const ParameterSnapshot& snapshot,
                            const float* input, int64_t batch,
                            const MaskMap& masks, float* output) const {
  CheckedMasks checked;
  if (!masks.empty()) {
    absl::StatusOr<CheckedMasks> made = CheckMasks(masks, batch);
    if (!made.ok()) return made.status();
    checked = *std::move(made);
  }
  const ForwardSegment whole{batch, &checked};
  return Forward(snapshot, input, batch, absl::MakeConstSpan(&whole, 1),
                 output);
}

}  // namespace brainserve::engine
