// Deterministic, counter-based random numbers for parameter initialization.
//
// Every parameter gets its own stream, keyed by (model seed, layer index,
// parameter name); element i of a stream is a pure function of (key, i), so
// the values do not depend on initialization order, threads or platform
// (up to libm's erfc in the last bit). This does NOT reproduce JAX's random
// bits (threefry2x32 plus brainstate's global key splitting): brainserve
// reproduces the distributions, and trained weights are loaded explicitly.
#ifndef BRAINSERVE_ENGINE_STATELESS_RANDOM_H_
#define BRAINSERVE_ENGINE_STATELESS_RANDOM_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace brainserve::engine {

// Key of the stream for parameter `param_name` of layer `layer_index`.
uint64_t DeriveStreamKey(uint64_t seed, int64_t layer_index,
                         absl::string_view param_name);

// 64 random bits: SplitMix64's finalizer applied to key + (counter+1)*phi.
uint64_t RandomBits(uint64_t key, uint64_t counter);

// A double uniform on the open interval (0, 1), 53 bits of resolution.
double RandomUniformOpen(uint64_t key, uint64_t counter);

// The standard normal quantile Phi^-1(p) for p in (0, 1), accurate to about
// 1e-15 (Acklam's rational approximation plus one Halley step on erfc).
double StandardNormalQuantile(double p);

// A standard normal truncated to (-2, 2), by the inverse-CDF method that
// brainstate uses: Phi^-1(Phi(-2) + u * (Phi(2) - Phi(-2))).
double TruncatedStandardNormal(uint64_t key, uint64_t counter);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_STATELESS_RANDOM_H_
