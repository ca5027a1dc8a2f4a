#include "engine/matmul_kernel.h"

#include "engine/dnnl_util.h"

namespace brainserve::engine {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

MatmulKernel::MatmulKernel(const Config& config)
    : config_(config),
      plans_(config.max_rows_per_pass,
             static_cast<int>(config.thread_counts.size())) {}

absl::StatusOr<std::unique_ptr<MatmulKernel>> MatmulKernel::Create(
    const Config& config) {
  std::unique_ptr<MatmulKernel> kernel(new MatmulKernel(config));
  try {
    kernel->bias_md_ = memory::desc({1, config.n}, dt::f32, tag::ab);
    const memory::desc any_weights({config.k, config.n},
                                   config.bf16 ? dt::bf16 : dt::f32, tag::any);
    kernel->weight_layouts_ = WeightLayouts::Discover(
        config.max_rows_per_pass, config.thread_counts, [&](int64_t rows) {
          return kernel
              ->MakePrimitiveDesc(rows * config.rows_per_sample, any_weights)
              .weights_desc();
        });
  } catch (const dnnl::error& e) {
    return DnnlErrorToStatus(e, "creating a matmul primitive");
  }
  return kernel;
}

dnnl::matmul::primitive_desc MatmulKernel::MakePrimitiveDesc(
    int64_t m, const memory::desc& weights_md) const {
  const memory::desc src_md({m, config_.k}, config_.bf16 ? dt::bf16 : dt::f32,
                            tag::ab);
  const memory::desc dst_md({m, config_.n}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (config_.activation.has_value()) {
    float alpha = 0.0f;
    const std::optional<dnnl::algorithm> algorithm =
        config_.activation->DnnlAlgorithm(&alpha);
    dnnl::post_ops post_ops;
    post_ops.append_eltwise(1.0f, *algorithm, alpha, 0.0f);
    attr.set_post_ops(post_ops);
  }
  const dnnl::matmul::desc desc =
      config_.has_bias
          ? dnnl::matmul::desc(src_md, weights_md, bias_md_, dst_md)
          : dnnl::matmul::desc(src_md, weights_md, dst_md);
  return dnnl::matmul::primitive_desc(desc, attr, CpuEngine());
}

std::unique_ptr<MatmulKernel::Plan> MatmulKernel::MakePlan(
    int64_t samples, int thread_class) const {
  const int layout = weight_layouts_.layout_of[thread_class][samples];
  const dnnl::matmul::primitive_desc pd = MakePrimitiveDesc(
      samples * config_.rows_per_sample, weight_layouts_.layouts[layout]);
  auto plan = std::make_unique<Plan>();
  plan->layout = layout;
  plan->primitive = dnnl::matmul(pd);
  plan->src_md = pd.src_desc();
  plan->dst_md = pd.dst_desc();
  plan->scratchpad_md = pd.scratchpad_desc();
  return plan;
}

MatmulKernel::Packed MatmulKernel::Pack(const float* weight_kn,
                                        const float* bias) const {
  const memory::desc plain_md({config_.k, config_.n}, dt::f32, tag::ab);
  return weight_layouts_.Pack(plain_md, weight_kn, bias_md_,
                              config_.has_bias ? bias : nullptr);
}

MatmulKernel::Packed MatmulKernel::WithBias(const Packed& previous,
                                            const float* bias) const {
  Packed packed;
  packed.weights = previous.weights;
  packed.bias = WeightLayouts::PackBias(bias_md_, bias);
  return packed;
}

int64_t MatmulKernel::PackedBytes() const {
  return config_.has_bias ? weight_layouts_.PackedBytes(bias_md_)
                          : weight_layouts_.PackedBytes(dnnl::memory::desc());
}

int64_t MatmulKernel::BiasBytes() const {
  return config_.has_bias ? static_cast<int64_t>(bias_md_.get_size()) : 0;
}

void MatmulKernel::Run(const Packed& packed, const float* src, float* dst,
                       int64_t samples, Workspace& workspace) const {
  const Plan& plan =
      plans_.Get(samples, [this](int64_t rows, int thread_class) {
        return MakePlan(rows, thread_class);
      });
  const void* input =
      config_.bf16 ? static_cast<const void*>(workspace.RoundToBf16(
                         src, samples * config_.rows_per_sample * config_.k))
                   : src;
  workspace.Execute(&plan, plan.primitive, plan.src_md, input, plan.dst_md, dst,
                    plan.scratchpad_md, packed.weights[plan.layout],
                    config_.has_bias ? &packed.bias : nullptr);
}

}  // namespace brainserve::engine
