// ScaledWSConv1d (layer-semantics.md 6): validation of the spec, shape
// inference, parameters (weight (K, Cin/G, Cout), bias (1, Cout) or
// (1, Cout, 1) when b_init is given, gain (1, 1, Cout) with ws_gain) and the
// forward: W_hat = WS(W, eps, gain) * w_mask, computed once per version, then
// a Conv1dKernel.
#ifndef BRAINSERVE_ENGINE_CONV1D_LAYER_H_
#define BRAINSERVE_ENGINE_CONV1D_LAYER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/layer.h"

namespace brainserve::engine {

// INVALID_ARGUMENT naming `site` and the field for every illegal option:
// input not rank 2, non-positive sizes, groups not dividing Cin or Cout, a
// padding mode other than "SAME" / "VALID" / "" (explicit), SAME or VALID
// with lhs_dilation > 1, padding that makes the input length negative, an
// empty output, and bad masks or initializers. RESOURCE_EXHAUSTED if its
// w_mask, broadcast to the weight, would take more than
// options.max_table_bytes.
absl::StatusOr<std::unique_ptr<Layer>> BuildScaledWSConv1d(
    const brainserve::v1::ScaledWSConv1dSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& options);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_CONV1D_LAYER_H_
