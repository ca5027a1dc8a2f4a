// Runs a whole load-generation session: connects, reads the model's input
// shape with GetModel, builds the requests, then measures every level.
//
// A plain level:
//  1. warm-up for warmup_ms, then stop and drain, so the server is idle;
//  2. scrape /metrics (before), start the load again and take windows of
//     window_ms; stop once the last `stable_windows` window throughputs agree
//     within stability_pct and at least min_windows were taken, or at
//     max_duration_s / max_requests;
//  3. stop, drain every outstanding call, scrape /metrics (after; re-scraped
//     until the server has counted every call, up to 2 s).
// Throughput and latency cover the last max(min_windows, stable_windows)
// windows; the status counts cover every call sent in step 2, which is what
// the server's requests_total delta counts too.
//
// With --update-rate a level is instead measured in alternating drained and
// scraped segments of window_ms, without and with updates, and yields a
// "baseline" and an "updates" report covering all of their segments
// (runner_updates.cc). It stops after a pair once both sides are stable and
// have min_windows segments, or at the caps (checked after each pair; the
// request cap applies to each side).
//
// Thread safety: a Runner is used by one thread.
#ifndef BRAINSERVE_CLIENT_LOADGEN_RUNNER_H_
#define BRAINSERVE_CLIENT_LOADGEN_RUNNER_H_

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "client/loadgen/config.h"
#include "client/loadgen/forward_driver.h"
#include "client/loadgen/request_driver.h"
#include "client/loadgen/latency_stats.h"
#include "client/loadgen/level_report.h"
#include "client/loadgen/measurement.h"
#include "client/loadgen/update_driver.h"
#include "client/loadgen/version_tracker.h"

namespace brainserve::loadgen {

class Runner {
 public:
  static absl::StatusOr<std::unique_ptr<Runner>> Create(
      const LoadgenConfig& config);

  // Measures every configured level in order.
  absl::StatusOr<std::vector<LevelReport>> Run();

  // The first request of the pool (for --dump-request).
  const brainserve::v1::ForwardRequest& first_request() const {
    return first_request_;
  }
  const brainserve::v1::ModelInfo& model_info() const { return model_info_; }

 private:
  explicit Runner(const LoadgenConfig& config) : config_(config) {}

  // One plain level. `concurrency` > 0 selects closed loop, else `rate`.
  absl::StatusOr<LevelReport> RunPhase(int concurrency, double rate);
  // One level with --update-rate: alternating segments without and with
  // updates; returns the "baseline" and the "updates" report.
  absl::StatusOr<std::vector<LevelReport>> RunUpdateLevel(int concurrency,
                                                          double rate);
  // One drained, scraped segment of `window_ms` (see RunUpdateLevel).
  struct Segment;
  Segment RunSegment(int concurrency, double rate, int64_t max_calls,
                     bool with_updates, PhaseTally* tally);

  LevelReport NewReport(int concurrency, double rate,
                        const std::string& phase) const;
  int ReportedWindows() const {
    return std::max(config_.min_windows, config_.stable_windows);
  }
  // Runs the load for warmup_ms, then stops and drains it.
  void WarmUp(int concurrency, double rate);
  void StartLoad(int concurrency, double rate, int64_t max_calls);
  // Takes windows until the stability rule or a cap stops the phase.
  std::vector<Window> MeasureWindows(int64_t level_end_ns, PhaseTally* tally,
                                     LevelReport* report);
  ServerCounters ScrapeOrEmpty(bool* ok) const;
  // Scrapes until the server has counted `sent` calls more than `before`
  // (at most 2 s); *ok is false when scraping is off or failed.
  ServerCounters ScrapeSettled(const ServerCounters& before, int64_t sent,
                               bool* ok) const;
  // The server-side delta since `before`, once the server counted `sent`.
  ServerSplit ScrapeAfter(const ServerCounters& before, int64_t sent) const;

  const LoadgenConfig config_;
  brainserve::v1::ModelInfo model_info_;
  brainserve::v1::ForwardRequest first_request_;
  VersionTracker versions_;
  // ForwardDriver (gRPC: Forward or ModelInfer) or HttpDriver.
  std::unique_ptr<RequestDriver> forward_driver_;
  std::unique_ptr<UpdateDriver> update_driver_;
  int64_t phase_index_ = 0;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_RUNNER_H_
