// The monotonic clock the load generator measures with.
#ifndef BRAINSERVE_CLIENT_LOADGEN_CLOCK_H_
#define BRAINSERVE_CLIENT_LOADGEN_CLOCK_H_

#include <chrono>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace brainserve::loadgen {

// Nanoseconds on the steady clock.
inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The wall-clock absl::Time at which the steady clock reads `steady_ns`
// (for absl::Mutex deadlines).
inline absl::Time SteadyToAbsl(int64_t steady_ns) {
  return absl::Now() + absl::Nanoseconds(steady_ns - NowNs());
}

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_CLOCK_H_
