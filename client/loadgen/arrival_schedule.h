// Open-loop arrival schedules: the intended send time of every request,
// decided in advance of (and independent of) the server's responses, so that
// latency measured from the intended time includes any queueing the client
// would otherwise hide (no coordinated omission).
//
// Thread safety: not thread-safe; one dispatcher thread owns a schedule.
#ifndef BRAINSERVE_CLIENT_LOADGEN_ARRIVAL_SCHEDULE_H_
#define BRAINSERVE_CLIENT_LOADGEN_ARRIVAL_SCHEDULE_H_

#include <cstdint>
#include <memory>
#include <random>

#include "absl/status/statusor.h"

namespace brainserve::loadgen {

enum class ArrivalProcess { kConstant, kPoisson };

class ArrivalSchedule {
 public:
  // `rate_per_s` > 0. Poisson inter-arrival gaps are exponential with mean
  // 1/rate, drawn from a mt19937_64 seeded with `seed` (deterministic).
  static absl::StatusOr<std::unique_ptr<ArrivalSchedule>> Create(
      ArrivalProcess process, double rate_per_s, uint64_t seed);

  // Offset of the next arrival from the schedule's start, in nanoseconds.
  // The first arrival is at 0; constant arrivals are exactly
  // round(k * 1e9 / rate) for k = 0, 1, 2, ... (no accumulated drift).
  int64_t NextOffsetNs();

 private:
  ArrivalSchedule(ArrivalProcess process, double rate_per_s, uint64_t seed);

  const ArrivalProcess process_;
  const double rate_per_s_;
  int64_t index_ = 0;
  double poisson_time_s_ = 0;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_s_;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_ARRIVAL_SCHEDULE_H_
