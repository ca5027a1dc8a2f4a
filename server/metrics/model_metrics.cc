#include "server/metrics/model_metrics.h"

#include <string>
#include <utility>
#include <vector>

#include "prometheus/client_metric.h"

namespace brainserve::metrics::internal {
namespace {

// Collects `metric` labelled model=`model` into `family`.
template <typename T>
void AppendSample(const T& metric, const std::string& model,
                  prometheus::MetricFamily* family) {
  prometheus::ClientMetric sample = metric.Collect();
  sample.label = {{"model", model}};
  family->metric.push_back(std::move(sample));
}

}  // namespace

ModelMetrics::ModelMetrics(std::string model)
    : model_(std::move(model)),
      queue_duration_(DurationBucketsSeconds()),
      compute_duration_(DurationBucketsSeconds()),
      batch_rows_(BatchRowsBuckets()),
      parameter_update_duration_(DurationBucketsSeconds()),
      update_queue_duration_(DurationBucketsSeconds()) {
  // The outcomes an update can have exist at 0 from the start, so rate() and
  // alerts on them see a series before the first failure (Prometheus's
  // advice for known label values). Other codes still appear on first use.
  for (absl::StatusCode code :
       {absl::StatusCode::kOk, absl::StatusCode::kInvalidArgument,
        absl::StatusCode::kNotFound, absl::StatusCode::kFailedPrecondition,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kUnavailable,
        absl::StatusCode::kInternal}) {
    parameter_updates_[StatusCodeIndex(code)].GetOrCreate();
  }
}

void ModelMetrics::RecordRequest(Method method, absl::StatusCode code,
                                 double seconds) {
  requests_.Record(method, code, seconds);
}

void ModelMetrics::RecordQueueSeconds(double seconds) {
  if (SanitizeSeconds(&seconds)) queue_duration_.Observe(seconds);
}

void ModelMetrics::RecordComputeSeconds(double seconds) {
  if (SanitizeSeconds(&seconds)) compute_duration_.Observe(seconds);
}

void ModelMetrics::RecordBatchRows(int64_t rows) {
  if (rows >= 0) batch_rows_.Observe(static_cast<double>(rows));
}

void ModelMetrics::SetQueueDepth(int64_t depth) {
  queue_depth_.Set(static_cast<double>(depth));
}

void ModelMetrics::SetQueueCapacity(int64_t capacity) {
  queue_capacity_.GetOrCreate().Set(static_cast<double>(capacity));
}

void ModelMetrics::SetVersion(uint64_t version) {
  version_.Set(static_cast<double>(version));
}

void ModelMetrics::RecordParameterUpdate(absl::StatusCode code,
                                         double seconds) {
  parameter_updates_[StatusCodeIndex(code)].GetOrCreate().Increment();
  if (SanitizeSeconds(&seconds)) parameter_update_duration_.Observe(seconds);
}

void ModelMetrics::SetStoreLogEntries(int64_t entries) {
  store_log_entries_.Set(static_cast<double>(entries));
}

void ModelMetrics::RecordUpdateQueueSeconds(double seconds) {
  if (SanitizeSeconds(&seconds)) update_queue_duration_.Observe(seconds);
}

void ModelMetrics::SetPendingUpdates(int64_t pending) {
  pending_updates_.Set(static_cast<double>(pending));
}

void ModelMetrics::AppendTo(
    std::vector<prometheus::MetricFamily>* families) const {
  requests_.AppendTo(model_, families);
  AppendSample(queue_duration_, model_, &(*families)[kQueueDuration]);
  AppendSample(compute_duration_, model_, &(*families)[kComputeDuration]);
  AppendSample(batch_rows_, model_, &(*families)[kBatchSize]);
  AppendSample(queue_depth_, model_, &(*families)[kQueueDepth]);
  if (const prometheus::Gauge* capacity = queue_capacity_.get()) {
    AppendSample(*capacity, model_, &(*families)[kQueueCapacity]);
  }
  AppendSample(version_, model_, &(*families)[kModelVersion]);
  for (int c = 0; c < kNumStatusCodes; ++c) {
    const prometheus::Counter* counter = parameter_updates_[c].get();
    if (counter == nullptr) continue;
    prometheus::ClientMetric sample = counter->Collect();
    sample.label = {{"model", model_}, {"code", StatusCodeLabel(c)}};
    (*families)[kParameterUpdatesTotal].metric.push_back(std::move(sample));
  }
  AppendSample(parameter_update_duration_, model_,
               &(*families)[kParameterUpdateDuration]);
  AppendSample(store_log_entries_, model_, &(*families)[kStoreLogEntries]);
  AppendSample(update_queue_duration_, model_,
               &(*families)[kUpdateQueueDuration]);
  AppendSample(pending_updates_, model_, &(*families)[kPendingUpdates]);
}

}  // namespace brainserve::metrics::internal
