// LayerNorm statistics masks supplied with a Forward call: validation
// against [batch, *layer_input] (numpy broadcasting, trailing-aligned) and
// materialization of the rows of one pass. Pure functions; thread-safe.
#ifndef BRAINSERVE_ENGINE_FORWARD_MASK_H_
#define BRAINSERVE_ENGINE_FORWARD_MASK_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/dense_tensor.h"
#include "engine/shape.h"

namespace brainserve::engine {

// [batch, *sample_shape].
Shape BatchedShape(int64_t batch, const Shape& sample_shape);

// INVALID_ARGUMENT (naming masks["<layer>"]) if `mask` is inconsistent
// (negative dims, data size != element count) or does not broadcast to
// [batch, *sample_shape].
absl::Status CheckMaskShape(absl::string_view layer, const DenseTensor& mask,
                            int64_t batch, const Shape& sample_shape);

// A checked mask, read through broadcast strides over [batch, *sample].
struct MaskView {
  const DenseTensor* tensor = nullptr;
  std::vector<int64_t> strides;  // one per dim of [batch, *sample]
};

MaskView MakeMaskView(const DenseTensor& mask, int64_t batch,
                      const Shape& sample_shape);

// Writes rows [row0, row0 + rows) of the broadcast mask, densely, to
// out[rows, sample].
void MaterializeMaskRows(const MaskView& view, const Shape& sample_shape,
                         int64_t row0, int64_t rows, float* out);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_FORWARD_MASK_H_
