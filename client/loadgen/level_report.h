// The result of measuring one load level (and, with updates, one phase), and
// the renderers for the terminal table, CSV and JSON.
#ifndef BRAINSERVE_CLIENT_LOADGEN_LEVEL_REPORT_H_
#define BRAINSERVE_CLIENT_LOADGEN_LEVEL_REPORT_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "client/loadgen/latency_stats.h"
#include "client/loadgen/server_metrics.h"

namespace brainserve::loadgen {

struct LevelReport {
  std::string model;
  int concurrency = 0;      // closed loop; 0 for open loop
  double request_rate = 0;  // open loop target; 0 for closed loop
  std::string arrival;      // "constant" / "poisson" (open loop)
  int64_t batch_rows = 1;
  // "" for a plain run; "baseline" then "updates" with --update-rate.
  std::string phase;

  // OK completions per second over the reported windows.
  double throughput_rps = 0;
  // OK calls completed in the reported windows (open loop: from the intended
  // send time; closed loop: from the send).
  LatencySummary latency;
  int windows_measured = 0;
  int windows_reported = 0;
  double reported_seconds = 0;
  bool stable = false;
  std::string stop_reason;  // "stable", "max-duration", "max-requests"

  // Every Forward sent in the measured phase, by gRPC code name; these are
  // the counts compared with the server's requests_total deltas.
  std::map<std::string, int64_t> codes;
  int64_t sent = 0;
  int64_t version_regressions = 0;
  int64_t bad_responses = 0;
  // Client CPU (user+sys) per Forward sent, in microseconds.
  double client_cpu_us_per_call = 0;

  ServerSplit server;

  // The update phase only.
  bool has_updates = false;
  double update_rate_hz = 0;
  std::string update_mode;
  int64_t update_payload_bytes = 0;
  int update_parameter_count = 0;
  LatencySummary update_latency;
  std::map<std::string, int64_t> update_codes;
  int64_t update_late_starts = 0;

  int64_t Failed() const;  // sent minus OK
  std::string LoadLabel() const;
};

// The human-readable summary table(s).
void PrintTable(const std::vector<LevelReport>& reports, std::ostream& out);
std::string ToCsv(const std::vector<LevelReport>& reports);
std::string ToJson(const std::vector<LevelReport>& reports);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_LEVEL_REPORT_H_
