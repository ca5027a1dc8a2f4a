// A cache of execution plans (oneDNN primitives and descriptors) indexed by
// thread class (an entry of CompiledThreadCounts(): oneDNN fixes a
// primitive's thread decomposition when it is created) and the number of
// samples in a pass, 1..max_rows. Each plan is created once,
// on first use, and never destroyed before the cache; lookups after creation
// are a single atomic load (no lock), so concurrent Forward() calls do not
// contend. Creation is serialized by a mutex.
//
// Plans are per row count (not oneDNN runtime dimensions) on purpose: the
// fixed-shape brgemm/conv kernels are faster than the runtime-M gemm and,
// measured on oneDNN 2.6, compute every row bitwise identically whatever the
// row count, which runtime-M gemm does not (see docs in sequential_model.h).
#ifndef BRAINSERVE_ENGINE_PLAN_CACHE_H_
#define BRAINSERVE_ENGINE_PLAN_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/dnnl_util.h"

namespace brainserve::engine {

template <typename Plan>
class PlanCache {
 public:
  PlanCache(int64_t max_rows, int thread_classes)
      : max_rows_(max_rows),
        thread_classes_(thread_classes),
        slots_(new std::atomic<const Plan*>[(max_rows + 1) * thread_classes]) {
    for (int64_t i = 0; i < (max_rows + 1) * thread_classes; ++i) {
      slots_[i].store(nullptr);
    }
  }
  PlanCache(const PlanCache&) = delete;
  PlanCache& operator=(const PlanCache&) = delete;

  int64_t max_rows() const { return max_rows_; }
  int thread_classes() const { return thread_classes_; }

  // The plan for `rows` (1 <= rows <= max_rows) in the calling thread's
  // class (ThreadClass()), built by `make(rows, thread_class)` (returning
  // std::unique_ptr<Plan>) on first use, under that OpenMP setting. `make`
  // may throw (dnnl::error); then nothing is cached and the exception
  // propagates.
  template <typename MakeFn>
  const Plan& Get(int64_t rows, MakeFn&& make) {
    const int thread_class = ThreadClass(thread_classes_);
    std::atomic<const Plan*>& slot =
        slots_[thread_class * (max_rows_ + 1) + rows];
    const Plan* plan = slot.load(std::memory_order_acquire);
    if (plan != nullptr) return *plan;
    absl::MutexLock lock(&mu_);
    plan = slot.load(std::memory_order_relaxed);
    if (plan != nullptr) return *plan;
    std::unique_ptr<Plan> fresh = make(rows, thread_class);
    plan = fresh.get();
    owned_.push_back(std::move(fresh));
    slot.store(plan, std::memory_order_release);
    return *plan;
  }

 private:
  const int64_t max_rows_;
  const int thread_classes_;
  std::unique_ptr<std::atomic<const Plan*>[]> slots_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Plan>> owned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_PLAN_CACHE_H_
