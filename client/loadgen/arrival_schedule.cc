#include "client/loadgen/arrival_schedule.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brainserve::loadgen {

absl::StatusOr<std::unique_ptr<ArrivalSchedule>> ArrivalSchedule::Create(
    ArrivalProcess process, double rate_per_s, uint64_t seed) {
  if (!(rate_per_s > 0) || !std::isfinite(rate_per_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("request rate must be > 0, got ", rate_per_s));
  }
  return std::unique_ptr<ArrivalSchedule>(
      new ArrivalSchedule(process, rate_per_s, seed));
}

ArrivalSchedule::ArrivalSchedule(ArrivalProcess process, double rate_per_s,
                                 uint64_t seed)
    : process_(process),
      rate_per_s_(rate_per_s),
      rng_(seed),
      gap_s_(rate_per_s) {}

int64_t ArrivalSchedule::NextOffsetNs() {
  if (process_ == ArrivalProcess::kConstant) {
    const double t_ns = static_cast<double>(index_++) * 1e9 / rate_per_s_;
    return static_cast<int64_t>(std::llround(t_ns));
  }
  const double t_s = poisson_time_s_;
  poisson_time_s_ += gap_s_(rng_);
  ++index_;
  return static_cast<int64_t>(std::llround(t_s * 1e9));
}

}  // namespace brainserve::loadgen
