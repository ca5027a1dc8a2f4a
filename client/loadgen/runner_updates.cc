// Runner's updates-under-load mode (--update-rate): the level is measured in
// alternating segments of --window-ms, without updates ("baseline") and with
// them ("updates"). Each segment starts from a drained server, and /metrics
// is scraped around it, so every call is attributed to exactly one side.
// Alternating at a short period exposes both sides to the same background
// noise on a shared machine; separate long phases do not.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "client/loadgen/clock.h"
#include "client/loadgen/measurement.h"
#include "client/loadgen/runner.h"
#include "client/loadgen/stability.h"

namespace brainserve::loadgen {

struct Runner::Segment {
  Window window;
  int64_t sent = 0;
  double cpu_seconds = 0;
  bool scraped = false;
  ServerCounters server_delta;
  UpdateResults updates;
};

Runner::Segment Runner::RunSegment(int concurrency, double rate,
                                   int64_t max_calls, bool with_updates,
                                   PhaseTally* tally) {
  Segment segment;
  bool scraped_before = false;
  const ServerCounters before = ScrapeOrEmpty(&scraped_before);
  const double cpu_before = ProcessCpuSeconds();
  if (with_updates) update_driver_->Start();
  const int64_t start_ns = NowNs();
  StartLoad(concurrency, rate, max_calls);
  const int64_t wake_ns = start_ns + config_.window_ms * 1000000;
  while (NowNs() < wake_ns && !forward_driver_->budget_exhausted()) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(
        std::min<int64_t>(wake_ns - NowNs(), 20000000)));
  }
  segment.window.seconds = (NowNs() - start_ns) / 1e9;
  tally->Add(forward_driver_->TakeRecords(), &segment.window);
  forward_driver_->StopAndDrain();
  tally->Add(forward_driver_->TakeRecords(), nullptr);
  segment.sent = forward_driver_->issued();
  if (with_updates) {
    update_driver_->Stop();
    segment.updates = update_driver_->TakeResults();
  }
  segment.cpu_seconds = ProcessCpuSeconds() - cpu_before;
  if (scraped_before) {
    const ServerCounters after =
        ScrapeSettled(before, segment.sent, &segment.scraped);
    if (segment.scraped) segment.server_delta = SubtractCounters(after, before);
  }
  return segment;
}

absl::StatusOr<std::vector<LevelReport>> Runner::RunUpdateLevel(int concurrency,
                                                                double rate) {
  std::vector<LevelReport> reports = {NewReport(concurrency, rate, "baseline"),
                                      NewReport(concurrency, rate, "updates")};
  const int64_t level_end_ns =
      NowNs() + static_cast<int64_t>(config_.max_duration_s * 1e9);
  WarmUp(concurrency, rate);

  std::vector<Window> windows[2];
  std::vector<double> throughputs[2];
  PhaseTally tallies[2];
  ServerCounters server[2];
  bool scraped[2] = {true, true};
  double cpu_seconds[2] = {0, 0};
  LatencySamples update_latency;
  std::string stop_reason;
  for (int i = 0;; ++i) {
    const int side = i % 2;  // 0: baseline, 1: updates
    int64_t budget = 0;
    if (config_.max_requests > 0) {
      budget = config_.max_requests - reports[side].sent;
      if (budget <= 0) {
        stop_reason = "max-requests";
        break;
      }
    }
    Segment segment =
        RunSegment(concurrency, rate, budget, side == 1, &tallies[side]);
    reports[side].sent += segment.sent;
    cpu_seconds[side] += segment.cpu_seconds;
    scraped[side] = scraped[side] && segment.scraped;
    AddCounters(segment.server_delta, &server[side]);
    throughputs[side].push_back(segment.window.seconds > 0
                                    ? segment.window.ok / segment.window.seconds
                                    : 0);
    if (side == 1) {
      update_latency.Append(segment.updates.latency);
      for (const auto& [code, count] : segment.updates.codes) {
        reports[1].update_codes[GrpcCodeName(code)] += count;
      }
      reports[1].update_late_starts += segment.updates.late_starts;
    }
    windows[side].push_back(std::move(segment.window));
    if (config_.progress) {
      std::fprintf(stderr, "\r%-20s segment %3d (%s) %10.1f req/s   ",
                   reports[side].LoadLabel().c_str(), i + 1,
                   side == 1 ? "updates" : "baseline",
                   throughputs[side].back());
      std::fflush(stderr);
    }
    if (side == 0) continue;
    // Checked after each baseline/updates pair.
    const bool stable =
        LastWindowsStable(throughputs[0], config_.stable_windows,
                          config_.stability_pct) &&
        LastWindowsStable(throughputs[1], config_.stable_windows,
                          config_.stability_pct);
    const int pairs = static_cast<int>(windows[1].size());
    if (stable && pairs >= ReportedWindows()) {
      stop_reason = "stable";
      break;
    }
    if (NowNs() >= level_end_ns) {
      stop_reason = "max-duration";
      break;
    }
  }
  if (config_.progress) std::fprintf(stderr, "\r%100s\r", "");

  for (int side = 0; side < 2; ++side) {
    LevelReport& report = reports[side];
    // Every segment counts: interleaving, not discarding, handles drift.
    SummarizeWindows(windows[side], static_cast<int>(windows[side].size()),
                     &report);
    tallies[side].WriteTo(&report);
    report.stop_reason = stop_reason;
    report.stable = stop_reason == "stable";
    report.client_cpu_us_per_call =
        report.sent > 0 ? cpu_seconds[side] * 1e6 / report.sent : 0;
    if (scraped[side] && !config_.metrics_url.empty()) {
      report.server = DiffCounters(ServerCounters(), server[side]);
    }
  }
  LevelReport& updates = reports[1];
  updates.has_updates = true;
  updates.update_rate_hz = config_.update_rate_hz;
  updates.update_mode =
      config_.update_mode == UpdateMode::kAdd ? "add" : "replace";
  updates.update_payload_bytes = update_driver_->payload_bytes();
  updates.update_parameter_count = update_driver_->parameter_count();
  updates.update_latency = update_latency.Summarize();
  return reports;
}

}  // namespace brainserve::loadgen
