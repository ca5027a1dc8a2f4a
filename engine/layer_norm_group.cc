#include "engine/layer_norm_group.h"

// GCC 12 warns that _mm512_castps512_ps256 may use an uninitialized value:
// its header implements the cast as an extract whose pass-through operand
// is deliberately undefined (and masked off). A false positive, silenced
// for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cmath>

namespace brainserve::engine::layer_norm {
namespace {

constexpr int kLanes = 16;

// Lanes combined by a fixed tree: lanes[l] += lanes[l + w] for w = 8, 4, 2, 1.
float ReduceLanes(float* lanes) {
  for (int width = kLanes / 2; width >= 1; width /= 2) {
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  }
  return lanes[0];
}

template <bool kMasked>
inline float Take(const float* x, const float* m, int64_t i) {
  if constexpr (kMasked) {
    return m[i] != 0.0f ? x[i] : 0.0f;
  } else {
    return x[i];
  }
}

template <bool kMasked>
void Portable(const float* x, const float* m, int64_t n, const GroupParams& p,
              const float* scale, const float* bias, float* y) {
  float sum[kLanes] = {};
  float squares[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float v = Take<kMasked>(x, m, i + l);
      sum[l] += v;
      squares[l] += v * v;
    }
  }
  for (int l = 0; i < n; ++i, ++l) {
    const float v = Take<kMasked>(x, m, i);
    sum[l] += v;
    squares[l] += v * v;
  }
  int64_t count = n;
  if constexpr (kMasked) {
    count = 0;
    for (int64_t j = 0; j < n; ++j) count += m[j] != 0.0f;
  }
  const float cnt = static_cast<float>(count);
  const float mean = ReduceLanes(sum) / cnt;
  float var;
  if (p.fast_variance) {
    const float mean_sq = ReduceLanes(squares) / cnt;
    var = std::fmax(0.0f, mean_sq - mean * mean);
  } else {
    float dev[kLanes] = {};
    i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        const float d = Take<kMasked>(x, m, i + l) - mean;
        if constexpr (kMasked) {
          dev[l] += m[i + l] != 0.0f ? d * d : 0.0f;
        } else {
          dev[l] += d * d;
        }
      }
    }
    for (int l = 0; i < n; ++i, ++l) {
      const float d = Take<kMasked>(x, m, i) - mean;
      if constexpr (kMasked) {
        dev[l] += m[i] != 0.0f ? d * d : 0.0f;
      } else {
        dev[l] += d * d;
      }
    }
    var = ReduceLanes(dev) / cnt;
  }
  const float inv = 1.0f / std::sqrt(var + p.epsilon);
  // Every element is normalized, masked or not; scale and bias are separate
  // operations, as in brainstate.
  for (int64_t j = 0; j < n; ++j) {
    float v = (x[j] - mean) * inv;
    if (scale != nullptr) v = v * scale[j];
    if (bias != nullptr) v = v + bias[j];
    y[j] = v;
  }
}

// ---- AVX-512F: the same operations, lane for lane -------------------------

#define BRAINSERVE_AVX512 __attribute__((target("avx512f")))

BRAINSERVE_AVX512 inline float ReduceLanes512(__m512 v) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi =
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  const __m256 w8 = _mm256_add_ps(lo, hi);  // lanes[l] += lanes[l + 8]
  const __m128 w4 = _mm_add_ps(_mm256_castps256_ps128(w8),
                               _mm256_extractf128_ps(w8, 1));   // + 4
  const __m128 w2 = _mm_add_ps(w4, _mm_movehl_ps(w4, w4));      // + 2
  const __m128 w1 = _mm_add_ss(w2, _mm_shuffle_ps(w2, w2, 1));  // + 1
  return _mm_cvtss_f32(w1);
}

// The `valid` elements at x + i, zero where the mask excludes them (and
// where not valid); `keep` receives the included ones.
template <bool kMasked>
BRAINSERVE_AVX512 inline __m512 Take512(const float* x, const float* m,
                                        int64_t i, __mmask16 valid,
                                        __mmask16* keep) {
  const __m512 v = _mm512_maskz_loadu_ps(valid, x + i);
  if constexpr (kMasked) {
    // m != 0 (unordered: a NaN mask element includes, as in the portable
    // code's comparison).
    *keep = _mm512_mask_cmp_ps_mask(valid, _mm512_maskz_loadu_ps(valid, m + i),
                                    _mm512_setzero_ps(), _CMP_NEQ_UQ);
    return _mm512_maskz_mov_ps(*keep, v);
  } else {
    *keep = valid;
    return v;
  }
}

