// LayerNorm statistics and normalization (layer-semantics.md 7.2) over any
// set of per-sample axes, with an optional statistics mask:
//   mean = S(x) / cnt;  var = max(0, S(x^2)/cnt - mean^2)   (fast variance)
//                       var = S((x - mean)^2) / cnt          (two-pass)
//   y = (x - mean) * rsqrt(var + eps); y = y * scale; y = y + bias
// where S sums the group's elements whose mask is non-zero (excluded, not
// multiplied: NaN at a masked-out position does not leak) and cnt counts
// them (an empty group gives NaN, as in brainstate).
//
// Why not oneDNN's layer_normalization: it cannot express the one-pass
// clamped variance (brainstate's default), the statistics mask, or a
// reduction over several non-trailing axes, and it folds the scale into the
// rsqrt factor (different rounding from brainstate's separate multiply). A
// single kernel for every configuration also makes an all-true mask give
// bitwise the same output as no mask, so the batcher can mix masked and
// unmasked requests in one batch without changing any row's result.
//
// Sums use 16 fixed lanes combined by a fixed tree: the summation order
// depends only on the group size, never on the batch, alignment or threads.
// With trailing reduced axes, the (row, group) pairs of a pass are shared
// among the calling thread's OpenMP team when it has more than one thread
// and the pass is large enough; each group is still computed by one thread
// in the same order, so results do not depend on the thread count.
// A following activation can be fused: it is applied to each group's
// output while it is in cache, with the same code as the standalone
// activation layer (bitwise the same result, one sweep less).
// Immutable after construction; Run() is thread-safe.
#ifndef BRAINSERVE_ENGINE_LAYER_NORM_KERNEL_H_
#define BRAINSERVE_ENGINE_LAYER_NORM_KERNEL_H_

#include <cstdint>
#include <vector>

#include "engine/activation.h"
#include "engine/layer_norm_group.h"
#include "engine/shape.h"
#include "engine/workspace.h"

namespace brainserve::engine {

class LayerNormKernel {
 public:
  // kBest: the fastest group code this CPU runs (AVX-512F when present);
  // kPortable: the portable code. Both give the same bits
  // (layer_norm_group.h); tests compare them.
  enum class Implementation { kBest, kPortable };

  // `reduced_axes`: distinct per-sample axes (0-based, excluding the batch
  // axis), in any order.
  LayerNormKernel(const Shape& sample_shape, std::vector<int64_t> reduced_axes,
                  float epsilon, bool fast_variance,
                  Implementation implementation = Implementation::kBest);

  // Reorders a per-sample array (sample_shape, row-major) into the kernel's
  // group order (the layout `scale` / `bias` of Run() use).
  std::vector<float> ToGroupOrder(const std::vector<float>& per_sample) const;

  // dst[rows, sample] from src[rows, sample]; `mask` is dense in the same
  // layout or nullptr; `scale` / `bias` are in group order or nullptr;
  // `activation` (or nullptr) is applied to the result.
  void Run(const float* src, float* dst, const float* mask, const float* scale,
           const float* bias, const Activation* activation, int64_t rows,
           Workspace& workspace) const;

 private:
  const int64_t sample_size_;
  int64_t group_size_ = 1;
  int64_t groups_ = 1;
  bool contiguous_ = true;  // the reduced axes are the trailing ones
  // Non-contiguous only: sample offset of element e of group g at
  // [g * group_size + e].
  std::vector<int64_t> order_;
  const float epsilon_;
  const bool fast_variance_;
  const layer_norm::GroupFn group_fn_;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_LAYER_NORM_KERNEL_H_
