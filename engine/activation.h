// Elementwise activation functions of ActivationSpec (jax.nn semantics):
//   RELU max(x, 0); GELU x*(1+erf(x/sqrt2))/2 (exact); GELU_TANH the tanh
//   approximation; SIGMOID 1/(1+exp(-x)); TANH; SILU x*sigmoid(x); SOFTPLUS
//   log(1+exp(x)) (stable form); LEAKY_RELU x>=0 ? x : alpha*x (alpha 0 ->
//   0.01); ELU x>0 ? x : alpha*expm1(x) (alpha 0 -> 1).
// NaN and +-Inf follow JAX exactly (tests/engine/nonfinite_semantics_test.cc):
//   NaN in -> NaN out for every function; e.g. RELU(-Inf) = 0, GELU(-Inf) =
//   -Inf * 0 = NaN, SILU(-Inf) = NaN, SOFTPLUS(+Inf) = +Inf, ELU(-Inf) =
//   -alpha.
// Value type, thread-safe.
#ifndef BRAINSERVE_ENGINE_ACTIVATION_H_
#define BRAINSERVE_ENGINE_ACTIVATION_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "dnnl.hpp"
#include "engine/layer_site.h"

namespace brainserve::engine {

struct Activation {
  using Function = brainserve::v1::ActivationSpec::Function;

  Function function = brainserve::v1::ActivationSpec::IDENTITY;
  float alpha = 0.0f;  // resolved (defaults applied) for LEAKY_RELU and ELU

  // Validates the spec (known function; alpha only for LEAKY_RELU / ELU,
  // finite) and applies the defaults.
  static absl::StatusOr<Activation> FromSpec(
      const brainserve::v1::ActivationSpec& spec, const LayerSite& site);

  bool is_identity() const {
    return function == brainserve::v1::ActivationSpec::IDENTITY;
  }

  // Reference scalar form.
  float Apply(float x) const;
  // In place over `count` contiguous values.
  void ApplyInPlace(float* data, int64_t count) const;

  // The oneDNN eltwise algorithm computing this function (for fusion as a
  // post-op), with its alpha in `*dnnl_alpha`.
  std::optional<dnnl::algorithm> DnnlAlgorithm(float* dnnl_alpha) const;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_ACTIVATION_H_
