// Internal to server/metrics: the names, help texts, types and bucket layouts
// of every brainserve_* metric, in one place. Includes prometheus-cpp, so it
// must only be included by server/metrics/*.cc and its tests.
#ifndef BRAINSERVE_SERVER_METRICS_METRIC_SCHEMA_H_
#define BRAINSERVE_SERVER_METRICS_METRIC_SCHEMA_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/metric_family.h"

namespace brainserve::metrics::internal {

// Families whose series carry a `model` label, in exposition order. Collect()
// builds one prometheus::MetricFamily per entry, indexed by this enum.
enum ModelFamily {
  kRequestsTotal,
  kRequestDuration,
  kQueueDuration,
  kComputeDuration,
  kBatchSize,
  kQueueDepth,
  kQueueCapacity,
  kModelVersion,
  kParameterUpdatesTotal,
  kParameterUpdateDuration,
  kStoreLogEntries,
  kUpdateQueueDuration,
  kPendingUpdates,
  kNumModelFamilies,
};

// Server-wide metric names (built through prometheus::Registry).
inline constexpr char kInflightRequestsName[] = "brainserve_inflight_requests";
inline constexpr char kModelsName[] = "brainserve_models";
inline constexpr char kBuildInfoName[] = "brainserve_build_info";
inline constexpr char kStoreCommitDurationName[] =
    "brainserve_store_commit_duration_seconds";
inline constexpr char kStoreCommitFailuresName[] =
    "brainserve_store_commit_failures_total";
inline constexpr char kStoreSnapshotDurationName[] =
    "brainserve_store_snapshot_duration_seconds";
inline constexpr char kStoreUpName[] = "brainserve_store_up";
inline constexpr char kApplyLagName[] =
    "brainserve_replication_apply_lag_seconds";
inline constexpr char kAuthDeniedName[] = "brainserve_auth_denied_total";

// absl::StatusCode values 0..16 map 1:1 to gRPC canonical codes.
inline constexpr int kNumStatusCodes = 17;

// Returns empty families (name, help, type set; no samples) indexed by
// ModelFamily.
std::vector<prometheus::MetricFamily> NewModelFamilies();

// Bucket upper bounds for every *_duration_seconds histogram: 1-2.5-5 steps
// from 10 us to 10 s.
const std::vector<double>& DurationBucketsSeconds();

// Bucket upper bounds for brainserve_batch_size: 1, 2, 4, ..., 1024 rows.
const std::vector<double>& BatchRowsBuckets();

// Index of `code` into per-code arrays; codes outside 0..16 count as UNKNOWN.
inline int StatusCodeIndex(absl::StatusCode code) {
  const int index = static_cast<int>(code);
  return (index >= 0 && index < kNumStatusCodes)
             ? index
             : static_cast<int>(absl::StatusCode::kUnknown);
}

// Canonical gRPC code name ("OK", "INVALID_ARGUMENT", ...) for an index
// returned by StatusCodeIndex.
std::string StatusCodeLabel(int index);

// Negative durations (clock steps) count as 0; NaN is dropped (returns false).
inline bool SanitizeSeconds(double* seconds) {
  if (std::isnan(*seconds)) return false;
  if (*seconds < 0) *seconds = 0;
  return true;
}

}  // namespace brainserve::metrics::internal

#endif  // BRAINSERVE_SERVER_METRICS_METRIC_SCHEMA_H_
