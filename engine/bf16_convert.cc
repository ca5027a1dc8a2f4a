#include "engine/bf16_convert.h"

#include <immintrin.h>

#include <cstring>

namespace brainserve::engine {
namespace {

inline uint16_t ToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint32_t exponent = bits & 0x7f800000u;
  const uint32_t mantissa = bits & 0x007fffffu;
  if (exponent == 0x7f800000u && mantissa != 0) {  // NaN: keep, make quiet
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  }
  if (exponent == 0) {  // zero or denormal: a zero of the same sign
    return static_cast<uint16_t>((bits >> 16) & 0x8000u);
  }
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bf16"))) void FloatsToBf16Avx512(
    const float* src, int64_t count, uint16_t* dst) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m256bh packed = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
    std::memcpy(dst + i, &packed, sizeof(packed));
  }
  for (; i < count; ++i) dst[i] = ToBf16(src[i]);
}
#endif

using ConvertFn = void (*)(const float*, int64_t, uint16_t*);

ConvertFn BestConvert() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512bf16")) return FloatsToBf16Avx512;
#endif
  return FloatsToBf16Portable;
}

ConvertFn Convert() {
  static const ConvertFn convert = BestConvert();
  return convert;
}

}  // namespace

void FloatsToBf16Portable(const float* src, int64_t count, uint16_t* dst) {
  for (int64_t i = 0; i < count; ++i) dst[i] = ToBf16(src[i]);
}

void FloatsToBf16(const float* src, int64_t count, uint16_t* dst) {
  Convert()(src, count, dst);
}

bool Bf16ConvertIsVectorized() { return Convert() != FloatsToBf16Portable; }

float Bf16ToFloat(uint16_t value) {
  const uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

}  // namespace brainserve::engine
