// Building blocks of a measured phase shared by the plain and the
// updates-under-load runs: windows of completions, the per-code tally, and
// the summary of the reported windows.
//
// Thread safety: value types and stateless functions.
#ifndef BRAINSERVE_CLIENT_LOADGEN_MEASUREMENT_H_
#define BRAINSERVE_CLIENT_LOADGEN_MEASUREMENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/loadgen/forward_driver.h"
#include "client/loadgen/latency_stats.h"
#include "client/loadgen/level_report.h"

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
  // Adds the tally's counts to `report`.
  void WriteTo(LevelReport* report) const;
};

// Throughput and latency of `report` over the last `reported` windows.
void SummarizeWindows(const std::vector<Window>& windows, int reported,
                      LevelReport* report);

// "OK", "RESOURCE_EXHAUSTED", ... for a grpc::StatusCode value.
std::string GrpcCodeName(int32_t code);

// User + system CPU time of this process, in seconds.
double ProcessCpuSeconds();

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_MEASUREMENT_H_
