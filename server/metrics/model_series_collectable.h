// Internal to server/metrics: the prometheus::Collectable that exports every
// series carrying a `model` label.
#ifndef BRAINSERVE_SERVER_METRICS_MODEL_SERIES_COLLECTABLE_H_
#define BRAINSERVE_SERVER_METRICS_MODEL_SERIES_COLLECTABLE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "server/metrics/model_metrics.h"
#include "server/metrics/request_metrics.h"

namespace brainserve::metrics::internal {

// Keeps the set of live models and exports their series, plus the
// unattributed requests (model=""), as one MetricFamily per metric name, so
// each name gets exactly one HELP/TYPE header.
//
// Why not prometheus::Family: Family::Add returns the existing object for a
// known label set and Family::Remove deletes it, so a handle held by an
// in-flight request after removal would dangle, and a model re-created under
// the same name would share (and then lose) the old object. Here the
// ModelMetrics objects are reference-counted and never registered anywhere:
// "live" means "in models_", nothing else.
//
// Thread safety: all methods may be called concurrently. mu_ guards only the
// name -> model map; Collect() copies the live shared_ptrs under it and reads
// the metric values (atomics) after releasing it, so scrapes never block
// recording and recording never takes mu_.
class ModelSeriesCollectable final : public prometheus::Collectable {
 public:
  ModelSeriesCollectable() = default;

  // Returns the live model's metrics, creating them if `model` is not live.
  std::shared_ptr<ModelMetrics> AddModel(const std::string& model)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Stops exporting the model's series. No-op for unknown names.
  void RemoveModel(const std::string& model) ABSL_LOCKS_EXCLUDED(mu_);
  // Requests recorded with model="".
  RequestMetrics& unattributed() { return unattributed_; }

  // Families in ModelFamily order; families without samples are omitted.
  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  // Ordered so the exposition is deterministic.
  std::map<std::string, std::shared_ptr<ModelMetrics>> models_
      ABSL_GUARDED_BY(mu_);
  RequestMetrics unattributed_;
};

}  // namespace brainserve::metrics::internal

#endif  // BRAINSERVE_SERVER_METRICS_MODEL_SERIES_COLLECTABLE_H_
