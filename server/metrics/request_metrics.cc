#include "server/metrics/request_metrics.h"

#include <string>
#include <vector>

#include "prometheus/client_metric.h"

namespace brainserve::metrics::internal {

void RequestMetrics::Record(Method method, absl::StatusCode code,
                            double seconds) {
  const int method_index = static_cast<int>(method);
  if (method_index < 0 || method_index >= kNumMethods) return;
  requests_[method_index * kNumStatusCodes + StatusCodeIndex(code)]
      .GetOrCreate()
      .Increment();
  if (!SanitizeSeconds(&seconds)) return;
  durations_[method_index]
      .GetOrCreate(DurationBucketsSeconds())
      .Observe(seconds);
}

void RequestMetrics::AppendTo(
    const std::string& model,
    std::vector<prometheus::MetricFamily>* families) const {
  for (int m = 0; m < kNumMethods; ++m) {
    const std::string method(MethodName(static_cast<Method>(m)));
    for (int c = 0; c < kNumStatusCodes; ++c) {
      const prometheus::Counter* counter =
          requests_[m * kNumStatusCodes + c].get();
      if (counter == nullptr) continue;
      prometheus::ClientMetric sample = counter->Collect();
      sample.label = {
          {"model", model}, {"method", method}, {"code", StatusCodeLabel(c)}};
      (*families)[kRequestsTotal].metric.push_back(std::move(sample));
    }
    if (const prometheus::Histogram* histogram = durations_[m].get()) {
      prometheus::ClientMetric sample = histogram->Collect();
      sample.label = {{"model", model}, {"method", method}};
      (*families)[kRequestDuration].metric.push_back(std::move(sample));
    }
  }
}

}  // namespace brainserve::metrics::internal
