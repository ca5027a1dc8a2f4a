// A standalone elementwise activation layer (one not fused into the
// preceding matmul / convolution as a oneDNN post-op).
#ifndef BRAINSERVE_ENGINE_ACTIVATION_LAYER_H_
#define BRAINSERVE_ENGINE_ACTIVATION_LAYER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/activation.h"
#include "engine/layer.h"

namespace brainserve::engine {

class ActivationLayer final : public Layer {
 public:
  ActivationLayer(const LayerSite& site, const Shape& input_shape,
                  const Activation& activation)
      : Layer(site, input_shape, input_shape), activation_(activation) {}

  const Activation& activation() const { return activation_; }
  // Called when the previous layer absorbed this activation as a post-op.
  void MarkFused() { fused_ = true; }

  bool is_noop() const override { return fused_ || activation_.is_identity(); }
  void Forward(const LayerWeights* weights, const float* src, float* dst,
               const PassContext& context) const override;

 private:
  const Activation activation_;
  bool fused_ = false;
};

// INVALID_ARGUMENT naming `site` for an unknown function or a bad alpha.
absl::StatusOr<std::unique_ptr<ActivationLayer>> BuildActivation(
    const brainserve::v1::ActivationSpec& spec, const LayerSite& site,
    const Shape& input_shape);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_ACTIVATION_LAYER_H_
