#include "engine/conv1d_kernel.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "engine/dnnl_util.h"

namespace brainserve::engine {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {
// Inputs of fewer floats are padded on the calling thread alone: below this
// an OpenMP fork/join costs more than it saves.
constexpr int64_t kParallelMinFloats = 16384;
}  // namespace

namespace {

memory::desc WeightsDesc(const Conv1dGeometry& g, dt type, tag format) {
  const int64_t cg = g.in_channels / g.groups;
  if (g.groups == 1) {
    return memory::desc({g.out_channels, cg, g.kernel}, type, format);
  }
  return memory::desc({g.groups, g.out_channels / g.groups, cg, g.kernel}, type,
                      format);
}

// brainstate's (K, Cin/G, Cout) row-major array described in oneDNN's
// logical weight dims ((O, I, W) or (G, O/G, I/G, W)) by its strides, so a
// reorder reads it directly.
memory::desc BrainstateWeightsDesc(const Conv1dGeometry& g) {
  const int64_t cg = g.in_channels / g.groups;
  const int64_t cout = g.out_channels;
  if (g.groups == 1) {
    return memory::desc({cout, cg, g.kernel}, dt::f32,
                        memory::dims{1, cout, cg * cout});
  }
  const int64_t og = cout / g.groups;
  return memory::desc({g.groups, og, cg, g.kernel}, dt::f32,
                      memory::dims{og, 1, cout, cg * cout});
}

}  // namespace

Conv1dKernel::Conv1dKernel(const Config& config)
    : config_(config),
      preprocess_(
          config.geometry.lhs_dilation > 1 || config.geometry.pad_lo < 0 ||
          config.geometry.pad_hi < 0 ||
          (config.materialize_padding &&
           (config.geometry.pad_lo != 0 || config.geometry.pad_hi != 0))),
      plans_(config.max_rows_per_pass,
             static_cast<int>(config.thread_counts.size())) {}

absl::StatusOr<std::unique_ptr<Conv1dKernel>> Conv1dKernel::Create(
    const Config& config) {
  std::unique_ptr<Conv1dKernel> kernel(new Conv1dKernel(config));
  try {
    kernel->bias_md_ =
        memory::desc({config.geometry.out_channels}, dt::f32, tag::a);
    const memory::desc any_weights = WeightsDesc(
        config.geometry, config.bf16 ? dt::bf16 : dt::f32, tag::any);
    kernel->weight_layouts_ = WeightLayouts::Discover(
        config.max_rows_per_pass, config.thread_counts, [&](int64_t rows) {
          return kernel->MakePrimitiveDesc(rows, any_weights).weights_desc();
        });
  } catch (const dnnl::error& e) {
    return DnnlErrorToStatus(e, "creating a convolution primitive");
  }
  return kernel;
}

dnnl::convolution_forward::primitive_desc Conv1dKernel::MakePrimitiveDesc(
    int64_t samples, const memory::desc& weights_md) const {
  const Conv1dGeometry& g = config_.geometry;
  const tag data_format = g.channel_first ? tag::ncw : tag::nwc;
  const int64_t in_length = preprocess_ ? g.padded_length() : g.length;
  const int64_t pad_l = preprocess_ ? 0 : g.pad_lo;
  const int64_t pad_r = preprocess_ ? 0 : g.pad_hi;
  const memory::desc src_md({samples, g.in_channels, in_length},
                            config_.bf16 ? dt::bf16 : dt::f32, data_format);
  const memory::desc dst_md({samples, g.out_channels, g.output_length()},
                            dt::f32, data_format);
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
  const memory::dims strides = {g.stride};
  const memory::dims dilates = {g.rhs_dilation - 1};  // oneDNN counts gaps
  const memory::dims padding_l = {pad_l};
  const memory::dims padding_r = {pad_r};
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto algorithm = dnnl::algorithm::convolution_direct;
  const dnnl::convolution_forward::desc desc =
      config_.has_bias
          ? dnnl::convolution_forward::desc(prop, algorithm, src_md, weights_md,
                                            bias_md_, dst_md, strides, dilates,
                                            padding_l, padding_r)
          : dnnl::convolution_forward::desc(prop, algorithm, src_md, weights_md,
                                            dst_md, strides, dilates, padding_l,
                                            padding_r);
  return dnnl::convolution_forward::primitive_desc(desc, attr, CpuEngine());
}

std::unique_ptr<Conv1dKernel::Plan> Conv1dKernel::MakePlan(
    int64_t samples, int thread_class) const {
  const int layout = weight_layouts_.layout_of[thread_class][samples];
  const dnnl::convolution_forward::primitive_desc pd =
      MakePrimitiveDesc(samples, weight_layouts_.layouts[layout]);
  auto plan = std::make_unique<Plan>();
  plan->layout = layout;
  plan->primitive = dnnl::convolution_forward(pd);
  plan->src_md = pd.src_desc();
  plan->dst_md = pd.dst_desc();
  plan->scratchpad_md = pd.scratchpad_desc();
  return plan;
}

Conv1dKernel::Packed Conv1dKernel::Pack(const float* weight_kio,
                                        const float* bias) const {
  return weight_layouts_.Pack(BrainstateWeightsDesc(config_.geometry),
                              weight_kio, bias_md_,
                              config_.has_bias ? bias : nullptr);
}

void Conv1dKernel::Preprocess(const float* src, int64_t samples,
                              float* out) const {
  // xp[p] = x[j] where p = j * lhs_dilation + pad_lo, zero elsewhere; the
  // positions outside [0, Lp) are the cropped ones (negative padding).
  // Written as a gather, each output element once, so the work splits over
  // the calling thread's OpenMP team by output row (a position, or a
  // channel when channel-first) without any order between the pieces.
  const Conv1dGeometry& g = config_.geometry;
  const int64_t lp = g.padded_length();
  const int64_t channels = g.in_channels;
  const int64_t in_size = g.length * channels;
  const int64_t out_size = lp * channels;
  auto source = [&g](int64_t p) -> int64_t {  // input position, or -1
    const int64_t q = p - g.pad_lo;
    if (q < 0 || q % g.lhs_dilation != 0) return -1;
    const int64_t j = q / g.lhs_dilation;
    return j < g.length ? j : -1;
  };
  // Channel-last: unit (s, p) is output row p of sample s, `channels`
  // floats. Channel-first: unit (s, c) is channel c of sample s, Lp floats.
  const int64_t per_sample = g.channel_first ? channels : lp;
  const int64_t units = samples * per_sample;
  auto unit = [&](int64_t u) {
    const int64_t s = u / per_sample;
    const int64_t i = u % per_sample;
    const float* x = src + s * in_size;
    float* xp = out + s * out_size;
    if (g.channel_first) {
      for (int64_t p = 0; p < lp; ++p) {
        const int64_t j = source(p);
        xp[i * lp + p] = j >= 0 ? x[i * g.length + j] : 0.0f;
      }
      return;
    }
    const int64_t j = source(i);
    if (j >= 0) {
      std::memcpy(xp + i * channels, x + j * channels,
                  sizeof(float) * channels);
    } else {
      std::fill(xp + i * channels, xp + (i + 1) * channels, 0.0f);
    }
  };
  if (units > 1 && samples * out_size >= kParallelMinFloats &&
      omp_get_max_threads() > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t u = 0; u < units; ++u) unit(u);
  } else {
    for (int64_t u = 0; u < units; ++u) unit(u);
  }
}

