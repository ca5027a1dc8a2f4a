#include "engine/conv1d_layer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/conv1d_kernel.h"
#include "engine/dnnl_util.h"
#include "engine/initializer.h"
#include "engine/weight_factor.h"
#include "engine/weight_transforms.h"

namespace brainserve::engine {
namespace {

struct ConvWeights : LayerWeights {
  Conv1dKernel::Packed packed;
  std::vector<const void*> DataHandles() const override {
    return packed.DataHandles();
  }
};

struct ConvOptions {
  Conv1dGeometry geometry;
  ParamInit weight_init;
  std::optional<ParamInit> bias_init;
  bool has_gain = true;
  float eps = 1e-4f;
  std::vector<float> mask;  // broadcast to (K, Cin/G, Cout); empty: none
  bool bf16 = false;        // CompileOptions::precision is kBf16
};

Shape OutputShape(const Conv1dGeometry& g) {
  return g.channel_first ? Shape{g.out_channels, g.output_length()}
                         : Shape{g.output_length(), g.out_channels};
}

Shape WeightShape(const Conv1dGeometry& g) {
  return {g.kernel, g.in_channels / g.groups, g.out_channels};
}

class Conv1dLayer final : public Layer {
 public:
  Conv1dLayer(const LayerSite& site, const Shape& input_shape,
              ConvOptions options)
      : Layer(site, input_shape, OutputShape(options.geometry)),
        options_(std::move(options)) {
    const Conv1dGeometry& g = options_.geometry;
    AddParam("weight", WeightShape(g), options_.weight_init);
    if (options_.bias_init.has_value()) {
      bias_index_ = static_cast<int>(params().size());
      AddParam("bias",
               g.channel_first ? Shape{1, g.out_channels, 1}
                               : Shape{1, g.out_channels},
               *options_.bias_init);
    }
    if (options_.has_gain) {
      gain_index_ = static_cast<int>(params().size());
      AddParam("gain", {1, 1, g.out_channels}, ParamInit::Constant(1.0f));
    }
  }

  int64_t scratch_floats_per_row() const override {
    // The dilated / padded copy of the input (when it is materialized), and
    // with bf16 that input (or the plain one) rounded to bfloat16.
    const Conv1dGeometry& g = options_.geometry;
    const int64_t padded =
        std::max<int64_t>(g.padded_length(), 0) * g.in_channels;
    if (!options_.bf16) return padded;
    const int64_t rounded = std::max(padded, g.length * g.in_channels);
    return padded + (rounded + 1) / 2;
  }

  bool FuseActivation(const Activation& activation) override {
    float alpha;
    if (fused_.has_value() || !activation.DnnlAlgorithm(&alpha)) return false;
    fused_ = activation;
    return true;
  }

  absl::Status Compile(const CompileOptions& options) override {
    Conv1dKernel::Config config;
    config.geometry = options_.geometry;
    config.has_bias = bias_index_ >= 0;
    config.activation = fused_;
    config.max_rows_per_pass = options.max_rows_per_pass;
    config.thread_counts = CompiledThreadCounts(options.num_threads);
    config.materialize_padding = config.thread_counts.size() > 1;
    config.bf16 = options_.bf16;
    absl::StatusOr<std::unique_ptr<Conv1dKernel>> kernel =
        Conv1dKernel::Create(config);
    if (!kernel.ok()) return kernel.status();
    kernel_ = *std::move(kernel);
    return absl::OkStatus();
  }

  std::shared_ptr<const LayerWeights> PrepareWeights(
      absl::Span<const DenseTensor* const> values) const override {
    const Conv1dGeometry& g = options_.geometry;
    // Standardized (and masked) straight from the parameter in one pass.
    std::unique_ptr<float[]> w(new float[values[0]->data.size()]);
    // Statistics per output channel over (K, Cin/G): a (K*Cin/G, Cout) view.
    WeightStandardize(
        values[0]->data.data(), g.kernel * (g.in_channels / g.groups),
        g.out_channels, options_.eps,
        gain_index_ >= 0 ? values[gain_index_]->data.data() : nullptr,
        options_.mask.empty() ? nullptr : options_.mask.data(), w.get());
    auto weights = std::make_shared<ConvWeights>();
    weights->packed = kernel_->Pack(
        w.get(), bias_index_ >= 0 ? values[bias_index_]->data.data() : nullptr);
    return weights;
  }

