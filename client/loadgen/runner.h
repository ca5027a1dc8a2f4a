// Runs a whole load-generation session: connects, reads the model's input
// shape with GetModel, builds the requests, then measures every level.
//
// Per level (and per phase: with --update-rate each level runs a "baseline"
// phase without updates, then an "updates" phase with them):
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
// Thread safety: a Runner is used by one thread.
#ifndef BRAINSERVE_CLIENT_LOADGEN_RUNNER_H_
#define BRAINSERVE_CLIENT_LOADGEN_RUNNER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "client/loadgen/config.h"
#include "client/loadgen/forward_driver.h"
#include "client/loadgen/latency_stats.h"
#include "client/loadgen/level_report.h"
#include "client/loadgen/update_driver.h"
#include "client/loadgen/version_tracker.h"

namespace brainserve::loadgen {

// One measurement window's completions.
struct Window {
  double seconds = 0;
  int64_t ok = 0;
  LatencySamples latency;  // OK calls only
};

// Every completion of a measured phase, by status code.
struct PhaseTally {
  std::map<int32_t, int64_t> codes;  // grpc::StatusCode -> calls
  int64_t version_regressions = 0;
  int64_t bad_responses = 0;

  // Counts `records`; OK ones also go into `window` when it is not null.
  void Add(const std::vector<CallRecord>& records, Window* window);
  void WriteTo(LevelReport* report) const;
};

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

  // One level/phase. `concurrency` > 0 selects closed loop, else `rate`.
  absl::StatusOr<LevelReport> RunPhase(int concurrency, double rate,
                                       const std::string& phase,
                                       bool with_updates);
  void StartLoad(int concurrency, double rate, int64_t max_calls);
  // Takes windows until the stability rule or a cap stops the phase.
  std::vector<Window> MeasureWindows(int64_t level_end_ns, PhaseTally* tally,
                                     LevelReport* report);
  // Stops the update driver and records its results in `report`.
  void CollectUpdates(LevelReport* report);
  ServerCounters ScrapeOrEmpty(bool* ok) const;
  // The server-side delta since `before`, once the server counted `sent`.
  ServerSplit ScrapeAfter(const ServerCounters& before, int64_t sent) const;

  const LoadgenConfig config_;
  brainserve::v1::ModelInfo model_info_;
  brainserve::v1::ForwardRequest first_request_;
  VersionTracker versions_;
  std::unique_ptr<ForwardDriver> forward_driver_;
  std::unique_ptr<UpdateDriver> update_driver_;
  int64_t phase_index_ = 0;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_RUNNER_H_
