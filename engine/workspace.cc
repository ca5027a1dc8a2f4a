#include "engine/workspace.h"

#include <cstdlib>
#include <new>

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
