// Internal to server/metrics: the ModelReporter behind PrometheusReporter.
#ifndef BRAINSERVE_SERVER_METRICS_MODEL_METRICS_H_
#define BRAINSERVE_SERVER_METRICS_MODEL_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "server/metrics/lazy_metric.h"
#include "server/metrics/metric_schema.h"
#include "server/metrics/reporter.h"
#include "server/metrics/request_metrics.h"

namespace brainserve::metrics::internal {

// All series of one model. The object OWNS its prometheus metric objects
// (they are not registered in any prometheus::Family); the exporter reaches
// them only through AppendTo() while the model is live. This is what makes
// removal safe: RemoveModel drops the exporter's shared_ptr, the series stop
// being exported at once, and the metric memory lives until the last handle
// (e.g. an in-flight request) lets go. Nothing is ever freed under a
// concurrent recorder, unlike prometheus::Family::Remove.
//
// Thread safety: every method may be called concurrently.
class ModelMetrics final : public ModelReporter {
 public:
  explicit ModelMetrics(std::string model);

  const std::string& model() const { return model_; }

  void RecordRequest(Method method, absl::StatusCode code,
                     double seconds) override;
  void RecordQueueSeconds(double seconds) override;
  void RecordComputeSeconds(double seconds) override;
  void RecordBatchRows(int64_t rows) override;
  void SetQueueDepth(int64_t depth) override;
  void SetQueueCapacity(int64_t capacity) override;
  void SetVersion(uint64_t version) override;
  void RecordParameterUpdate(absl::StatusCode code, double seconds) override;
  void SetStoreLogEntries(int64_t entries) override;
  void RecordUpdateQueueSeconds(double seconds) override;
  void SetPendingUpdates(int64_t pending) override;

  // Appends this model's samples, labelled model=model(), to `families`
  // (indexed by ModelFamily).
  void AppendTo(std::vector<prometheus::MetricFamily>* families) const;

 private:
  const std::string model_;
  RequestMetrics requests_;
  prometheus::Histogram queue_duration_;
  prometheus::Histogram compute_duration_;
  prometheus::Histogram batch_rows_;
  prometheus::Gauge queue_depth_;
  // Created by the first SetQueueCapacity, so an unset capacity is absent
  // rather than 0 (a 0 would turn depth/capacity alerts into +Inf).
  LazyMetric<prometheus::Gauge> queue_capacity_;
  prometheus::Gauge version_;
  // Indexed by StatusCodeIndex(code).
  std::array<LazyMetric<prometheus::Counter>, kNumStatusCodes>
      parameter_updates_;
  prometheus::Histogram parameter_update_duration_;
  prometheus::Gauge store_log_entries_;
  prometheus::Histogram update_queue_duration_;
  prometheus::Gauge pending_updates_;
};

}  // namespace brainserve::metrics::internal

#endif  // BRAINSERVE_SERVER_METRICS_MODEL_METRICS_H_
