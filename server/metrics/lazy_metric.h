// Internal to server/metrics: a metric object created on first use.
#ifndef BRAINSERVE_SERVER_METRICS_LAZY_METRIC_H_
#define BRAINSERVE_SERVER_METRICS_LAZY_METRIC_H_

#include <atomic>

#include "absl/base/optimization.h"

namespace brainserve::metrics::internal {

// Holds at most one T, created on the first GetOrCreate() and owned until
// destruction. The fast path is one acquire load; creation is lock-free (racing
// creators compare-and-swap, the loser deletes its copy), so a lazily created
// series never takes a lock shared with other threads.
//
// Thread safety: GetOrCreate() and get() may be called concurrently.
template <typename T>
class LazyMetric {
 public:
  LazyMetric() = default;
  LazyMetric(const LazyMetric&) = delete;
  LazyMetric& operator=(const LazyMetric&) = delete;
  ~LazyMetric() { delete metric_.load(std::memory_order_acquire); }

  // Returns the metric, constructing it as T(args...) on first use.
  template <typename... Args>
  T& GetOrCreate(const Args&... args) {
    T* metric = metric_.load(std::memory_order_acquire);
    if (ABSL_PREDICT_TRUE(metric != nullptr)) return *metric;
    T* fresh = new T(args...);
    if (metric_.compare_exchange_strong(metric, fresh,
                                        std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
      return *fresh;
    }
    delete fresh;  // Another thread won; `metric` now holds its object.
    return *metric;
  }

  // The metric, or nullptr if it was never created.
  const T* get() const { return metric_.load(std::memory_order_acquire); }

 private:
  std::atomic<T*> metric_{nullptr};
};

}  // namespace brainserve::metrics::internal

#endif  // BRAINSERVE_SERVER_METRICS_LAZY_METRIC_H_
