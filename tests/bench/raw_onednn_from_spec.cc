#include "tests/bench/raw_onednn_from_spec.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brainserve::bench {
namespace {

using brainserve::engine::DenseTensor;
using brainserve::engine::ParameterSnapshot;
using brainserve::v1::LayerSpec;

constexpr float kDefaultWsEps = 1e-4f;
constexpr float kDefaultLayerNormEps = 1e-6f;

absl::Status Unsupported(const std::string& layer, absl::string_view what) {
  return absl::UnimplementedError(
      absl::StrCat("raw chain: layer '", layer, "': ", what));
}

// The values of (layer, name), or empty if the parameter does not exist.
std::vector<float> ParamOrEmpty(const ParameterSnapshot& snapshot,
                                const std::string& layer,
                                absl::string_view name) {
  const DenseTensor* t = snapshot.Find(layer, name);
  return t == nullptr ? std::vector<float>() : t->data;
}

absl::StatusOr<std::vector<float>> RequiredParam(
    const ParameterSnapshot& snapshot, const std::string& layer,
    absl::string_view name) {
  const DenseTensor* t = snapshot.Find(layer, name);
  if (t == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("raw chain: no parameter ", layer, ".", name));
  }
  return t->data;
}

// brainstate's conv padding (layer-semantics.md 6.3) for lhs_dilation = 1.
absl::Status ResolvePadding(const brainserve::v1::ScaledWSConv1dSpec& conv,
                            int64_t length, int64_t stride,
                            RawConv1dStep* step) {
  const int64_t k = step->kernel_size;
  if (!conv.has_padding() || conv.padding().mode() == "SAME") {
    const int64_t out = (length + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(0, (out - 1) * stride + k - length);
    step->pad_lo = total / 2;
    step->pad_hi = total - step->pad_lo;
  } else if (conv.padding().mode() == "VALID") {
    step->pad_lo = step->pad_hi = 0;
  } else if (conv.padding().mode().empty()) {
    step->pad_lo = conv.padding().lo();
    step->pad_hi = conv.padding().hi();
    if (step->pad_lo < 0 || step->pad_hi < 0) {
      return absl::UnimplementedError("raw chain: negative padding");
    }
  } else {
    return absl::InvalidArgumentError("raw chain: bad padding mode");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<float> StandardizeWeight(const std::vector<float>& weight,
                                     int64_t out_features,
                                     const std::vector<float>& gain,
                                     float eps) {
  // Row-wise passes (sum, squared deviations, output) so every pass streams
  // through the row-major weight instead of striding down columns.
  const int64_t n = static_cast<int64_t>(weight.size()) / out_features;
  std::vector<double> mean(out_features, 0.0);
  std::vector<double> squares(out_features, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = weight.data() + i * out_features;
    for (int64_t j = 0; j < out_features; ++j) mean[j] += row[j];
  }
  for (int64_t j = 0; j < out_features; ++j) mean[j] /= n;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = weight.data() + i * out_features;
    for (int64_t j = 0; j < out_features; ++j) {
      const double d = row[j] - mean[j];
      squares[j] += d * d;
    }
  }
  std::vector<float> scale(out_features);
  std::vector<float> shift(out_features);
  for (int64_t j = 0; j < out_features; ++j) {
    // N * var is the sum of squared deviations; eps is a floor on it.
    float s = 1.0f / std::sqrt(std::max(static_cast<float>(squares[j]), eps));
    if (!gain.empty()) s *= gain[j];
    scale[j] = s;
    shift[j] = static_cast<float>(mean[j]) * s;
  }
  std::vector<float> out(weight.size());
  for (int64_t i = 0; i < n; ++i) {
    const float* row = weight.data() + i * out_features;
    float* out_row = out.data() + i * out_features;
    for (int64_t j = 0; j < out_features; ++j) {
      out_row[j] = row[j] * scale[j] - shift[j];
    }
  }
  return out;
}

std::vector<float> AbsoluteWeight(const std::vector<float>& weight) {
  std::vector<float> out(weight.size());
  for (size_t i = 0; i < weight.size(); ++i) out[i] = std::fabs(weight[i]);
  return out;
}

absl::StatusOr<std::vector<RawStep>> RawStepsFromSpec(
    const brainserve::v1::ModelSpec& spec, const ParameterSnapshot& snapshot) {
  std::vector<RawStep> steps;
  std::vector<int64_t> shape(spec.input_shape().begin(),
                             spec.input_shape().end());
  if (shape.empty()) return absl::InvalidArgumentError("raw chain: no input");
  for (int index = 0; index < spec.layers_size(); ++index) {
    const LayerSpec& layer = spec.layers(index);
    const std::string name =
        layer.name().empty() ? std::to_string(index) : layer.name();
    switch (layer.kind_case()) {
      case LayerSpec::kLinear: {
        if (layer.linear().has_w_mask()) return Unsupported(name, "w_mask");
        RawMatmulStep step;
        step.out_features = layer.linear().out_size();
        auto weight = RequiredParam(snapshot, name, "weight");
        if (!weight.ok()) return weight.status();
        step.weight = *std::move(weight);
        step.bias = ParamOrEmpty(snapshot, name, "bias");
        shape.back() = step.out_features;
        steps.push_back(std::move(step));
        break;
      }
      case LayerSpec::kSignedWLinear: {
        if (layer.signed_w_linear().has_w_sign()) {
          return Unsupported(name, "w_sign");
        }
        RawMatmulStep step;
        step.out_features = layer.signed_w_linear().out_size();
        auto weight = RequiredParam(snapshot, name, "weight");
        if (!weight.ok()) return weight.status();
        step.weight = AbsoluteWeight(*weight);
        shape.back() = step.out_features;
        steps.push_back(std::move(step));
        break;
      }
      case LayerSpec::kScaledWsLinear: {
        const auto& ws = layer.scaled_ws_linear();
        if (ws.has_w_mask()) return Unsupported(name, "w_mask");
        RawMatmulStep step;
        step.out_features = ws.out_size();
        auto weight = RequiredParam(snapshot, name, "weight");
        if (!weight.ok()) return weight.status();
        step.weight = StandardizeWeight(
            *weight, step.out_features, ParamOrEmpty(snapshot, name, "gain"),
            ws.has_eps() ? ws.eps() : kDefaultWsEps);
        step.bias = ParamOrEmpty(snapshot, name, "bias");
        shape.back() = step.out_features;
        steps.push_back(std::move(step));
        break;
      }
      case LayerSpec::kScaledWsConv1D: {
        const auto& conv = layer.scaled_ws_conv1d();
        if (conv.channel_first() || conv.groups() > 1 ||
            conv.lhs_dilation() > 1 || conv.rhs_dilation() > 1 ||
            conv.has_w_mask() || shape.size() != 2) {
          return Unsupported(name, "conv option outside the benchmark subset");
        }
        RawConv1dStep step;
        step.out_channels = conv.out_channels();
        step.kernel_size = conv.kernel_size();
        step.stride = conv.stride() > 0 ? conv.stride() : 1;
        absl::Status padding =
            ResolvePadding(conv, shape[0], step.stride, &step);
        if (!padding.ok()) return padding;
        auto weight = RequiredParam(snapshot, name, "weight");
        if (!weight.ok()) return weight.status();
        step.weight = StandardizeWeight(
            *weight, step.out_channels, ParamOrEmpty(snapshot, name, "gain"),
            conv.has_eps() ? conv.eps() : kDefaultWsEps);
        step.bias = ParamOrEmpty(snapshot, name, "bias");
        const int64_t padded = shape[0] + step.pad_lo + step.pad_hi;
        shape = {(padded - step.kernel_size) / step.stride + 1,
                 step.out_channels};
        steps.push_back(std::move(step));
        break;
      }
      case LayerSpec::kLayerNorm: {
        const auto& ln = layer.layer_norm();
        auto last_axis_only = [](const auto& axes) {
          return axes.empty() || (axes.size() == 1 && axes[0] == -1);
        };
        if (!last_axis_only(ln.reduction_axes()) ||
            !last_axis_only(ln.feature_axes())) {
          return Unsupported(name, "layer norm over other axes");
        }
        RawLayerNormStep step;
        step.epsilon = ln.has_epsilon() ? ln.epsilon() : kDefaultLayerNormEps;
        step.scale = ParamOrEmpty(snapshot, name, "scale");
        step.shift = ParamOrEmpty(snapshot, name, "bias");
        steps.push_back(std::move(step));
        break;
      }
      case LayerSpec::kActivation:
        if (layer.activation().function() ==
            brainserve::v1::ActivationSpec::RELU) {
          steps.push_back(RawReluStep{});
        } else if (layer.activation().function() !=
                   brainserve::v1::ActivationSpec::IDENTITY) {
          return Unsupported(name, "activation other than ReLU");
        }
        break;
      default:
        return Unsupported(name, "unknown layer kind");
    }
  }
  return steps;
}

}  // namespace brainserve::bench
