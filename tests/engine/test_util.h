// Small helpers shared by the engine tests.
#ifndef BRAINSERVE_TESTS_ENGINE_TEST_UTIL_H_
#define BRAINSERVE_TESTS_ENGINE_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/model.h"

namespace brainserve::engine::testing {

// n values uniform in [lo, hi).
std::vector<float> Random(int64_t n, std::mt19937& rng, float lo = -2,
                          float hi = 2);

// Adds a failure (naming `what` and the element) for each element outside
// |got - want| <= 1e-5 + 1e-4 * |want|; where `want` is NaN, `got` must be.
void ExpectClose(const std::vector<float>& got, const std::vector<double>& want,
                 const std::string& what);

// Forward of `batch` samples with the current snapshot; expects success.
std::vector<float> RunForward(const Model& model, const std::vector<float>& x,
                              int64_t batch, const MaskMap& masks = {});

}  // namespace brainserve::engine::testing

#endif  // BRAINSERVE_TESTS_ENGINE_TEST_UTIL_H_