Conv1dKernel::Packed Conv1dKernel::WithBias(const Packed& previous,
                                            const float* bias) const {
  Packed packed;
  packed.weights = previous.weights;
  packed.bias = WeightLayouts::PackBias(bias_md_, bias);
  return packed;
}

int64_t Conv1dKernel::PackedBytes() const {
  return config_.has_bias ? weight_layouts_.PackedBytes(bias_md_)
                          : weight_layouts_.PackedBytes(dnnl::memory::desc());
}

int64_t Conv1dKernel::BiasBytes() const {
  return config_.has_bias ? static_cast<int64_t>(bias_md_.get_size()) : 0;
}

void Conv1dKernel::Run(const Packed& packed, const float* src, float* dst,
                       int64_t samples, Workspace& workspace) const {
  const Plan& plan =
      plans_.Get(samples, [this](int64_t rows, int thread_class) {
        return MakePlan(rows, thread_class);
      });
  const Conv1dGeometry& g = config_.geometry;
  if (preprocess_) {
    float* padded = workspace.Buffer(
        Workspace::kConvInput, samples * g.padded_length() * g.in_channels);
    Preprocess(src, samples, padded);
    src = padded;
  }
  const int64_t src_length = preprocess_ ? g.padded_length() : g.length;
  const void* input = config_.bf16
                          ? static_cast<const void*>(workspace.RoundToBf16(
                                src, samples * g.in_channels * src_length))
                          : src;
  workspace.Execute(&plan, plan.primitive, plan.src_md, input, plan.dst_md, dst,
                    plan.scratchpad_md, packed.weights[plan.layout],
                    config_.has_bias ? &packed.bias : nullptr);
}

}  // namespace brainserve::engine
