// The three dense layers, which differ only in how the effective weight is
// derived from the parameters (layer-semantics.md 3-5):
//   linear            W_eff = W * w_mask                 (+ bias)
//   signed_w_linear   W_eff = |W| (* w_sign)             (no bias)
//   scaled_ws_linear  W_eff = WS(W, eps, gain) * w_mask  (+ bias)
// and then all compute y = x . W_eff (+ b) over the last input axis with a
// MatmulKernel (a following activation fused as a post-op).
#ifndef BRAINSERVE_ENGINE_DENSE_LAYER_H_
#define BRAINSERVE_ENGINE_DENSE_LAYER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/layer.h"
#include "engine/layer_site.h"
#include "engine/shape.h"

namespace brainserve::engine {

// Each validates its spec against `input_shape` (the per-sample input) and
// returns an uncompiled layer, or INVALID_ARGUMENT naming `site` and field;
// RESOURCE_EXHAUSTED if its w_mask / w_sign, broadcast to the weight, would
// take more than options.max_table_bytes.
absl::StatusOr<std::unique_ptr<Layer>> BuildLinear(
    const brainserve::v1::LinearSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& options);
absl::StatusOr<std::unique_ptr<Layer>> BuildSignedWLinear(
    const brainserve::v1::SignedWLinearSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& options);
absl::StatusOr<std::unique_ptr<Layer>> BuildScaledWSLinear(
    const brainserve::v1::ScaledWSLinearSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& options);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_DENSE_LAYER_H_
