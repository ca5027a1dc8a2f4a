// A parser for the Prometheus text exposition format (version 0.0.4), enough
// to read counters and histogram _sum/_count series from a /metrics scrape.
//
// Thread safety: MetricsSnapshot is immutable after Parse; const methods may be
// called concurrently.
#ifndef BRAINSERVE_CLIENT_LOADGEN_PROMETHEUS_TEXT_H_
#define BRAINSERVE_CLIENT_LOADGEN_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace brainserve::loadgen {

// One sample line: `name{label="value",...} value [timestamp]`.
struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class MetricsSnapshot {
 public:
  // Parses a whole exposition. Comment lines (# HELP, # TYPE, others) and
  // blank lines are skipped; label values are unescaped (\\, \", \n);
  // values accept floats, +Inf, -Inf and NaN. A malformed line is
  // INVALID_ARGUMENT naming the line number.
  static absl::StatusOr<MetricsSnapshot> Parse(absl::string_view text);

  // Sum of the values of every sample called `name` whose labels include all
  // of `match` (extra labels on the sample are allowed). 0 if none.
  double Sum(absl::string_view name,
             const std::map<std::string, std::string>& match) const;

  // Values of `label` across samples called `name` that include `match`,
  // with their summed values, e.g. the count per `code`.
  std::map<std::string, double> SumBy(
      absl::string_view name, const std::string& label,
      const std::map<std::string, std::string>& match) const;

  const std::vector<PromSample>& samples() const { return samples_; }

 private:
  std::vector<PromSample> samples_;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_PROMETHEUS_TEXT_H_