  // A bias-only change keeps the previous packed weight (shared).
  std::shared_ptr<const LayerWeights> UpdateWeights(
      absl::Span<const DenseTensor* const> values,
      const std::shared_ptr<const LayerWeights>& previous,
      absl::Span<const bool> changed) const override {
    if (previous == nullptr || !OnlyChanged(changed, bias_index_)) {
      return PrepareWeights(values);
    }
    auto weights = std::make_shared<ConvWeights>();
    weights->packed =
        kernel_->WithBias(static_cast<const ConvWeights&>(*previous).packed,
                          values[bias_index_]->data.data());
    return weights;
  }

  // The w_mask broadcast to the weight, held for the model's life.
  int64_t derived_weight_bytes() const override {
    return static_cast<int64_t>(options_.mask.size() * sizeof(float));
  }

  int64_t DerivedWeightBytes(absl::Span<const bool> changed) const override {
    if (OnlyChanged(changed, bias_index_)) return kernel_->BiasBytes();
    // The standardized weight, then its packed layouts and the bias.
    return NumElements(params()[0].shape) *
               static_cast<int64_t>(sizeof(float)) +
           kernel_->PackedBytes();
  }

  void Forward(const LayerWeights* weights, const float* src, float* dst,
               const PassContext& context) const override {
    kernel_->Run(static_cast<const ConvWeights*>(weights)->packed, src, dst,
                 context.rows, *context.workspace);
  }

