// Single-pass copies and sums with the finiteness check folded in, for
// parameter updates: each reads its input once, instead of a check pass
// followed by a copy pass. Vectorized (AVX-512 / AVX2, chosen at run time;
// plain code otherwise). Pure functions; thread-safe.
#ifndef BRAINSERVE_ENGINE_CHECKED_COPY_H_
#define BRAINSERVE_ENGINE_CHECKED_COPY_H_

#include <cstdint>

namespace brainserve::engine {

// True if no element of data[0, count) is NaN or infinite.
bool AllFinite(const float* data, int64_t count);

// dst[i] = src[i]; true if every element is finite. dst is written in full
// either way (the caller discards it on false).
bool CopyIfFinite(const float* src, int64_t count, float* dst);

// out[i] = a[i] + b[i] (float32, in this order); true if every b[i] and
// every sum is finite. `out` may alias `a`. Written in full either way.
bool AddIfFinite(const float* a, const float* b, int64_t count, float* out);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_CHECKED_COPY_H_
