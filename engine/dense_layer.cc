#include "engine/dense_layer.h"

#include <cmath>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/dnnl_util.h"
#include "engine/initializer.h"
#include "engine/matmul_kernel.h"
#include "engine/weight_factor.h"
#include "engine/weight_transforms.h"

namespace brainserve::engine {
namespace {

enum class Variant { kLinear, kSignedW, kScaledWS };

struct DenseWeights : LayerWeights {
  MatmulKernel::Packed packed;
  std::vector<const void*> DataHandles() const override {
    return packed.DataHandles();
  }
};

class DenseLayer final : public Layer {
 public:
  struct Options {
    Variant variant = Variant::kLinear;
    int64_t in = 0;
    int64_t out = 0;
    std::optional<ParamInit> weight_init;
    std::optional<ParamInit> bias_init;  // nullopt: no bias
    bool has_gain = false;
    float eps = 1e-4f;
    std::vector<float> factor;  // w_mask / w_sign as [in, out]; empty: none
    bool bf16 = false;          // CompileOptions::precision is kBf16
  };

  DenseLayer(const LayerSite& site, const Shape& input_shape, Options options)
      : Layer(site, input_shape, OutputShape(input_shape, options.out)),
        options_(std::move(options)),
        rows_per_sample_(NumElements(input_shape) / options_.in) {
    AddParam("weight", {options_.in, options_.out}, *options_.weight_init);
    if (options_.bias_init.has_value()) {
      bias_index_ = static_cast<int>(params().size());
      AddParam("bias", {options_.out}, *options_.bias_init);
    }
    if (options_.has_gain) {
      gain_index_ = static_cast<int>(params().size());
      AddParam("gain", {1, options_.out}, ParamInit::Constant(1.0f));
    }
  }

  static Shape OutputShape(const Shape& input_shape, int64_t out) {
    Shape shape = input_shape;
    shape.back() = out;
    return shape;
  }

  // A bf16 layer's input rounded to bfloat16 (2 bytes a value).
  int64_t scratch_floats_per_row() const override {
    return options_.bf16 ? (input_size() + 1) / 2 : 0;
  }

  bool FuseActivation(const Activation& activation) override {
    float alpha;
    if (fused_.has_value() || !activation.DnnlAlgorithm(&alpha)) return false;
    fused_ = activation;
    return true;
  }

  absl::Status Compile(const CompileOptions& options) override {
    MatmulKernel::Config config;
    config.bf16 = options_.bf16;
    config.k = options_.in;
    config.n = options_.out;
    config.rows_per_sample = rows_per_sample_;
    config.has_bias = bias_index_ >= 0;
    config.activation = fused_;
    config.max_rows_per_pass = options.max_rows_per_pass;
    config.thread_counts = CompiledThreadCounts(options.num_threads);
    absl::StatusOr<std::unique_ptr<MatmulKernel>> kernel =
        MatmulKernel::Create(config);
    if (!kernel.ok()) return kernel.status();
    kernel_ = *std::move(kernel);
    return absl::OkStatus();
  }

  std::shared_ptr<const LayerWeights> PrepareWeights(
      absl::Span<const DenseTensor* const> values) const override {
    const float* weight = values[0]->data.data();
    const int64_t count = static_cast<int64_t>(values[0]->data.size());
    const float* factor =
        options_.factor.empty() ? nullptr : options_.factor.data();
    // The effective weight, written straight from the parameter in one pass
    // (no copy first); a plain Linear without mask is packed from the
    // parameter itself. The mask (or sign) multiplies after WS / abs.
    std::unique_ptr<float[]> effective;
    if (options_.variant != Variant::kLinear || factor != nullptr) {
      effective.reset(new float[count]);
    }
    switch (options_.variant) {
      case Variant::kLinear:
        if (factor != nullptr) Multiply(weight, factor, count, effective.get());
        break;
      case Variant::kSignedW:
        Abs(weight, count, effective.get());
        if (factor != nullptr) {
          Multiply(effective.get(), factor, count, effective.get());
        }
        break;
      case Variant::kScaledWS:
        WeightStandardize(
            weight, options_.in, options_.out, options_.eps,
            gain_index_ >= 0 ? values[gain_index_]->data.data() : nullptr,
            factor, effective.get());
        break;
    }
    auto weights = std::make_shared<DenseWeights>();
    weights->packed = kernel_->Pack(
        effective != nullptr ? effective.get() : weight,
        bias_index_ >= 0 ? values[bias_index_]->data.data() : nullptr);
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
    auto weights = std::make_shared<DenseWeights>();
    weights->packed =
        kernel_->WithBias(static_cast<const DenseWeights&>(*previous).packed,
                          values[bias_index_]->data.data());
    return weights;
  }

