// Per-Forward scratch memory: activation ping-pong buffers, kernel buffers
// and the oneDNN scratchpad, plus a oneDNN stream. Buffers only grow, so a
// workspace reused across calls stops allocating after warm-up.
//
// A Workspace is used by one thread at a time; WorkspacePool hands them out
// (a short mutex around a free list) so concurrent Forward() calls never
// share one, and returns them when the Lease is destroyed.
#ifndef BRAINSERVE_ENGINE_WORKSPACE_H_
#define BRAINSERVE_ENGINE_WORKSPACE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dnnl.hpp"

namespace brainserve::engine {

// Growable, 64-byte aligned, uninitialized storage.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer();
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // At least `bytes` bytes; previous contents are not preserved on growth.
  void* Reserve(size_t bytes);

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

class Workspace {
 public:
  enum Slot {
    kActivation0 = 0,  // ping-pong buffers between layers
    kActivation1,
    kConvInput,        // conv pre-processing (lhs dilation, negative padding)
    kLayerNormGather,  // LayerNorm gather for non-contiguous reduction axes
    kMask,             // a mask materialized for the rows of one pass
    kBf16Input,        // a bf16 layer's input rounded to bfloat16
    kNumSlots,
  };

  Workspace();

  float* Buffer(Slot slot, size_t floats) {
    return static_cast<float*>(buffers_[slot].Reserve(floats * sizeof(float)));
  }
  // `src` (`count` floats) rounded to bfloat16 (FloatsToBf16) in the
  // kBf16Input slot: a bf16 kernel's input.
  const uint16_t* RoundToBf16(const float* src, int64_t count);
  void* Scratchpad(size_t bytes) { return scratchpad_.Reserve(bytes); }
  dnnl::stream& stream() { return stream_; }

  // Runs `primitive` (a matmul or convolution whose plan is `plan_key`) on
  // caller-owned src/dst buffers (src of the type `src_md` says). The src, dst
  // and scratchpad memory objects are created on this workspace's first run of
  // the plan and re-pointed with set_data_handle afterwards, and the arguments
  // go to oneDNN as a stack array, so a warmed-up Forward allocates nothing
  // here. `bias` may be null. Throws dnnl::error.
  void Execute(const void* plan_key, const dnnl::primitive& primitive,
               const dnnl::memory::desc& src_md, const void* src,
               const dnnl::memory::desc& dst_md, float* dst,
               const dnnl::memory::desc& scratchpad_md,
               const dnnl::memory& weights, const dnnl::memory* bias);

 private:
  struct BoundMemories {
    dnnl::memory src;
    dnnl::memory dst;
    dnnl::memory scratchpad;
  };

  AlignedBuffer buffers_[kNumSlots];
  AlignedBuffer scratchpad_;
  dnnl::stream stream_;
  // Keyed by the plan; plans live as long as the model that owns this pool.
  absl::flat_hash_map<const void*, BoundMemories> bound_;
};

class WorkspacePool {
 public:
  // Returns its workspace to the pool on destruction.
  class Lease {
   public:
    Lease(WorkspacePool* pool, std::unique_ptr<Workspace> workspace)
        : pool_(pool), workspace_(std::move(workspace)) {}
    ~Lease() { pool_->Release(std::move(workspace_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Workspace& operator*() const { return *workspace_; }
    Workspace* operator->() const { return workspace_.get(); }

   private:
    WorkspacePool* pool_;
    std::unique_ptr<Workspace> workspace_;
  };

  // A free workspace, or a new one if all are in use. Thread-safe.
  Lease Acquire();

 private:
  void Release(std::unique_ptr<Workspace> workspace);

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Workspace>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_WORKSPACE_H_
