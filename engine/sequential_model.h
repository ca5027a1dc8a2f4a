// The engine's Model: a validated layer sequence plus the current parameter
// snapshot.
//
// Concurrency. Forward() is const and runs on the caller's thread with the
// snapshot it is given; per-call scratch comes from a WorkspacePool, cached
// primitives are looked up without locks, and oneDNN uses
// EngineOptions::num_threads OpenMP threads (set on the calling thread for
// the call). Update() serializes on its own mutex, builds the next snapshot
// completely (parameter values and derived, reordered weights of the layers
// it touches) and only then publishes it with a pointer swap under a mutex
// held for the copy alone, so Forward() and snapshot() never wait for it.
//
// Batch invariance. Every output row is bitwise equal to computing that row
// alone: primitives are built per pass size with fixed shapes (oneDNN 2.6's
// brgemm matmul / conv kernels accumulate every row in the same order for
// any row count; its runtime-M gemm does not), the LayerNorm kernel's
// summation order depends only on the group size, and batches larger than
// max_rows_per_pass are split into independent passes.
#ifndef BRAINSERVE_ENGINE_SEQUENTIAL_MODEL_H_
#define BRAINSERVE_ENGINE_SEQUENTIAL_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/forward_mask.h"
#include "engine/layer.h"
#include "engine/model.h"
#include "engine/snapshot.h"
#include "engine/workspace.h"

namespace brainserve::engine {

class SequentialModel final : public Model {
 public:
  static absl::StatusOr<std::unique_ptr<SequentialModel>> Create(
      const brainserve::v1::ModelSpec& spec, uint64_t seed,
      const EngineOptions& options);
  // See Model::Restore().
  static absl::StatusOr<std::unique_ptr<SequentialModel>> Restore(
      const brainserve::v1::ModelSpec& spec, std::vector<DenseTensor> values,
      uint64_t version, const EngineOptions& options);

  const std::vector<int64_t>& input_shape() const override {
    return input_shape_;
  }
  const std::vector<int64_t>& output_shape() const override {
    return output_shape_;
  }
  int64_t input_sample_size() const override { return input_size_; }
  int64_t output_sample_size() const override { return output_size_; }
  const std::vector<ParameterInfo>& parameter_infos() const override {
    return infos_;
  }
  int64_t parameter_bytes() const override { return parameter_bytes_; }
  Precision precision() const override { return options_.precision; }

  std::shared_ptr<const ParameterSnapshot> snapshot() const override;
  absl::StatusOr<std::shared_ptr<const ParameterSnapshot>> Update(
      const std::vector<ParameterUpdate>& updates,
      std::optional<uint64_t> expected_version,
      const UpdateCommitHook& commit) override;
  absl::StatusOr<std::shared_ptr<const ParameterSnapshot>> Update(
      std::vector<ParameterUpdate>&& updates,
      std::optional<uint64_t> expected_version,
      const UpdateCommitHook& commit) override;
  absl::Status Rebase(std::vector<DenseTensor> values,
                      uint64_t version) override;
  absl::StatusOr<CheckedMasks> CheckMasks(MaskMap masks,
                                          int64_t rows) const override;
  using Model::Forward;
  absl::Status Forward(const ParameterSnapshot& snapshot, const float* input,
                       int64_t batch, absl::Span<const ForwardSegment> segments,
                       float* output, int threads) const override;
  absl::Status Warmup(int64_t max_batch) const override;
  int64_t ForwardScratchBytes(int64_t batch) const override;
  int64_t DerivedWeightBytes(
      const std::vector<bool>& changed_params) const override;
  int64_t max_layer_input_size() const override {
    return max_layer_input_size_;
  }

 private:
  SequentialModel(const EngineOptions& options, Shape input_shape,
                  std::vector<std::unique_ptr<Layer>> layers);

  // Validates `spec` and builds the layers; checks the parameter byte limit
  // before any parameter is allocated.
  static absl::StatusOr<std::unique_ptr<SequentialModel>> Build(
      const brainserve::v1::ModelSpec& spec, const EngineOptions& options);
  // Builds the first snapshot from `values` and makes it current.
  absl::Status Publish(uint64_t version, std::vector<DenseTensor> values);
  // INVALID_ARGUMENT naming the parameter unless `values` match infos_.
  absl::Status CheckValues(const std::vector<DenseTensor>& values) const;

  // Parameter values, one shared immutable tensor each (copy-on-write).
  using Values = std::vector<std::shared_ptr<const DenseTensor>>;

  // The snapshot for `values`: layers with a parameter flagged in
  // `changed_params` (all layers when `previous` is null) get freshly
  // derived weights, the others share `previous`'s. INTERNAL on a oneDNN
  // failure.
  absl::StatusOr<std::shared_ptr<const SnapshotImpl>> BuildSnapshot(
      uint64_t version, Values values, const SnapshotImpl* previous,
      const std::vector<bool>& changed_params) const;
  std::shared_ptr<const SnapshotImpl> current() const;
  // Both Update() overloads; `movable` is the callers' updates when their
  // REPLACE values may be moved from, else null.
  absl::StatusOr<std::shared_ptr<const ParameterSnapshot>> UpdateImpl(
      const std::vector<ParameterUpdate>& updates,
      std::vector<ParameterUpdate>* movable,
      std::optional<uint64_t> expected_version, const UpdateCommitHook& commit);
  // Applies updates[i] to `values` (a new tensor replaces the parameter's;
  // its REPLACE value moved out of `movable` if not null); flags the
  // parameter in `changed_params`.
  absl::Status ApplyUpdate(size_t i, const ParameterUpdate& update,
                           ParameterUpdate* movable, Values& values,
                           std::vector<bool>& changed_params) const;
  // One pass over `rows` samples starting at batch row `row0`; `segments`
  // as in Forward() (empty: no masks).
  void RunPass(const SnapshotImpl& snapshot, const float* input, int64_t row0,
               int64_t rows, absl::Span<const ForwardSegment> segments,
               float* output, Workspace& workspace) const;
  // The mask rows [row0, row0 + rows) of layer `index` for a pass, from the
  // segments' masks (all-ones rows where a segment has none) into the
  // workspace; nullptr if no segment has a mask for the layer.
  const float* PassMask(size_t index, int64_t row0, int64_t rows,
                        absl::Span<const ForwardSegment> segments,
                        Workspace& workspace) const;

  const uint64_t id_;
  const EngineOptions options_;
  const Shape input_shape_;
  Shape output_shape_;
  int64_t input_size_ = 0;
  int64_t output_size_ = 0;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<size_t> steps_;        // indices of the layers that compute
  int64_t max_activation_size_ = 0;  // floats per sample between steps
  int64_t max_layer_input_size_ = 0;  // floats per sample into any layer
  int64_t max_scratch_per_row_ = 0;   // Layer::scratch_floats_per_row() max
  absl::flat_hash_map<std::string, size_t> layer_by_name_;
  std::vector<ParameterInfo> infos_;
  std::vector<size_t> param_layer_;        // parameter -> layer index
  std::vector<size_t> layer_first_param_;  // layer -> first parameter
  std::shared_ptr<const ParameterIndex> index_;
  int64_t parameter_bytes_ = 0;

  mutable WorkspacePool workspaces_;
  absl::Mutex update_mu_;  // serializes Update()
  mutable absl::Mutex snapshot_mu_;
  std::shared_ptr<const SnapshotImpl> current_ ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_SEQUENTIAL_MODEL_H_
