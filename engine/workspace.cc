#include "engine/workspace.h"

#include <cstdlib>
#include <new>

#include "engine/bf16_convert.h"
#include "engine/dnnl_util.h"

namespace brainserve::engine {

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

void* AlignedBuffer::Reserve(size_t bytes) {
  if (bytes <= capacity_ && data_ != nullptr) return data_;
  constexpr size_t kAlignment = 64;
  const size_t rounded = ((bytes + kAlignment - 1) / kAlignment) * kAlignment;
  void* fresh =
      std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (fresh == nullptr) throw std::bad_alloc();
  std::free(data_);
  data_ = fresh;
  capacity_ = rounded;
  return data_;
}

Workspace::Workspace() : stream_(CpuEngine()) {}

const uint16_t* Workspace::RoundToBf16(const float* src, int64_t count) {
  auto* rounded = static_cast<uint16_t*>(
      buffers_[kBf16Input].Reserve(count * sizeof(uint16_t)));
  FloatsToBf16(src, count, rounded);
  return rounded;
}

void Workspace::Execute(const void* plan_key, const dnnl::primitive& primitive,
                        const dnnl::memory::desc& src_md, const void* src,
                        const dnnl::memory::desc& dst_md, float* dst,
                        const dnnl::memory::desc& scratchpad_md,
                        const dnnl::memory& weights, const dnnl::memory* bias) {
  void* scratchpad = Scratchpad(scratchpad_md.get_size());
  auto [it, inserted] = bound_.try_emplace(plan_key);
  BoundMemories& bound = it->second;
  if (inserted) {
    const dnnl::engine& engine = CpuEngine();
    bound.src = dnnl::memory(src_md, engine, const_cast<void*>(src));
    bound.dst = dnnl::memory(dst_md, engine, dst);
    bound.scratchpad = dnnl::memory(scratchpad_md, engine, scratchpad);
  } else {
    bound.src.set_data_handle(const_cast<void*>(src));
    bound.dst.set_data_handle(dst);
    bound.scratchpad.set_data_handle(scratchpad);
  }
  dnnl_exec_arg_t args[5] = {
      {DNNL_ARG_SRC, bound.src.get()},
      {DNNL_ARG_WEIGHTS, weights.get()},
      {DNNL_ARG_DST, bound.dst.get()},
      {DNNL_ARG_SCRATCHPAD, bound.scratchpad.get()},
      {DNNL_ARG_BIAS, bias != nullptr ? bias->get() : nullptr},
  };
  const int num_args = bias != nullptr ? 5 : 4;
  dnnl::error::wrap_c_api(
      dnnl_primitive_execute(primitive.get(), stream_.get(), num_args, args),
      "could not execute a primitive");
}

WorkspacePool::Lease WorkspacePool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      std::unique_ptr<Workspace> workspace = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(workspace));
    }
  }
  return Lease(this, std::make_unique<Workspace>());
}

void WorkspacePool::Release(std::unique_ptr<Workspace> workspace) {
  absl::MutexLock lock(&mu_);
  free_.push_back(std::move(workspace));
}

}  // namespace brainserve::engine
