// The server-side view of a measurement: per-model counters read from the
// brainserve /metrics exposition before and after a phase, and their delta
// (requests by gRPC code, mean queue and compute time, mean batch size,
// parameter updates).
//
// Thread safety: value types and stateless functions.
#ifndef BRAINSERVE_CLIENT_LOADGEN_SERVER_METRICS_H_
#define BRAINSERVE_CLIENT_LOADGEN_SERVER_METRICS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/loadgen/prometheus_text.h"

namespace brainserve::loadgen {

// Cumulative per-model series at one instant.
struct ServerCounters {
  // brainserve_requests_total{model,method="Forward" or "ModelInfer"} by
  // `code` label.
  std::map<std::string, double> forward_by_code;
  double queue_sum_s = 0;    // brainserve_queue_duration_seconds_sum
  double queue_count = 0;    // ..._count
  double compute_sum_s = 0;  // brainserve_compute_duration_seconds_sum
  double compute_count = 0;
  double batch_rows_sum = 0;  // brainserve_batch_size_sum
  double batch_count = 0;     // brainserve_batch_size_count
  double update_sum_s = 0;    // brainserve_parameter_update_duration_seconds
  double update_count = 0;

  double ForwardTotal() const;
};

// The difference between two ServerCounters, with derived means.
struct ServerSplit {
  bool available =
      false;  // false when no metrics URL was given or scraping failed
  std::map<std::string, double> forward_by_code;  // delta per code
  double forward_total = 0;
  double queue_mean_us = 0;    // mean queue wait per request
  double compute_mean_us = 0;  // mean compute time per executed batch
  double batch_size_mean = 0;  // mean rows per executed batch
  double batches = 0;          // executed batches
  double updates = 0;          // parameter updates observed
  double update_mean_us = 0;   // mean server-side update duration
};

ServerCounters ExtractCounters(const MetricsSnapshot& snapshot,
                               const std::string& model);

ServerSplit DiffCounters(const ServerCounters& before,
                         const ServerCounters& after);

// Field-by-field `after - before`, and `*total += delta`, for summing the
// deltas of several separate segments.
ServerCounters SubtractCounters(const ServerCounters& after,
                                const ServerCounters& before);
void AddCounters(const ServerCounters& delta, ServerCounters* total);

// Scrapes `metrics_url` and extracts `model`'s counters.
absl::StatusOr<ServerCounters> ScrapeCounters(const std::string& metrics_url,
                                              const std::string& model,
                                              absl::Duration timeout);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_SERVER_METRICS_H_