  // The w_mask / w_sign broadcast to the weight, held for the model's life.
  int64_t derived_weight_bytes() const override {
    return static_cast<int64_t>(options_.factor.size() * sizeof(float));
  }

  int64_t DerivedWeightBytes(absl::Span<const bool> changed) const override {
    if (OnlyChanged(changed, bias_index_)) return kernel_->BiasBytes();
    const bool effective =
        options_.variant != Variant::kLinear || !options_.factor.empty();
    const int64_t effective_bytes =
        effective ? options_.in * options_.out *
                        static_cast<int64_t>(sizeof(float))
                  : 0;
    return effective_bytes + kernel_->PackedBytes();
  }

  void Forward(const LayerWeights* weights, const float* src, float* dst,
               const PassContext& context) const override {
    kernel_->Run(static_cast<const DenseWeights*>(weights)->packed, src, dst,
                 context.rows, *context.workspace);
  }

 private:
  const Options options_;
  const int64_t rows_per_sample_;
  int bias_index_ = -1;
  int gain_index_ = -1;
  std::optional<Activation> fused_;
  std::unique_ptr<MatmulKernel> kernel_;
};

// Checks out_size and the shapes it implies; fills in/out of `options`.
absl::Status ResolveSizes(int64_t out_size, const LayerSite& site,
                          const Shape& input_shape,
                          DenseLayer::Options* options) {
  if (out_size <= 0) {
    return site.Invalid("out_size",
                        absl::StrCat("must be positive, got ", out_size));
  }
  options->in = input_shape.back();
  options->out = out_size;
  for (const Shape& shape : {DenseLayer::OutputShape(input_shape, out_size),
                             Shape{options->in, options->out}}) {
    absl::StatusOr<int64_t> count = CheckedNumElements(shape);
    if (!count.ok()) return site.Invalid("out_size", count.status().message());
  }
  return absl::OkStatus();
}

template <typename Spec>
const brainserve::v1::Initializer* FieldOrNull(bool has, const Spec& value) {
  return has ? &value : nullptr;
}

absl::Status ResolveWeightInit(const brainserve::v1::Initializer* init,
                               const LayerSite& site,
                               DenseLayer::Options* options) {
  ParamInitRules rules;
  rules.default_init = ParamInit::KaimingNormal();
  absl::StatusOr<std::optional<ParamInit>> resolved = ResolveInitializer(
      init, rules, {options->in, options->out}, site, "w_init");
  if (!resolved.ok()) return resolved.status();
  options->weight_init = **resolved;
  return absl::OkStatus();
}

absl::Status ResolveBiasInit(const brainserve::v1::Initializer* init,
                             const LayerSite& site,
                             DenseLayer::Options* options) {
  ParamInitRules rules;
  rules.default_init = ParamInit::Constant(0.0f);
  rules.allow_none = true;
  absl::StatusOr<std::optional<ParamInit>> resolved =
      ResolveInitializer(init, rules, {options->out}, site, "b_init");
  if (!resolved.ok()) return resolved.status();
  options->bias_init = *resolved;
  return absl::OkStatus();
}

absl::Status ResolveFactor(bool has, const brainserve::v1::Tensor& tensor,
                           const LayerSite& site, absl::string_view field,
                           int64_t max_bytes, DenseLayer::Options* options) {
  if (!has) return absl::OkStatus();
  absl::StatusOr<std::vector<float>> factor = ParseWeightFactor(
      tensor, site, field, {options->in, options->out}, max_bytes);
  if (!factor.ok()) return factor.status();
  options->factor = *std::move(factor);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Layer>> BuildLinear(
    const brainserve::v1::LinearSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& compile_options) {
  DenseLayer::Options options;
  options.variant = Variant::kLinear;
  options.bf16 = compile_options.precision == Precision::kBf16;
  absl::Status status =
      ResolveSizes(spec.out_size(), site, input_shape, &options);
  if (status.ok()) {
    status = ResolveWeightInit(FieldOrNull(spec.has_w_init(), spec.w_init()),
                               site, &options);
  }
  if (status.ok()) {
    status = ResolveBiasInit(FieldOrNull(spec.has_b_init(), spec.b_init()),
                             site, &options);
  }
  if (status.ok()) {
    status = ResolveFactor(spec.has_w_mask(), spec.w_mask(), site, "w_mask",
                           compile_options.max_table_bytes, &options);
  }
  if (!status.ok()) return status;
  return std::make_unique<DenseLayer>(site, input_shape, std::move(options));
}

absl::StatusOr<std::unique_ptr<Layer>> BuildSignedWLinear(
    const brainserve::v1::SignedWLinearSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& compile_options) {
  DenseLayer::Options options;
  options.variant = Variant::kSignedW;
  options.bf16 = compile_options.precision == Precision::kBf16;
  absl::Status status =
      ResolveSizes(spec.out_size(), site, input_shape, &options);
  if (status.ok()) {
    status = ResolveWeightInit(FieldOrNull(spec.has_w_init(), spec.w_init()),
                               site, &options);
  }
  if (status.ok()) {
    status = ResolveFactor(spec.has_w_sign(), spec.w_sign(), site, "w_sign",
                           compile_options.max_table_bytes, &options);
  }
  if (!status.ok()) return status;
  return std::make_unique<DenseLayer>(site, input_shape, std::move(options));
}

absl::StatusOr<std::unique_ptr<Layer>> BuildScaledWSLinear(
    const brainserve::v1::ScaledWSLinearSpec& spec, const LayerSite& site,
    const Shape& input_shape, const CompileOptions& compile_options) {
  DenseLayer::Options options;
  options.variant = Variant::kScaledWS;
  options.bf16 = compile_options.precision == Precision::kBf16;
  options.has_gain = spec.has_ws_gain() ? spec.ws_gain() : true;
  options.eps = spec.has_eps() ? spec.eps() : 1e-4f;
  absl::Status status =
      ResolveSizes(spec.out_size(), site, input_shape, &options);
  if (status.ok() && !(std::isfinite(options.eps) && options.eps >= 0)) {
    status = site.Invalid(
        "eps", absl::StrCat("must be finite and >= 0, got ", options.eps));
  }
  if (status.ok()) {
    status = ResolveWeightInit(FieldOrNull(spec.has_w_init(), spec.w_init()),
                               site, &options);
  }
  if (status.ok()) {
    status = ResolveBiasInit(FieldOrNull(spec.has_b_init(), spec.b_init()),
                             site, &options);
  }
  // brainstate checks the mask against its nominal shape (in, 1) and the
  // forward multiplies it into the (in, out) weight: a shape that broadcasts
  // to (in, out), as ResolveFactor requires, is compatible with both.
  if (status.ok()) {
    status = ResolveFactor(spec.has_w_mask(), spec.w_mask(), site, "w_mask",
                           compile_options.max_table_bytes, &options);
  }
  if (!status.ok()) return status;
  return std::make_unique<DenseLayer>(site, input_shape, std::move(options));
}

}  // namespace brainserve::engine
