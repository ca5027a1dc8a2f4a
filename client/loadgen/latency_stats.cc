#include "client/loadgen/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace brainserve::loadgen {

int64_t NearestRankPercentile(const std::vector<int64_t>& sorted_ns, double p) {
  const int64_t n = static_cast<int64_t>(sorted_ns.size());
  // Rank in 1..n. The small epsilon keeps p*n that is an exact integer in
  // real arithmetic (e.g. 0.29 * 100) from rounding up through float error.
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * n - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, n);
  return sorted_ns[rank - 1];
}

void LatencySamples::Append(const LatencySamples& other) {
  samples_ns_.insert(samples_ns_.end(), other.samples_ns_.begin(),
                     other.samples_ns_.end());
}

LatencySummary LatencySamples::Summarize() const {
  LatencySummary summary;
  if (samples_ns_.empty()) return summary;
  std::vector<int64_t> sorted = samples_ns_;
  std::sort(sorted.begin(), sorted.end());
  double total_ns = 0;
  for (int64_t v : sorted) total_ns += static_cast<double>(v);
  auto us = [](int64_t ns) { return static_cast<double>(ns) / 1e3; };
  summary.count = static_cast<int64_t>(sorted.size());
  summary.mean_us = total_ns / sorted.size() / 1e3;
  summary.p50_us = us(NearestRankPercentile(sorted, 50));
  summary.p90_us = us(NearestRankPercentile(sorted, 90));
  summary.p95_us = us(NearestRankPercentile(sorted, 95));
  summary.p99_us = us(NearestRankPercentile(sorted, 99));
  summary.max_us = us(sorted.back());
  return summary;
}

}  // namespace brainserve::loadgen