template <bool kMasked>
BRAINSERVE_AVX512 void Avx512(const float* x, const float* m, int64_t n,
                              const GroupParams& p, const float* scale,
                              const float* bias, float* y) {
  __m512 sum = _mm512_setzero_ps();
  __m512 squares = _mm512_setzero_ps();
  int64_t count = 0;
  __mmask16 keep;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m512 v = Take512<kMasked>(x, m, i, 0xFFFF, &keep);
    sum = _mm512_add_ps(sum, v);
    squares = _mm512_add_ps(squares, _mm512_mul_ps(v, v));
    if constexpr (kMasked) count += __builtin_popcount(keep);
  }
  const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1u);
  if (i < n) {  // lanes 0 .. n - i - 1, the others untouched
    const __m512 v = Take512<kMasked>(x, m, i, tail, &keep);
    sum = _mm512_mask_add_ps(sum, tail, sum, v);
    squares = _mm512_mask_add_ps(squares, tail, squares, _mm512_mul_ps(v, v));
    if constexpr (kMasked) count += __builtin_popcount(keep);
  }
  if constexpr (!kMasked) count = n;
  const float cnt = static_cast<float>(count);
  const float mean = ReduceLanes512(sum) / cnt;
  float var;
  if (p.fast_variance) {
    const float mean_sq = ReduceLanes512(squares) / cnt;
    var = std::fmax(0.0f, mean_sq - mean * mean);
  } else {
    const __m512 mean_v = _mm512_set1_ps(mean);
    __m512 dev = _mm512_setzero_ps();
    for (i = 0; i + kLanes <= n; i += kLanes) {
      const __m512 d =
          _mm512_sub_ps(Take512<kMasked>(x, m, i, 0xFFFF, &keep), mean_v);
      dev = _mm512_add_ps(dev, _mm512_maskz_mov_ps(keep, _mm512_mul_ps(d, d)));
    }
    if (i < n) {
      const __m512 d =
          _mm512_sub_ps(Take512<kMasked>(x, m, i, tail, &keep), mean_v);
      dev = _mm512_mask_add_ps(dev, tail, dev,
                               _mm512_maskz_mov_ps(keep, _mm512_mul_ps(d, d)));
    }
    var = ReduceLanes512(dev) / cnt;
  }
  const float inv = 1.0f / std::sqrt(var + p.epsilon);
  const __m512 mean_v = _mm512_set1_ps(mean);
  const __m512 inv_v = _mm512_set1_ps(inv);
  for (int64_t j = 0; j < n; j += kLanes) {
    const __mmask16 valid =
        n - j >= kLanes ? static_cast<__mmask16>(0xFFFF) : tail;
    __m512 v = _mm512_mul_ps(
        _mm512_sub_ps(_mm512_maskz_loadu_ps(valid, x + j), mean_v), inv_v);
    if (scale != nullptr) {
      v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(valid, scale + j));
    }
    if (bias != nullptr) {
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(valid, bias + j));
    }
    _mm512_mask_storeu_ps(y + j, valid, v);
  }
}

}  // namespace

void NormalizeGroupPortable(const float* x, const float* m, int64_t n,
                            const GroupParams& p, const float* scale,
                            const float* bias, float* y) {
  if (m != nullptr) {
    Portable<true>(x, m, n, p, scale, bias, y);
  } else {
    Portable<false>(x, nullptr, n, p, scale, bias, y);
  }
}

BRAINSERVE_AVX512 void NormalizeGroupAvx512(const float* x, const float* m,
                                            int64_t n, const GroupParams& p,
                                            const float* scale,
                                            const float* bias, float* y) {
  if (m != nullptr) {
    Avx512<true>(x, m, n, p, scale, bias, y);
  } else {
    Avx512<false>(x, nullptr, n, p, scale, bias, y);
  }
}

GroupFn BestGroupFn() {
  static const GroupFn best = __builtin_cpu_supports("avx512f")
                                  ? &NormalizeGroupAvx512
                                  : &NormalizeGroupPortable;
  return best;
}

}  // namespace brainserve::engine::layer_norm
