// Internal to server/metrics: the per-(method, code) request series of one
// model label value.
#ifndef BRAINSERVE_SERVER_METRICS_REQUEST_METRICS_H_
#define BRAINSERVE_SERVER_METRICS_REQUEST_METRICS_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "server/metrics/lazy_metric.h"
#include "server/metrics/metric_schema.h"
#include "server/metrics/reporter.h"

namespace brainserve::metrics::internal {

// brainserve_requests_total{method,code} and
// brainserve_request_duration_seconds{method} for one model label value.
// Series are created lazily on first use (so the exposition lists only
// combinations that happened) and are found by array index afterwards.
//
// Thread safety: Record() and AppendTo() may run concurrently.
class RequestMetrics {
 public:
  RequestMetrics() = default;
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // Counts one finished request and observes its duration. Methods outside
  // the enum are ignored; codes outside 0..16 count as UNKNOWN.
  void Record(Method method, absl::StatusCode code, double seconds);

  // Appends this object's samples, labelled model=`model`, to
  // (*families)[kRequestsTotal] and (*families)[kRequestDuration].
  void AppendTo(const std::string& model,
                std::vector<prometheus::MetricFamily>* families) const;

 private:
  // Indexed by method * kNumStatusCodes + StatusCodeIndex(code).
  std::array<LazyMetric<prometheus::Counter>, kNumMethods * kNumStatusCodes>
      requests_;
  // Indexed by method.
  std::array<LazyMetric<prometheus::Histogram>, kNumMethods> durations_;
};

}  // namespace brainserve::metrics::internal

#endif  // BRAINSERVE_SERVER_METRICS_REQUEST_METRICS_H_
