// The measurement stopping rule, after Triton's perf_analyzer: a run is stable
// when the last `window_count` window throughputs all lie within
// `stability_pct` percent of each other, i.e. max <= min * (1 + pct/100).
//
// Pure function, thread-compatible.
#ifndef BRAINSERVE_CLIENT_LOADGEN_STABILITY_H_
#define BRAINSERVE_CLIENT_LOADGEN_STABILITY_H_

#include <vector>

namespace brainserve::loadgen {

// True iff `window_throughputs` holds at least `window_count` (>= 1) entries
// and its last `window_count` entries satisfy max <= min * (1 + pct/100).
// A window with zero throughput is never stable (nothing completed).
bool LastWindowsStable(const std::vector<double>& window_throughputs,
                       int window_count, double stability_pct);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_STABILITY_H_
