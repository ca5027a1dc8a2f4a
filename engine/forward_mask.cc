#include "engine/forward_mask.h"

#include <algorithm>
#include <cstring>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace brainserve::engine {

Shape BatchedShape(int64_t batch, const Shape& sample_shape) {
  Shape shape;
  shape.reserve(sample_shape.size() + 1);
  shape.push_back(batch);
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return shape;
}

absl::Status CheckMaskShape(absl::string_view layer, const DenseTensor& mask,
                            int64_t batch, const Shape& sample_shape) {
  const std::string field = absl::StrCat("masks[\"", layer, "\"]");
  absl::StatusOr<int64_t> count = CheckedNumElements(mask.shape);
  if (!count.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: ", count.status().message()));
  }
  if (static_cast<int64_t>(mask.data.size()) != *count) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", mask.data.size(), " values for shape ",
                     ShapeToString(mask.shape)));
  }
  const Shape target = BatchedShape(batch, sample_shape);
  if (!BroadcastsTo(mask.shape, target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".shape: ", ShapeToString(mask.shape),
        " does not broadcast to the layer input ", ShapeToString(target)));
  }
  return absl::OkStatus();
}

const CheckedMasks::LayerMask* CheckedMasks::Find(size_t layer) const {
  for (const LayerMask& mask : layers_) {
    if (mask.layer == layer) return &mask;
  }
  return nullptr;
}

void MaterializeMaskRows(const CheckedMasks::LayerMask& mask,
                         const Shape& sample_shape, int64_t row0, int64_t rows,
                         float* out) {
  const int64_t sample_size = NumElements(sample_shape);
  const size_t rank = sample_shape.size();
  const std::vector<int64_t>& strides = mask.strides;
  const float* data = mask.values.data.data();
  // Whether one row of the mask is stored densely (no broadcast inside a
  // sample): then a row is one copy.
  bool dense_rows = true;
  for (int64_t d = static_cast<int64_t>(rank) - 1, want = 1; d >= 0; --d) {
    if (sample_shape[d] != 1 && strides[d + 1] != want) dense_rows = false;
    want *= sample_shape[d];
  }
  if (dense_rows) {
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(out + r * sample_size, data + (row0 + r) * strides[0],
                  sizeof(float) * sample_size);
    }
    return;
  }
  absl::InlinedVector<int64_t, 8> index(rank);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t src = (row0 + r) * strides[0];
    std::fill(index.begin(), index.end(), 0);
    float* dst = out + r * sample_size;
    for (int64_t i = 0; i < sample_size; ++i) {
      dst[i] = data[src];
      for (size_t d = rank; d-- > 0;) {
        const int64_t stride = strides[d + 1];
        ++index[d];
        src += stride;
        if (index[d] < sample_shape[d]) break;
        src -= stride * sample_shape[d];
        index[d] = 0;
      }
    }
  }
}

}  // namespace brainserve::engine
