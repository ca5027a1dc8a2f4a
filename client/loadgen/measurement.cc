#include "client/loadgen/measurement.h"

#include <sys/resource.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace brainserve::loadgen {

void PhaseTally::Add(const std::vector<CallRecord>& records, Window* window) {
  for (const CallRecord& r : records) {
    ++codes[r.code];
    version_regressions += r.version_regressed;
    bad_responses += r.bad_response;
    if (window != nullptr && r.code == 0) {
      ++window->ok;
      window->latency.Add(r.done_ns - r.intended_ns);
    }
  }
}

void PhaseTally::WriteTo(LevelReport* report) const {
  for (const auto& [code, count] : codes) {
    report->codes[GrpcCodeName(code)] += count;
  }
  report->version_regressions += version_regressions;
  report->bad_responses += bad_responses;
}

void SummarizeWindows(const std::vector<Window>& windows, int reported,
                      LevelReport* report) {
  report->windows_measured = static_cast<int>(windows.size());
  const int first = std::max(0, report->windows_measured - reported);
  LatencySamples latency;
  int64_t ok = 0;
  report->reported_seconds = 0;
  for (int i = first; i < report->windows_measured; ++i) {
    latency.Append(windows[i].latency);
    ok += windows[i].ok;
    report->reported_seconds += windows[i].seconds;
  }
  report->windows_reported = report->windows_measured - first;
  report->latency = latency.Summarize();
  report->throughput_rps =
      report->reported_seconds > 0 ? ok / report->reported_seconds : 0;
}

std::string GrpcCodeName(int32_t code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  return code >= 0 && code < 17 ? kNames[code] : absl::StrCat("CODE_", code);
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

}  // namespace brainserve::loadgen