 private:
  const ConvOptions options_;
  int bias_index_ = -1;
  int gain_index_ = -1;
  std::optional<Activation> fused_;
  std::unique_ptr<Conv1dKernel> kernel_;
};

// A size field that is 0 -> default (1) when `zero_means_one`, else >= 1;
// bounded so the geometry arithmetic cannot overflow.
absl::StatusOr<int64_t> ResolveSize(int64_t value, bool zero_means_one,
                                    const LayerSite& site,
                                    absl::string_view field) {
  if (value == 0 && zero_means_one) return 1;
  if (value <= 0) {
    return site.Invalid(field, absl::StrCat("must be positive, got ", value));
  }
  if (value > kMaxTensorElements) {
    return site.Invalid(field, absl::StrCat("is too large (", value, ")"));
  }
  return value;
}

absl::Status ResolvePadding(const brainserve::v1::ScaledWSConv1dSpec& spec,
                            const LayerSite& site, Conv1dGeometry* g) {
  const std::string mode = spec.has_padding() ? spec.padding().mode() : "SAME";
  if (mode != "SAME" && mode != "VALID" && !mode.empty()) {
    return site.Invalid(
        "padding.mode",
        absl::StrCat("must be \"SAME\", \"VALID\" or empty (explicit lo/hi), "
                     "got \"",
                     mode, "\""));
  }
  if (mode.empty()) {
    for (const auto& [field, value] :
         {std::pair<const char*, int64_t>{"padding.lo", spec.padding().lo()},
          {"padding.hi", spec.padding().hi()}}) {
      if (value > kMaxTensorElements || value < -kMaxTensorElements) {
        return site.Invalid(field, absl::StrCat("is too large (", value, ")"));
      }
    }
    g->pad_lo = spec.padding().lo();
    g->pad_hi = spec.padding().hi();
    return absl::OkStatus();
  }
  if (spec.padding().lo() != 0 || spec.padding().hi() != 0) {
    return site.Invalid("padding.lo",
                        absl::StrCat("lo/hi must be 0 with mode \"", mode,
                                     "\" (they are for explicit padding)"));
  }
  if (g->lhs_dilation != 1) {
    return site.Invalid(
        "padding.mode",
        absl::StrCat("\"", mode,
                     "\" padding is illegal with lhs_dilation > 1 (as in "
                     "JAX); give explicit lo/hi padding"));
  }
  if (mode == "SAME") {
    const int64_t out = (g->length + g->stride - 1) / g->stride;
    const int64_t total = std::max<int64_t>(
        0, (out - 1) * g->stride + g->effective_kernel() - g->length);
    g->pad_lo = total / 2;  // an odd extra pad goes at the end
    g->pad_hi = total - g->pad_lo;
  }
  return absl::OkStatus();
}

absl::StatusOr<ConvOptions> ResolveOptions(
    const brainserve::v1::ScaledWSConv1dSpec& spec, const LayerSite& site,
    const Shape& input_shape, int64_t max_mask_bytes) {
  ConvOptions options;
  Conv1dGeometry& g = options.geometry;
  if (input_shape.size() != 2) {
    return site.Invalid(
        "input", absl::StrCat("the per-sample input must have rank 2 ((L, C), "
                              "or (C, L) with channel_first), got ",
                              ShapeToString(input_shape)));
  }
  g.channel_first = spec.channel_first();
  g.length = g.channel_first ? input_shape[1] : input_shape[0];
  g.in_channels = g.channel_first ? input_shape[0] : input_shape[1];
  struct SizeField {
    int64_t value;
    bool zero_means_one;
    const char* name;
    int64_t* target;
  };
  for (const SizeField& f :
       {SizeField{spec.out_channels(), false, "out_channels", &g.out_channels},
        SizeField{spec.kernel_size(), false, "kernel_size", &g.kernel},
        SizeField{spec.stride(), true, "stride", &g.stride},
        SizeField{spec.lhs_dilation(), true, "lhs_dilation", &g.lhs_dilation},
        SizeField{spec.rhs_dilation(), true, "rhs_dilation", &g.rhs_dilation},
        SizeField{spec.groups(), true, "groups", &g.groups}}) {
    absl::StatusOr<int64_t> value =
        ResolveSize(f.value, f.zero_means_one, site, f.name);
    if (!value.ok()) return value.status();
    *f.target = *value;
  }
  if (g.in_channels % g.groups != 0) {
    return site.Invalid(
        "groups", absl::StrCat(g.groups, " does not divide the ", g.in_channels,
                               " input channels"));
  }
  if (g.out_channels % g.groups != 0) {
    return site.Invalid("groups",
                        absl::StrCat(g.groups, " does not divide the ",
                                     g.out_channels, " output channels"));
  }
  absl::Status status = ResolvePadding(spec, site, &g);
  if (!status.ok()) return status;
  if (g.padded_length() < 0) {
    return site.Invalid("padding",
                        absl::StrCat("padding (", g.pad_lo, ", ", g.pad_hi,
                                     ") makes the input length negative (",
                                     g.padded_length(), ")"));
  }
  if (g.output_length() == 0) {
    return site.Invalid(
        "kernel_size",
        absl::StrCat("the dilated kernel extent ", g.effective_kernel(),
                     " exceeds the padded input length ", g.padded_length(),
                     ": the output would be empty"));
  }
  for (const Shape& shape : {OutputShape(g), WeightShape(g),
                             Shape{g.padded_length(), g.in_channels}}) {
    absl::StatusOr<int64_t> count = CheckedNumElements(shape);
    if (!count.ok())
      return site.Invalid("out_channels", count.status().message());
  }
  options.has_gain = spec.has_ws_gain() ? spec.ws_gain() : true;
  options.eps = spec.has_eps() ? spec.eps() : 1e-4f;
  if (!(std::isfinite(options.eps) && options.eps >= 0)) {
    return site.Invalid(
        "eps", absl::StrCat("must be finite and >= 0, got ", options.eps));
  }
  ParamInitRules weight_rules;
  weight_rules.default_init = ParamInit::XavierNormal();
  absl::StatusOr<std::optional<ParamInit>> weight_init =
      ResolveInitializer(spec.has_w_init() ? &spec.w_init() : nullptr,
                         weight_rules, WeightShape(g), site, "w_init");
  if (!weight_init.ok()) return weight_init.status();
  options.weight_init = **weight_init;
  ParamInitRules bias_rules;  // default: no bias
  bias_rules.allow_none = true;
  const Shape bias_shape =
      g.channel_first ? Shape{1, g.out_channels, 1} : Shape{1, g.out_channels};
  absl::StatusOr<std::optional<ParamInit>> bias_init =
      ResolveInitializer(spec.has_b_init() ? &spec.b_init() : nullptr,
                         bias_rules, bias_shape, site, "b_init");
  if (!bias_init.ok()) return bias_init.status();
  options.bias_init = *bias_init;
  if (spec.has_w_mask()) {
    absl::StatusOr<std::vector<float>> mask =
        ParseWeightFactor(spec.w_mask(), site, "w_mask", WeightShape(g),
                          max_mask_bytes);
    if (!mask.ok()) return mask.status();
    options.mask = *std::move(mask);
  }
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Layer>> BuildScaledWSConv1d(
    const brainserve::v1::ScaledWSConv1dSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& compile_options) {
  absl::StatusOr<ConvOptions> options = ResolveOptions(
      spec, site, input_shape, compile_options.max_table_bytes);
  if (!options.ok()) return options.status();
  options->bf16 = compile_options.precision == Precision::kBf16;
  return std::make_unique<Conv1dLayer>(site, input_shape, *std::move(options));
}

}  // namespace brainserve::engine
