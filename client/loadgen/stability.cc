#include "client/loadgen/stability.h"

#include <algorithm>

namespace brainserve::loadgen {

bool LastWindowsStable(const std::vector<double>& window_throughputs,
                       int window_count, double stability_pct) {
  if (window_count < 1 ||
      static_cast<int>(window_throughputs.size()) < window_count) {
    return false;
  }
  auto first = window_throughputs.end() - window_count;
  auto [min_it, max_it] = std::minmax_element(first, window_throughputs.end());
  if (*min_it <= 0) return false;
  return *max_it <= *min_it * (1.0 + stability_pct / 100.0);
}

}  // namespace brainserve::loadgen
