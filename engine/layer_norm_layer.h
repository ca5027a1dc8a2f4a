// LayerNorm (layer-semantics.md 7): validation of the spec (axes resolved as
// brainstate does: reduction_axes against the batched rank, feature_axes
// against the per-sample rank), the scale / bias parameters of the feature
// shape, and the forward through LayerNormKernel with an optional
// statistics mask supplied per Forward call.
#ifndef BRAINSERVE_ENGINE_LAYER_NORM_LAYER_H_
#define BRAINSERVE_ENGINE_LAYER_NORM_LAYER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/layer.h"

namespace brainserve::engine {

// INVALID_ARGUMENT naming `site` and the field for axes out of range or
// duplicated, a reduction over the batch axis (rows must stay independent),
// a bad epsilon, or a bad initializer. RESOURCE_EXHAUSTED, before anything
// sample-sized is allocated, if the layer's tables and derived weights
// (derived_weight_bytes()) exceed options.max_table_bytes.
absl::StatusOr<std::unique_ptr<Layer>> BuildLayerNorm(
    const brainserve::v1::LayerNormSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& options);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_LAYER_NORM_LAYER_H_
