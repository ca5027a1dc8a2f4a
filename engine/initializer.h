// Parameter initializers (brainstate.nn.init semantics, layer-semantics.md 8):
// KaimingNormal / XavierNormal as truncated normals at +-2 sigma' with
// sigma' = sqrt(variance) / 0.8796256610342398, fans that include the conv
// receptive field, Constant, and explicit tensors. Thread-safe pure functions.
#ifndef BRAINSERVE_ENGINE_INITIALIZER_H_
#define BRAINSERVE_ENGINE_INITIALIZER_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/dense_tensor.h"
#include "engine/layer_site.h"
#include "engine/shape.h"

namespace brainserve::engine {

// The standard deviation of N(0, 1) truncated to [-2, 2].
inline constexpr double kTruncatedNormalStddev = 0.87962566103423978;

// A resolved initializer for one parameter.
struct ParamInit {
  enum class Kind { kVarianceScaling, kConstant, kTensor };
  enum class FanMode { kFanIn, kFanAvg };

  Kind kind = Kind::kConstant;
  double scale = 1.0;              // kVarianceScaling
  FanMode mode = FanMode::kFanIn;  // kVarianceScaling
  float value = 0.0f;              // kConstant
  DenseTensor tensor;              // kTensor: exactly the parameter's shape

  static ParamInit KaimingNormal(double scale = 2.0);
  static ParamInit XavierNormal(double scale = 1.0);
  static ParamInit Constant(float value);
};

// What a parameter accepts.
struct ParamInitRules {
  // Used when the spec leaves the initializer unset; nullopt means the
  // parameter is absent by default (ScaledWSConv1d's bias).
  std::optional<ParamInit> default_init;
  // Whether `none` (parameter absent) is allowed: biases and LayerNorm
  // scale/bias, never weights.
  bool allow_none = false;
};

// Validates `init` (nullptr when the spec field is unset) for a parameter of
// `shape` and resolves it; nullopt means "no such parameter". Errors are
// INVALID_ARGUMENT naming `site` and `field` (e.g. "w_init").
absl::StatusOr<std::optional<ParamInit>> ResolveInitializer(
    const brainserve::v1::Initializer* init, const ParamInitRules& rules,
    absl::Span<const int64_t> shape, const LayerSite& site,
    absl::string_view field);

// brainstate's fans (in_axis = -2, out_axis = -1, receptive field = the
// product of the other dims). Requires rank >= 2.
struct Fans {
  double fan_in = 0;
  double fan_out = 0;
};
Fans ComputeFans(absl::Span<const int64_t> shape);

// sigma' of a kVarianceScaling initializer for `shape`, in float32 as
// brainstate computes it; every sample lies strictly inside +-2 sigma'.
float TruncatedNormalSigma(const ParamInit& init,
                           absl::Span<const int64_t> shape);

// The initial value of a parameter. Deterministic in (seed, layer_index,
// param_name); see stateless_random.h.
DenseTensor InitializeParameter(const ParamInit& init,
                                absl::Span<const int64_t> shape, uint64_t seed,
                                int64_t layer_index,
                                absl::string_view param_name);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_INITIALIZER_H_
