#include "tests/bench/raw_onednn_chain.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brainserve::bench {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

constexpr int kInputBuffer = -1;
constexpr int kOutputBuffer = -2;
constexpr size_t kAlignmentBytes = 64;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<void, FreeDeleter>;

AlignedBuffer AllocateAligned(size_t bytes) {
  size_t rounded =
      (bytes + kAlignmentBytes - 1) / kAlignmentBytes * kAlignmentBytes;
  if (rounded == 0) rounded = kAlignmentBytes;
  return AlignedBuffer(std::aligned_alloc(kAlignmentBytes, rounded));
}

int64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

bool IsInPlaceKind(const RawStep& step) {
  return std::holds_alternative<RawLayerNormStep>(step) ||
         std::holds_alternative<RawReluStep>(step);
}

}  // namespace

struct RawOnednnChain::Impl {
  struct Exec {
    dnnl::primitive prim;
    std::unordered_map<int, memory> args;
    memory::desc scratchpad_md;
  };

  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::vector<AlignedBuffer> buffers;
  std::vector<Exec> execs;
  std::vector<memory> input_mems;
  std::vector<memory> output_mems;
  AlignedBuffer scratchpad;
  const float* bound_input = nullptr;
  float* bound_output = nullptr;
  int64_t batch = 0;

  // A memory over buffer `id` (kInputBuffer / kOutputBuffer are rebound on
  // every Run()).
  memory MakeMemory(const memory::desc& md, int id) {
    if (id >= 0) return memory(md, eng, buffers[id].get());
    memory mem(md, eng, DNNL_MEMORY_NONE);
    (id == kInputBuffer ? input_mems : output_mems).push_back(mem);
    return mem;
  }

  int NewBuffer(int64_t elements) {
    buffers.push_back(AllocateAligned(sizeof(float) * elements));
    return static_cast<int>(buffers.size()) - 1;
  }

  // Copies `values` into a oneDNN-owned memory of `md`.
  memory ConstantMemory(const memory::desc& md,
                        const std::vector<float>& values) {
    memory mem(md, eng);
    std::memcpy(mem.get_data_handle(), values.data(),
                values.size() * sizeof(float));
    return mem;
  }

  // Reorders plain `values` (`user_md`) once into the layout `wanted_md`.
  memory ReorderedWeights(const memory::desc& user_md,
                          const memory::desc& wanted_md,
                          const std::vector<float>& values) {
    memory user = ConstantMemory(user_md, values);
    if (user_md == wanted_md) return user;
    memory wanted(wanted_md, eng);
    dnnl::reorder(user, wanted).execute(strm, user, wanted);
    strm.wait();
    return wanted;
  }
};

