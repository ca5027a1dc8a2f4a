#include "engine/stateless_random.h"

#include <cmath>

namespace brainserve::engine {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a: a portable (unlike std::hash) string hash.
uint64_t HashName(absl::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

uint64_t DeriveStreamKey(uint64_t seed, int64_t layer_index,
                         absl::string_view param_name) {
  uint64_t key = Mix(seed + kGolden);
  key = Mix(key ^ (static_cast<uint64_t>(layer_index) + 1) * kGolden);
  return Mix(key ^ HashName(param_name));
}

uint64_t RandomBits(uint64_t key, uint64_t counter) {
  return Mix(key + (counter + 1) * kGolden);
}

double RandomUniformOpen(uint64_t key, uint64_t counter) {
  const uint64_t bits53 = RandomBits(key, counter) >> 11;
  return (static_cast<double>(bits53) + 0.5) * 0x1.0p-53;
}

double StandardNormalQuantile(double p) {
  // Acklam's algorithm: relative error < 1.15e-9 before refinement.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) *
        q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the exact CDF brings it to full precision.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double TruncatedStandardNormal(uint64_t key, uint64_t counter) {
  static const double kLowerCdf = 0.5 * std::erfc(2.0 / std::sqrt(2.0));
  static const double kMass = 1.0 - 2.0 * kLowerCdf;
  const double u = RandomUniformOpen(key, counter);
  const double t = StandardNormalQuantile(kLowerCdf + u * kMass);
  // Keep the sample strictly inside (-2, 2) despite rounding.
  constexpr double kBound = 1.9999999999999998;
  return t > kBound ? kBound : (t < -kBound ? -kBound : t);
}

}  // namespace brainserve::engine
