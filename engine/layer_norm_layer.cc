#include "engine/layer_norm_layer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/initializer.h"
#include "engine/layer_norm_kernel.h"

namespace brainserve::engine {
namespace {

// Scale and bias expanded to the per-sample shape, in the kernel's group
// order (empty when absent).
struct NormWeights : LayerWeights {
  std::vector<float> scale;
  std::vector<float> bias;
  std::vector<const void*> DataHandles() const override {
    return {scale.data(), bias.data()};
  }
};

struct NormOptions {
  std::vector<int64_t> reduced_axes;  // per-sample axes
  Shape feature_shape;
  float epsilon = 1e-6f;
  bool fast_variance = true;
  std::optional<ParamInit> scale_init;
  std::optional<ParamInit> bias_init;
  size_t input_rank = 0;  // of the per-sample input
};

// What a LayerNorm allocates in proportion to its sample, beyond its
// parameters: PrepareWeights broadcasts scale and bias to the whole sample
// and ToGroupOrder copies each once more (a [13] parameter on a sample of
// 110 million floats took 1.7 GB per layer), and unless the reduced axes are
// the trailing ones the kernel keeps an int64 gather order of the sample
// (5.6 GB for one layer): both found by model_spec_fuzzer.
int64_t TableBytes(const NormOptions& options, int64_t sample_size) {
  const int64_t tensors = (options.scale_init.has_value() ? 1 : 0) +
                          (options.bias_init.has_value() ? 1 : 0);
  int64_t floats = 2 * tensors;
  const int64_t rank = static_cast<int64_t>(options.input_rank);
  std::vector<int64_t> reduced = options.reduced_axes;
  std::sort(reduced.begin(), reduced.end());
  const int64_t k = static_cast<int64_t>(reduced.size());
  for (int64_t i = 0; i < k; ++i) {
    if (reduced[i] != rank - k + i) {
      floats += 2;  // the int64 order table
      break;
    }
  }
  return floats * sample_size * int64_t{sizeof(float)};
}

class LayerNormLayer final : public Layer {
 public:
  LayerNormLayer(const LayerSite& site, const Shape& input_shape,
                 NormOptions options)
      : Layer(site, input_shape, input_shape),
        options_(std::move(options)),
        kernel_(input_shape, options_.reduced_axes, options_.epsilon,
                options_.fast_variance) {
    if (options_.scale_init.has_value()) {
      scale_index_ = static_cast<int>(params().size());
      AddParam("scale", options_.feature_shape, *options_.scale_init);
    }
    if (options_.bias_init.has_value()) {
      bias_index_ = static_cast<int>(params().size());
      AddParam("bias", options_.feature_shape, *options_.bias_init);
    }
  }

  bool accepts_mask() const override { return true; }
  // Any activation: the kernel applies it to each group's output with the
  // activation layer's own code, so the result is bitwise the same.
  bool FuseActivation(const Activation& activation) override {
    if (fused_.has_value()) return false;
    fused_ = activation;
    return true;
  }
  int64_t derived_weight_bytes() const override {
    return TableBytes(options_, input_size());
  }
  // The materialized mask rows, plus the gather buffers (3 samples, counted
  // per row as an upper bound).
  int64_t scratch_floats_per_row() const override { return 4 * input_size(); }

  std::shared_ptr<const LayerWeights> PrepareWeights(
      absl::Span<const DenseTensor* const> values) const override {
    auto weights = std::make_shared<NormWeights>();
    if (scale_index_ >= 0) {
      weights->scale = kernel_.ToGroupOrder(
          BroadcastValues(*values[scale_index_], input_shape()));
    }
    if (bias_index_ >= 0) {
      weights->bias = kernel_.ToGroupOrder(
          BroadcastValues(*values[bias_index_], input_shape()));
    }
    return weights;
  }

  // Any change re-derives both: each present parameter broadcast to the
  // per-sample shape, then a copy in group order.
  int64_t DerivedWeightBytes(absl::Span<const bool> changed) const override {
    const int64_t present = (scale_index_ >= 0) + (bias_index_ >= 0);
    return present * 2 * input_size() * static_cast<int64_t>(sizeof(float));
  }

  void Forward(const LayerWeights* weights, const float* src, float* dst,
               const PassContext& context) const override {
    const auto* w = static_cast<const NormWeights*>(weights);
    kernel_.Run(src, dst, context.mask,
                w->scale.empty() ? nullptr : w->scale.data(),
                w->bias.empty() ? nullptr : w->bias.data(),
                fused_.has_value() ? &*fused_ : nullptr, context.rows,
                *context.workspace);
  }

