// Parsing of the constructor-time weight factors (w_mask, w_sign): a Tensor
// that must broadcast to the weight, materialized once at build time.
#ifndef BRAINSERVE_ENGINE_WEIGHT_FACTOR_H_
#define BRAINSERVE_ENGINE_WEIGHT_FACTOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/tensor.pb.h"
#include "engine/layer_site.h"

namespace brainserve::engine {

// Decodes `tensor` (field `field` of the layer at `site`), checks that its
// values are finite and that its shape broadcasts to `weight_shape`, and
// returns it broadcast to `weight_shape`. INVALID_ARGUMENT otherwise.
// The broadcast factor is as large as the weight however small `tensor` is:
// if it would take more than `max_bytes` (> 0; 0 = no limit) the answer is
// RESOURCE_EXHAUSTED, before anything of that size is allocated.
absl::StatusOr<std::vector<float>> ParseWeightFactor(
    const brainserve::v1::Tensor& tensor, const LayerSite& site,
    absl::string_view field, absl::Span<const int64_t> weight_shape,
    int64_t max_bytes);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_WEIGHT_FACTOR_H_
