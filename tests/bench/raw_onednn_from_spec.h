// Translates a brainserve ModelSpec plus one ParameterSnapshot into the steps
// of a RawOnednnChain, computing the derived weights (weight standardization,
// |W|) itself, so the raw chain computes the same function as the engine with
// the same parameter values.
//
// Only the layer options the benchmark workloads use are supported (no masks
// or signs, groups = 1, no dilation, channels-last, LayerNorm over the last
// axis, ReLU); anything else is UNIMPLEMENTED. Stateless and thread-safe.
#ifndef BRAINSERVE_TESTS_BENCH_RAW_ONEDNN_FROM_SPEC_H_
#define BRAINSERVE_TESTS_BENCH_RAW_ONEDNN_FROM_SPEC_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/parameter_snapshot.h"
#include "tests/bench/raw_onednn_chain.h"

namespace brainserve::bench {

// brainstate's weight_standardization of `weight` (row-major, output axis
// last, `out_features` wide): per output column j over the other N elements,
// s_j = gain_j / sqrt(max(N * var_j, eps)) and w * s_j - mean_j * s_j
// (two-pass population variance). `gain` is empty or `out_features` long.
std::vector<float> StandardizeWeight(const std::vector<float>& weight,
                                     int64_t out_features,
                                     const std::vector<float>& gain, float eps);

// |W| elementwise (SignedWLinear without w_sign).
std::vector<float> AbsoluteWeight(const std::vector<float>& weight);

// The raw steps computing `spec` with `snapshot`'s parameters.
absl::StatusOr<std::vector<RawStep>> RawStepsFromSpec(
    const brainserve::v1::ModelSpec& spec,
    const brainserve::engine::ParameterSnapshot& snapshot);

}  // namespace brainserve::bench

#endif  // BRAINSERVE_TESTS_BENCH_RAW_ONEDNN_FROM_SPEC_H_
