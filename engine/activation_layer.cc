#include "engine/activation_layer.h"

#include <cstring>

namespace brainserve::engine {

void ActivationLayer::Forward(const LayerWeights* weights, const float* src,
                              float* dst, const PassContext& context) const {
  const int64_t count = context.rows * input_size();
  std::memcpy(dst, src, sizeof(float) * count);
  activation_.ApplyInPlace(dst, count);
}

absl::StatusOr<std::unique_ptr<ActivationLayer>> BuildActivation(
    const brainserve::v1::ActivationSpec& spec, const LayerSite& site,
    const Shape& input_shape) {
  absl::StatusOr<Activation> activation = Activation::FromSpec(spec, site);
  if (!activation.ok()) return activation.status();
  return std::make_unique<ActivationLayer>(site, input_shape, *activation);
}

}  // namespace brainserve::engine
