#include "server/batching/clock.h"

namespace brainserve::batching {
namespace {

class WallClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }

  void WaitUntil(absl::CondVar* cv, absl::Mutex* mu,
                 absl::Time deadline) override {
    if (deadline == absl::InfiniteFuture()) {
      cv->Wait(mu);
    } else {
      cv->WaitWithDeadline(mu, deadline);
    }
  }
};

}  // namespace

Clock* RealClock() {
  static Clock* const clock = new WallClock();
  return clock;
}

}  // namespace brainserve::batching
