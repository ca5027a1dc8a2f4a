#include "engine/activation.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace brainserve::engine {

using Spec = brainserve::v1::ActivationSpec;

absl::StatusOr<Activation> Activation::FromSpec(const Spec& spec,
                                                const LayerSite& site) {
  if (!Spec::Function_IsValid(spec.function())) {
    return site.Invalid("function",
                        absl::StrCat("unknown function ", spec.function()));
  }
  Activation act;
  act.function = spec.function();
  if (!std::isfinite(spec.alpha())) {
    return site.Invalid("alpha", "must be finite");
  }
  switch (act.function) {
    case Spec::LEAKY_RELU:
      act.alpha = spec.alpha() == 0.0f ? 0.01f : spec.alpha();
      break;
    case Spec::ELU:
      act.alpha = spec.alpha() == 0.0f ? 1.0f : spec.alpha();
      break;
    default:
      if (spec.alpha() != 0.0f) {
        return site.Invalid(
            "alpha",
            absl::StrCat("only LEAKY_RELU and ELU take alpha; ",
                         Spec::Function_Name(act.function), " does not"));
      }
      break;
  }
  return act;
}

float Activation::Apply(float x) const {
  switch (function) {
    case Spec::RELU:
      // jnp.maximum(x, 0): NaN propagates (a plain x > 0 ? x : 0 gives 0).
      return x > 0.0f || std::isnan(x) ? x : 0.0f;
    case Spec::GELU:
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case Spec::GELU_TANH: {
      constexpr float kSqrt2OverPi = 0.79788456080286536f;
      const float inner = kSqrt2OverPi * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    }
    case Spec::SIGMOID:
      return 1.0f / (1.0f + std::exp(-x));
    case Spec::TANH:
      return std::tanh(x);
    case Spec::SILU:
      return x / (1.0f + std::exp(-x));
    case Spec::SOFTPLUS:
      // jnp.logaddexp(x, 0): max(x, 0) + log1p(exp(-|x|)).
      // NaN stays NaN (jnp.logaddexp's isnan branch); fmax alone drops it.
      if (std::isnan(x)) return x;
      return std::fmax(x, 0.0f) + std::log1p(std::exp(-std::fabs(x)));
    case Spec::LEAKY_RELU:
      return x >= 0.0f ? x : alpha * x;
    case Spec::ELU:
      return x > 0.0f ? x : alpha * std::expm1(x);
    default:
      return x;
  }
}

namespace {

// NaN propagates like jnp.maximum(x, 0): only values < 0 become 0. Cloned
// for AVX-512 / AVX2 (a compare and a blend: the same bits on every clone).
__attribute__((target_clones("avx512f", "avx2", "default"))) void ReluInPlace(
    float* data, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    data[i] = data[i] < 0.0f ? 0.0f : data[i];
  }
}

}  // namespace

void Activation::ApplyInPlace(float* data, int64_t count) const {
  if (function == Spec::RELU) {
    ReluInPlace(data, count);
    return;
  }
  if (is_identity()) return;
  for (int64_t i = 0; i < count; ++i) data[i] = Apply(data[i]);
}

std::optional<dnnl::algorithm> Activation::DnnlAlgorithm(
    float* dnnl_alpha) const {
  *dnnl_alpha = 0.0f;
  switch (function) {
    case Spec::RELU:
      // Not fused: oneDNN 2.6's relu post-op (alpha 0) computes max(x, 0)
      // with a NaN-dropping max and turns NaN into 0, where jnp.maximum
      // propagates it (tests/engine/nonfinite_semantics_test.cc). The
      // standalone pass (ApplyInPlace) costs one sweep over the output.
      return std::nullopt;
    case Spec::LEAKY_RELU:
      *dnnl_alpha = alpha;  // oneDNN relu: x > 0 ? x : alpha * x
      return dnnl::algorithm::eltwise_relu;
    case Spec::GELU:
      return dnnl::algorithm::eltwise_gelu_erf;
    case Spec::GELU_TANH:
      return dnnl::algorithm::eltwise_gelu_tanh;
    case Spec::SIGMOID:
      return dnnl::algorithm::eltwise_logistic;
    case Spec::TANH:
      return dnnl::algorithm::eltwise_tanh;
    case Spec::SILU:
      *dnnl_alpha = 1.0f;  // swish: x * sigmoid(alpha * x)
      return dnnl::algorithm::eltwise_swish;
    case Spec::SOFTPLUS:
      return dnnl::algorithm::eltwise_soft_relu;
    case Spec::ELU:
      *dnnl_alpha = alpha;
      return dnnl::algorithm::eltwise_elu;
    default:
      return std::nullopt;
  }
}

}  // namespace brainserve::engine
