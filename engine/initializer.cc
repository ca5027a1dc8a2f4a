#include "engine/initializer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/stateless_random.h"
#include "engine/tensor_codec.h"

namespace brainserve::engine {

ParamInit ParamInit::KaimingNormal(double scale) {
  ParamInit init;
  init.kind = Kind::kVarianceScaling;
  init.scale = scale;
  init.mode = FanMode::kFanIn;
  return init;
}

ParamInit ParamInit::XavierNormal(double scale) {
  ParamInit init;
  init.kind = Kind::kVarianceScaling;
  init.scale = scale;
  init.mode = FanMode::kFanAvg;
  return init;
}

ParamInit ParamInit::Constant(float value) {
  ParamInit init;
  init.kind = Kind::kConstant;
  init.value = value;
  return init;
}

namespace {

absl::StatusOr<ParamInit> ResolveVarianceScaling(
    ParamInit init, absl::Span<const int64_t> shape, const LayerSite& site,
    absl::string_view field) {
  if (!std::isfinite(init.scale) || init.scale < 0) {
    return site.Invalid(
        field, absl::StrCat("scale must be finite and >= 0, got ", init.scale));
  }
  if (shape.size() < 2) {
    // brainstate computes fans from axes -2 and -1 (IndexError for rank 1).
    return site.Invalid(
        field, absl::StrCat("variance-scaling initializers need a parameter "
                            "of rank >= 2 for their fans; this one has shape ",
                            ShapeToString(shape)));
  }
  return init;
}

}  // namespace

absl::StatusOr<std::optional<ParamInit>> ResolveInitializer(
    const brainserve::v1::Initializer* init, const ParamInitRules& rules,
    absl::Span<const int64_t> shape, const LayerSite& site,
    absl::string_view field) {
  using Proto = brainserve::v1::Initializer;
  if (init == nullptr || init->kind_case() == Proto::KIND_NOT_SET) {
    return rules.default_init;
  }
  switch (init->kind_case()) {
    case Proto::kKaimingNormal: {
      const auto& k = init->kaiming_normal();
      return ResolveVarianceScaling(
          ParamInit::KaimingNormal(k.has_scale() ? k.scale() : 2.0), shape,
          site, absl::StrCat(field, ".kaiming_normal"));
    }
    case Proto::kXavierNormal: {
      const auto& x = init->xavier_normal();
      return ResolveVarianceScaling(
          ParamInit::XavierNormal(x.has_scale() ? x.scale() : 1.0), shape, site,
          absl::StrCat(field, ".xavier_normal"));
    }
    case Proto::kConstant: {
      const float value = init->constant().value();
      if (!std::isfinite(value)) {
        return site.Invalid(absl::StrCat(field, ".constant.value"),
                            "must be finite");
      }
      return ParamInit::Constant(value);
    }
    case Proto::kTensor: {
      const std::string tensor_field =
          site.Field(absl::StrCat(field, ".tensor"));
      absl::StatusOr<DenseTensor> tensor =
          DecodeTensor(init->tensor(), tensor_field);
      if (!tensor.ok()) return tensor.status();
      if (tensor->shape != std::vector<int64_t>(shape.begin(), shape.end())) {
        return site.Invalid(absl::StrCat(field, ".tensor.shape"),
                            absl::StrCat("is ", ShapeToString(tensor->shape),
                                         " but the parameter's shape is ",
                                         ShapeToString(shape)));
      }
      absl::Status finite = CheckAllFinite(*tensor, tensor_field);
      if (!finite.ok()) return finite;
      ParamInit resolved;
      resolved.kind = ParamInit::Kind::kTensor;
      resolved.tensor = *std::move(tensor);
      return resolved;
    }
    case Proto::kNone:
      if (!rules.allow_none) {
        return site.Invalid(absl::StrCat(field, ".none"),
                            "this parameter is required and cannot be none");
      }
      return std::optional<ParamInit>();
    case Proto::KIND_NOT_SET:
      break;
  }
  return site.Invalid(field, "unknown initializer kind");
}

Fans ComputeFans(absl::Span<const int64_t> shape) {
  const double in = static_cast<double>(shape[shape.size() - 2]);
  const double out = static_cast<double>(shape[shape.size() - 1]);
  const double receptive_field =
      static_cast<double>(NumElements(shape)) / in / out;
  return Fans{in * receptive_field, out * receptive_field};
}

float TruncatedNormalSigma(const ParamInit& init,
                           absl::Span<const int64_t> shape) {
  const Fans fans = ComputeFans(shape);
  const double denominator = init.mode == ParamInit::FanMode::kFanIn
                                 ? fans.fan_in
                                 : (fans.fan_in + fans.fan_out) / 2;
  // brainstate: variance in float64, cast to float32; sigma' cast again.
  const float variance = static_cast<float>(init.scale / denominator);
  return static_cast<float>(std::sqrt(static_cast<double>(variance)) /
                            kTruncatedNormalStddev);
}

DenseTensor InitializeParameter(const ParamInit& init,
                                absl::Span<const int64_t> shape, uint64_t seed,
                                int64_t layer_index,
                                absl::string_view param_name) {
  DenseTensor out;
  out.shape.assign(shape.begin(), shape.end());
  const int64_t count = NumElements(shape);
  switch (init.kind) {
    case ParamInit::Kind::kConstant:
      out.data.assign(static_cast<size_t>(count), init.value);
      break;
    case ParamInit::Kind::kTensor:
      out.data = init.tensor.data;
      break;
    case ParamInit::Kind::kVarianceScaling: {
      const float sigma = TruncatedNormalSigma(init, shape);
      const float bound = 2.0f * sigma;
      const uint64_t key = DeriveStreamKey(seed, layer_index, param_name);
      out.data.resize(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) {
        float w = static_cast<float>(TruncatedStandardNormal(key, i)) * sigma;
        // Rounding must not reach the bound: samples lie strictly inside.
        if (std::fabs(w) >= bound) w = std::nextafter(w, 0.0f);
        out.data[i] = w;
      }
      break;
    }
  }
  return out;
}

}  // namespace brainserve::engine