RawOnednnChain::RawOnednnChain(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
RawOnednnChain::~RawOnednnChain() = default;

int64_t RawOnednnChain::output_size() const {
  return impl_->batch * Product(output_shape_, 0, output_shape_.size());
}

absl::StatusOr<std::unique_ptr<RawOnednnChain>> RawOnednnChain::Create(
    const std::vector<RawStep>& steps, const std::vector<int64_t>& input_shape,
    int64_t batch) {
  if (steps.empty() || input_shape.empty() || batch < 1) {
    return absl::InvalidArgumentError("raw chain: empty steps/shape or batch");
  }
  // Steps [first_to_output, end) write to the caller's output: the last
  // out-of-place step and the in-place steps after it.
  size_t first_to_output = steps.size() - 1;
  while (first_to_output > 0 && IsInPlaceKind(steps[first_to_output])) {
    --first_to_output;
  }

  auto impl = std::make_unique<Impl>();
  impl->batch = batch;
  std::vector<int64_t> shape = input_shape;
  double flops = 0;
  int current = kInputBuffer;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  try {
    for (size_t i = 0; i < steps.size(); ++i) {
      const bool to_output = i >= first_to_output;
      const int64_t rows = batch * Product(shape, 0, shape.size() - 1);
      const int64_t features = shape.back();
      Impl::Exec exec;
      // In-place steps reuse the current buffer unless it is the caller's
      // (read-only) input.
      auto in_place_or_new = [&](int64_t elements) {
        if (current != kInputBuffer) return current;
        return to_output ? kOutputBuffer : impl->NewBuffer(elements);
      };
      if (const auto* mm = std::get_if<RawMatmulStep>(&steps[i])) {
        const int64_t n = mm->out_features;
        if (static_cast<int64_t>(mm->weight.size()) != features * n ||
            (!mm->bias.empty() && static_cast<int64_t>(mm->bias.size()) != n)) {
          return absl::InvalidArgumentError(
              absl::StrCat("raw chain step ", i, ": matmul size mismatch"));
        }
        memory::desc src_md({rows, features}, dt::f32, tag::ab);
        memory::desc any_w_md({features, n}, dt::f32, tag::any);
        memory::desc bias_md({1, n}, dt::f32, tag::ab);
        memory::desc dst_md({rows, n}, dt::f32, tag::ab);
        auto desc = mm->bias.empty()
                        ? dnnl::matmul::desc(src_md, any_w_md, dst_md)
                        : dnnl::matmul::desc(src_md, any_w_md, bias_md, dst_md);
        dnnl::matmul::primitive_desc pd(desc, attr, impl->eng);
        int dst = to_output ? kOutputBuffer : impl->NewBuffer(rows * n);
        exec.prim = dnnl::matmul(pd);
        exec.args[DNNL_ARG_SRC] = impl->MakeMemory(src_md, current);
        exec.args[DNNL_ARG_WEIGHTS] = impl->ReorderedWeights(
            memory::desc({features, n}, dt::f32, tag::ab), pd.weights_desc(),
            mm->weight);
        if (!mm->bias.empty()) {
          exec.args[DNNL_ARG_BIAS] = impl->ConstantMemory(bias_md, mm->bias);
        }
        exec.args[DNNL_ARG_DST] = impl->MakeMemory(dst_md, dst);
        exec.scratchpad_md = pd.scratchpad_desc();
        flops += 2.0 * rows * features * n;
        current = dst;
        shape.back() = n;
      } else if (const auto* ln = std::get_if<RawLayerNormStep>(&steps[i])) {
        if ((!ln->scale.empty() &&
             static_cast<int64_t>(ln->scale.size()) != features) ||
            (!ln->shift.empty() &&
             static_cast<int64_t>(ln->shift.size()) != features)) {
          return absl::InvalidArgumentError(
              absl::StrCat("raw chain step ", i, ": layer norm size mismatch"));
        }
        memory::desc data_md({rows, features}, dt::f32, tag::ab);
        auto flags = dnnl::normalization_flags::none;
        if (!ln->scale.empty()) flags |= dnnl::normalization_flags::use_scale;
        if (!ln->shift.empty()) flags |= dnnl::normalization_flags::use_shift;
        dnnl::layer_normalization_forward::desc desc(
            dnnl::prop_kind::forward_inference, data_md, ln->epsilon, flags);
        dnnl::layer_normalization_forward::primitive_desc pd(desc, attr,
                                                             impl->eng);
        int dst = in_place_or_new(rows * features);
        exec.prim = dnnl::layer_normalization_forward(pd);
        exec.args[DNNL_ARG_SRC] = impl->MakeMemory(data_md, current);
        exec.args[DNNL_ARG_DST] = dst == current
                                      ? exec.args[DNNL_ARG_SRC]
                                      : impl->MakeMemory(data_md, dst);
        memory::desc param_md({features}, dt::f32, tag::a);
        if (!ln->scale.empty()) {
          exec.args[DNNL_ARG_SCALE] = impl->ConstantMemory(param_md, ln->scale);
        }
        if (!ln->shift.empty()) {
          exec.args[DNNL_ARG_SHIFT] = impl->ConstantMemory(param_md, ln->shift);
        }
        if (pd.mean_desc().get_size() > 0) {
          exec.args[DNNL_ARG_MEAN] = memory(pd.mean_desc(), impl->eng);
          exec.args[DNNL_ARG_VARIANCE] = memory(pd.variance_desc(), impl->eng);
        }
        exec.scratchpad_md = pd.scratchpad_desc();
        current = dst;
      } else if (std::holds_alternative<RawReluStep>(steps[i])) {
        const int64_t elements = rows * features;
        memory::desc data_md({elements}, dt::f32, tag::a);
        dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::eltwise_relu, data_md,
                                         0.f, 0.f);
        dnnl::eltwise_forward::primitive_desc pd(desc, attr, impl->eng);
        int dst = in_place_or_new(elements);
        exec.prim = dnnl::eltwise_forward(pd);
        exec.args[DNNL_ARG_SRC] = impl->MakeMemory(data_md, current);
        exec.args[DNNL_ARG_DST] = dst == current
                                      ? exec.args[DNNL_ARG_SRC]
                                      : impl->MakeMemory(data_md, dst);
        exec.scratchpad_md = pd.scratchpad_desc();
        current = dst;
      } else {
        const auto& conv = std::get<RawConv1dStep>(steps[i]);
        if (shape.size() != 2) {
          return absl::InvalidArgumentError(absl::StrCat(
              "raw chain step ", i, ": conv needs a [length, channels] input"));
        }
        const int64_t length = shape[0];
        const int64_t cin = shape[1];
        const int64_t cout = conv.out_channels;
        const int64_t k = conv.kernel_size;
        const int64_t padded = length + conv.pad_lo + conv.pad_hi;
        if (padded < k || conv.stride < 1 ||
            static_cast<int64_t>(conv.weight.size()) != k * cin * cout ||
            (!conv.bias.empty() &&
             static_cast<int64_t>(conv.bias.size()) != cout)) {
          return absl::InvalidArgumentError(
              absl::StrCat("raw chain step ", i, ": conv shape mismatch"));
        }
        const int64_t out_length = (padded - k) / conv.stride + 1;
        memory::desc src_md({batch, cin, length}, dt::f32, tag::nwc);
        memory::desc any_w_md({cout, cin, k}, dt::f32, tag::any);
        memory::desc bias_md({cout}, dt::f32, tag::a);
        memory::desc dst_md({batch, cout, out_length}, dt::f32, tag::nwc);
        const memory::dims strides = {conv.stride};
        const memory::dims pad_l = {conv.pad_lo};
        const memory::dims pad_r = {conv.pad_hi};
        auto desc = conv.bias.empty()
                        ? dnnl::convolution_forward::desc(
                              dnnl::prop_kind::forward_inference,
                              dnnl::algorithm::convolution_direct, src_md,
                              any_w_md, dst_md, strides, pad_l, pad_r)
                        : dnnl::convolution_forward::desc(
                              dnnl::prop_kind::forward_inference,
                              dnnl::algorithm::convolution_direct, src_md,
                              any_w_md, bias_md, dst_md, strides, pad_l, pad_r);
        dnnl::convolution_forward::primitive_desc pd(desc, attr, impl->eng);
        int dst = to_output ? kOutputBuffer
                            : impl->NewBuffer(batch * out_length * cout);
        exec.prim = dnnl::convolution_forward(pd);
        exec.args[DNNL_ARG_SRC] = impl->MakeMemory(src_md, current);
        exec.args[DNNL_ARG_WEIGHTS] = impl->ReorderedWeights(
            memory::desc({cout, cin, k}, dt::f32, tag::wio), pd.weights_desc(),
            conv.weight);
        if (!conv.bias.empty()) {
          exec.args[DNNL_ARG_BIAS] = impl->ConstantMemory(bias_md, conv.bias);
        }
        exec.args[DNNL_ARG_DST] = impl->MakeMemory(dst_md, dst);
        exec.scratchpad_md = pd.scratchpad_desc();
        flops += 2.0 * batch * out_length * cout * cin * k;
        current = dst;
        shape = {out_length, cout};
      }
      impl->execs.push_back(std::move(exec));
    }
    // One scratchpad shared by every primitive (they run one after another).
    size_t scratch_bytes = 0;
    for (const auto& exec : impl->execs) {
      scratch_bytes = std::max(scratch_bytes, exec.scratchpad_md.get_size());
    }
    impl->scratchpad = AllocateAligned(scratch_bytes);
    for (auto& exec : impl->execs) {
      exec.args[DNNL_ARG_SCRATCHPAD] =
          memory(exec.scratchpad_md, impl->eng, impl->scratchpad.get());
    }
  } catch (const dnnl::error& e) {
    return absl::InternalError(
        absl::StrCat("raw chain: oneDNN error ", e.what()));
  }
  auto chain =
      std::unique_ptr<RawOnednnChain>(new RawOnednnChain(std::move(impl)));
  chain->output_shape_ = shape;
  chain->flops_ = flops;
  return chain;
}

absl::Status RawOnednnChain::Run(const float* input, float* output) {
  Impl& impl = *impl_;
  try {
    if (input != impl.bound_input) {
      for (auto& mem : impl.input_mems) {
        mem.set_data_handle(const_cast<float*>(input));
      }
      impl.bound_input = input;
    }
    if (output != impl.bound_output) {
      for (auto& mem : impl.output_mems) mem.set_data_handle(output);
      impl.bound_output = output;
    }
    for (auto& exec : impl.execs) exec.prim.execute(impl.strm, exec.args);
    impl.strm.wait();
  } catch (const dnnl::error& e) {
    return absl::InternalError(
        absl::StrCat("raw chain: oneDNN error ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace brainserve::bench
