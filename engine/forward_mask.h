// LayerNorm statistics masks supplied with a Forward call. A call's masks are
// checked once, by Model::CheckMasks(), against [rows, *layer_input] (numpy
// broadcasting, trailing-aligned); Forward() then reads them through their
// broadcast strides, one pass's rows at a time, without expanding them.
// Immutable once built; thread-safe.
#ifndef BRAINSERVE_ENGINE_FORWARD_MASK_H_
#define BRAINSERVE_ENGINE_FORWARD_MASK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/dense_tensor.h"
#include "engine/shape.h"

namespace brainserve::engine {

// layer_norm layer name -> statistics mask (non-zero = included), as a
// caller supplies them. Each mask must broadcast to [rows, *layer_input].
using MaskMap = absl::flat_hash_map<std::string, DenseTensor>;

// [batch, *sample_shape].
Shape BatchedShape(int64_t batch, const Shape& sample_shape);

// INVALID_ARGUMENT (naming masks["<layer>"]) if `mask` is inconsistent
// (negative dims, data size != element count) or does not broadcast to
// [batch, *sample_shape].
absl::Status CheckMaskShape(absl::string_view layer, const DenseTensor& mask,
                            int64_t batch, const Shape& sample_shape);

// One call's masks, checked for one model and a number of rows. Only
// Model::CheckMasks() makes non-empty ones; Forward() trusts them (it checks
// only that they belong to its model and cover the rows they are given for).
class CheckedMasks {
 public:
  // One layer's mask, as the caller sent it, and its strides for reading it
  // as [rows, *layer_input] (0 along broadcast dims).
  struct LayerMask {
    size_t layer = 0;  // index among the model's layers
    DenseTensor values;
    std::vector<int64_t> strides;  // one per dim of [rows, *layer_input]
  };

  // No masks.
  CheckedMasks() = default;

  bool empty() const { return layers_.empty(); }
  size_t size() const { return layers_.size(); }
  // Rows the masks were checked for (0 when empty).
  int64_t rows() const { return rows_; }
  // The model that checked them (0 when empty).
  uint64_t model_id() const { return model_id_; }
  // The mask of the layer at `layer`, or nullptr.
  const LayerMask* Find(size_t layer) const;

 private:
  friend class SequentialModel;
  CheckedMasks(uint64_t model_id, int64_t rows, std::vector<LayerMask> layers)
      : model_id_(model_id), rows_(rows), layers_(std::move(layers)) {}

  uint64_t model_id_ = 0;
  int64_t rows_ = 0;
  std::vector<LayerMask> layers_;  // ascending `layer`
};

// Writes rows [row0, row0 + rows) of `mask` (read as [*, *sample_shape]),
// densely, to out[rows, sample]. Allocates nothing for sample ranks up to 8.
void MaterializeMaskRows(const CheckedMasks::LayerMask& mask,
                         const Shape& sample_shape, int64_t row0, int64_t rows,
                         float* out);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_FORWARD_MASK_H_
