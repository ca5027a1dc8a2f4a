// Weight derivations computed once per parameter version (never per
// forward): weight standardization, |W| * sign, and broadcast masks.
// Pure functions over row-major float32 arrays; thread-safe.
#ifndef BRAINSERVE_ENGINE_WEIGHT_TRANSFORMS_H_
#define BRAINSERVE_ENGINE_WEIGHT_TRANSFORMS_H_

#include <cstdint>

namespace brainserve::engine {

// brainstate's weight_standardization over a [rows, cols] view whose last
// axis is the output axis (rows = product of all other axes = N):
//   mean_j = sum_i w[i,j] / N;  var_j = sum_i (w[i,j] - mean_j)^2 / N
//   s_j = gain_j * rsqrt(max(N * var_j, eps))   (gain_j = 1 without gain)
//   out[i,j] = (w[i,j] * s_j - mean_j * s_j) * factor[i,j]
// (the factor, a w_mask broadcast to [rows, cols], is skipped when null).
// The statistics are accumulated in double, row by row, and rounded to
// float32, so they are at least as accurate as JAX's float32 reductions.
//
// Three streaming passes (sum, squared deviations, output) vectorized across
// columns (AVX-512 / AVX2 chosen at run time), so every column accumulates
// in the same order whatever the ISA: results are bitwise the same on every
// CPU. Large weights are split by column blocks over the calling thread's
// OpenMP team (same results). `out` may alias `w`.
void WeightStandardize(const float* w, int64_t rows, int64_t cols, float eps,
                       const float* gain, const float* factor, float* out);

// out[i] = data[i] * factor[i] for i < count (the factor already broadcast).
// `out` may alias `data`.
void Multiply(const float* data, const float* factor, int64_t count,
              float* out);

// out[i] = |data[i]|. `out` may alias `data`.
void Abs(const float* data, int64_t count, float* out);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_WEIGHT_TRANSFORMS_H_
