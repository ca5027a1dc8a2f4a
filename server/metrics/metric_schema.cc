#include "server/metrics/metric_schema.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/metric_type.h"

namespace brainserve::metrics::internal {
namespace {

prometheus::MetricFamily Family(const char* name, const char* help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> NewModelFamilies() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families(kNumModelFamilies);
  families[kRequestsTotal] =
      Family("brainserve_requests_total",
             "Finished ModelService RPCs by model, method and gRPC status "
             "code. model is empty for requests not attributable to a served "
             "model.",
             MetricType::Counter);
  families[kRequestDuration] =
      Family("brainserve_request_duration_seconds",
             "Server-side latency of finished ModelService RPCs, from receipt "
             "to completion.",
             MetricType::Histogram);
  families[kQueueDuration] =
      Family("brainserve_queue_duration_seconds",
             "Time a Forward request waited in the batching queue before its "
             "batch started computing.",
             MetricType::Histogram);
  families[kComputeDuration] = Family(
      "brainserve_compute_duration_seconds",
      "Wall time of one executed batch in the engine.", MetricType::Histogram);
  families[kBatchSize] = Family("brainserve_batch_size",
                                "Rows per executed batch (sum of the batch "
                                "dimension of the requests it contains).",
                                MetricType::Histogram);
  families[kQueueDepth] =
      Family("brainserve_queue_depth",
             "Forward requests currently waiting in the model's batching "
             "queue.",
             MetricType::Gauge);
  families[kQueueCapacity] = Family(
      "brainserve_queue_capacity",
      "Bound of the model's batching queue (max_queue_size), in requests.",
      MetricType::Gauge);
  families[kModelVersion] =
      Family("brainserve_model_version",
             "Current parameter version of the model; increases with every "
             "successful UpdateParameters.",
             MetricType::Gauge);
  families[kParameterUpdatesTotal] =
      Family("brainserve_parameter_updates_total",
             "UpdateParameters attempts by model and gRPC status code.",
             MetricType::Counter);
  families[kParameterUpdateDuration] =
      Family("brainserve_parameter_update_duration_seconds",
             "Time to validate and install a new parameter snapshot.",
             MetricType::Histogram);
  families[kStoreLogEntries] =
      Family("brainserve_store_log_entries",
             "Parameter updates in the model store's log after the model's "
             "latest stored snapshot (what a restart replays).",
             MetricType::Gauge);
  families[kUpdateQueueDuration] =
      Family("brainserve_update_queue_duration_seconds",
             "Time one UpdateParameters waited behind the model's earlier "
             "updates before it started.",
             MetricType::Histogram);
  families[kPendingUpdates] =
      Family("brainserve_pending_updates",
             "UpdateParameters calls queued or running for the model (at "
             "most --max_pending_updates).",
             MetricType::Gauge);
  return families;
}

const std::vector<double>& DurationBucketsSeconds() {
  static const std::vector<double>* const kBuckets = new std::vector<double>{
      1e-5,   2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2,
      2.5e-2, 5e-2,   0.1,  0.25, 0.5,    1.0,  2.5,  5.0,    10.0};
  return *kBuckets;
}

const std::vector<double>& BatchRowsBuckets() {
  static const std::vector<double>* const kBuckets = [] {
    auto* buckets = new std::vector<double>;
    for (int rows = 1; rows <= 1024; rows *= 2) buckets->push_back(rows);
    return buckets;
  }();
  return *kBuckets;
}

std::string StatusCodeLabel(int index) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(index));
}

}  // namespace brainserve::metrics::internal
