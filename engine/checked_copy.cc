#include "engine/checked_copy.h"

#include <cstring>

namespace brainserve::engine {
namespace {

// A float is NaN or infinite exactly when all its exponent bits are set, so
// the maximum of (bits & exponent) over a range equals the exponent mask
// iff some element is not finite. Integer max/and vectorize cleanly.
constexpr uint32_t kExponentMask = 0x7f800000u;

inline uint32_t ExponentBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits & kExponentMask;
}

inline uint32_t Max(uint32_t a, uint32_t b) { return a > b ? a : b; }

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) bool AllFinite(
    const float* data, int64_t count) {
  uint32_t worst = 0;
  for (int64_t i = 0; i < count; ++i) worst = Max(worst, ExponentBits(data[i]));
  return worst != kExponentMask;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) bool CopyIfFinite(
    const float* src, int64_t count, float* dst) {
  uint32_t worst = 0;
  for (int64_t i = 0; i < count; ++i) {
    const float value = src[i];
    dst[i] = value;
    worst = Max(worst, ExponentBits(value));
  }
  return worst != kExponentMask;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) bool AddIfFinite(
    const float* a, const float* b, int64_t count, float* out) {
  uint32_t worst = 0;
  for (int64_t i = 0; i < count; ++i) {
    const float delta = b[i];
    const float sum = a[i] + delta;
    out[i] = sum;
    worst = Max(worst, Max(ExponentBits(delta), ExponentBits(sum)));
  }
  return worst != kExponentMask;
}

}  // namespace brainserve::engine
