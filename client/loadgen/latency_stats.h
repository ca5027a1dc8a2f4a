// Exact latency percentiles over a set of samples.
//
// Method: the samples are kept (one int64 nanosecond value each) and sorted
// once; the p-th percentile is the nearest-rank value, the smallest sample x
// such that at least p% of the samples are <= x, i.e. the sample at 1-based
// rank ceil(p/100 * N). p=0 is the minimum and p=100 the maximum. No
// interpolation and no bucketing, so figures are exact for the recorded data.
//
// Thread safety: LatencySamples is a value type with no internal locking.
#ifndef BRAINSERVE_CLIENT_LOADGEN_LATENCY_STATS_H_
#define BRAINSERVE_CLIENT_LOADGEN_LATENCY_STATS_H_

#include <cstdint>
#include <vector>

namespace brainserve::loadgen {

// Summary of a latency distribution, in microseconds (0 when empty).
struct LatencySummary {
  int64_t count = 0;
  double mean_us = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p95_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

// Returns the nearest-rank percentile `p` (0..100) of `sorted_ns`, which must
// be sorted ascending and non-empty.
int64_t NearestRankPercentile(const std::vector<int64_t>& sorted_ns, double p);

// A bag of latency samples in nanoseconds.
class LatencySamples {
 public:
  void Add(int64_t latency_ns) { samples_ns_.push_back(latency_ns); }
  void Append(const LatencySamples& other);
  int64_t size() const { return static_cast<int64_t>(samples_ns_.size()); }
  // Sorts a copy of the samples and summarizes them.
  LatencySummary Summarize() const;

 private:
  std::vector<int64_t> samples_ns_;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_LATENCY_STATS_H_
