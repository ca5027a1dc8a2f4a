// One LayerNorm group (layer_norm_kernel.h): the statistics of n elements
// (optionally masked) and their normalization, in two implementations that
// give the same bits: a portable one and an AVX-512F one. The AVX-512 code
// performs the portable code's operations in the same order (lane l of one
// zmm register is the portable code's lanes[l]; the final tree is the same;
// no contraction), so the choice never changes a result.
#ifndef BRAINSERVE_ENGINE_LAYER_NORM_GROUP_H_
#define BRAINSERVE_ENGINE_LAYER_NORM_GROUP_H_

#include <cstdint>

namespace brainserve::engine::layer_norm {

struct GroupParams {
  float epsilon;
  bool fast_variance;
};

// y[0, n) from x[0, n): statistics over the elements whose mask `m` is
// non-zero (all when `m` is null), every element normalized; `scale` and
// `bias` (or null) applied as separate operations.
using GroupFn = void (*)(const float* x, const float* m, int64_t n,
                         const GroupParams& p, const float* scale,
                         const float* bias, float* y);

void NormalizeGroupPortable(const float* x, const float* m, int64_t n,
                            const GroupParams& p, const float* scale,
                            const float* bias, float* y);
// Requires a CPU with AVX-512F.
void NormalizeGroupAvx512(const float* x, const float* m, int64_t n,
                          const GroupParams& p, const float* scale,
                          const float* bias, float* y);

// The fastest implementation this CPU runs (checked once, at run time).
GroupFn BestGroupFn();

}  // namespace brainserve::engine::layer_norm

#endif  // BRAINSERVE_ENGINE_LAYER_NORM_GROUP_H_