 private:
  const NormOptions options_;
  const LayerNormKernel kernel_;
  std::optional<Activation> fused_;  // a following activation, applied here
  int scale_index_ = -1;
  int bias_index_ = -1;
};

// Canonicalizes `axes` (default {-1}) against `rank`; rejects out-of-range
// and duplicate axes.
absl::StatusOr<std::vector<int64_t>> ResolveAxes(
    const google::protobuf::RepeatedField<int64_t>& axes, int64_t rank,
    const LayerSite& site, absl::string_view field,
    absl::string_view rank_description) {
  std::vector<int64_t> given(axes.begin(), axes.end());
  if (given.empty()) given.push_back(-1);
  std::vector<int64_t> resolved;
  for (size_t i = 0; i < given.size(); ++i) {
    const int64_t axis = CanonicalAxis(given[i], rank);
    if (axis < 0) {
      return site.Invalid(
          absl::StrCat(field, "[", i, "]"),
          absl::StrCat("axis ", given[i], " is out of range for ",
                       rank_description, " ", rank, " (valid: ", -rank, "..",
                       rank - 1, ")"));
    }
    if (std::find(resolved.begin(), resolved.end(), axis) != resolved.end()) {
      return site.Invalid(absl::StrCat(field, "[", i, "]"),
                          absl::StrCat("axis ", given[i], " is repeated"));
    }
    resolved.push_back(axis);
  }
  return resolved;
}

absl::StatusOr<NormOptions> ResolveOptions(
    const brainserve::v1::LayerNormSpec& spec, const LayerSite& site,
    const Shape& input_shape) {
  NormOptions options;
  const int64_t rank = static_cast<int64_t>(input_shape.size());
  // brainstate resolves reduction_axes against x.ndim at call time: the
  // batched rank.
  absl::StatusOr<std::vector<int64_t>> reduction =
      ResolveAxes(spec.reduction_axes(), rank + 1, site, "reduction_axes",
                  "the batched input rank");
  if (!reduction.ok()) return reduction.status();
  for (size_t i = 0; i < reduction->size(); ++i) {
    if ((*reduction)[i] == 0) {
      return site.Invalid(
          absl::StrCat("reduction_axes[", i, "]"),
          "reducing over the batch axis (axis 0) would make samples depend "
          "on each other; brainserve requires independent rows");
    }
    options.reduced_axes.push_back((*reduction)[i] - 1);
  }
  // feature_axes are canonicalized against len(in_size): the per-sample rank.
  absl::StatusOr<std::vector<int64_t>> features = ResolveAxes(
      spec.feature_axes(), rank, site, "feature_axes", "the per-sample rank");
  if (!features.ok()) return features.status();
  options.feature_shape.assign(rank, 1);
  for (int64_t axis : *features)
    options.feature_shape[axis] = input_shape[axis];

  options.epsilon = spec.has_epsilon() ? spec.epsilon() : 1e-6f;
  if (!(std::isfinite(options.epsilon) && options.epsilon >= 0)) {
    return site.Invalid("epsilon", absl::StrCat("must be finite and >= 0, got ",
                                                options.epsilon));
  }
  options.fast_variance =
      spec.has_use_fast_variance() ? spec.use_fast_variance() : true;
  if (!spec.has_use_scale() || spec.use_scale()) {
    ParamInitRules rules;
    rules.default_init = ParamInit::Constant(1.0f);
    rules.allow_none = true;
    absl::StatusOr<std::optional<ParamInit>> init =
        ResolveInitializer(spec.has_scale_init() ? &spec.scale_init() : nullptr,
                           rules, options.feature_shape, site, "scale_init");
    if (!init.ok()) return init.status();
    options.scale_init = *init;
  }
  if (!spec.has_use_bias() || spec.use_bias()) {
    ParamInitRules rules;
    rules.default_init = ParamInit::Constant(0.0f);
    rules.allow_none = true;
    absl::StatusOr<std::optional<ParamInit>> init =
        ResolveInitializer(spec.has_bias_init() ? &spec.bias_init() : nullptr,
                           rules, options.feature_shape, site, "bias_init");
    if (!init.ok()) return init.status();
    options.bias_init = *init;
  }
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Layer>> BuildLayerNorm(
    const brainserve::v1::LayerNormSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& compile_options) {
  absl::StatusOr<NormOptions> options = ResolveOptions(spec, site, input_shape);
  if (!options.ok()) return options.status();
  options->input_rank = input_shape.size();
  const int64_t table_bytes = TableBytes(*options, NumElements(input_shape));
  if (compile_options.max_table_bytes > 0 &&
      table_bytes > compile_options.max_table_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        site.Prefix(), ": its scale, bias and gather tables need ",
        table_bytes, " bytes for a sample of ", NumElements(input_shape),
        " floats, over what the parameter limit leaves (",
        compile_options.max_table_bytes, ")"));
  }
  return std::make_unique<LayerNormLayer>(site, input_shape,
                                          *std::move(options));
}

}  // namespace brainserve::engine
