// Time source for the batch scheduler.
//
// The scheduler never reads the system clock directly: it asks a Clock for the
// current time and waits through it. Production code uses RealClock(); tests
// inject a FakeClock (tests/batching/fake_clock.h) so time-based behaviour (queue delay,
// deadlines) is deterministic.

#ifndef BRAINSERVE_SERVER_BATCHING_CLOCK_H_
#define BRAINSERVE_SERVER_BATCHING_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace brainserve::batching {

// Thread safety: implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() = 0;

  // Must be called with `*mu` held; returns with `*mu` held. Releases `*mu`
  // and blocks until `cv` is signalled or Now() >= `deadline`, whichever comes
  // first. May return spuriously, so callers re-check their condition in a
  // loop. `deadline` may be absl::InfiniteFuture() (wait for a signal only).
  virtual void WaitUntil(absl::CondVar* cv, absl::Mutex* mu,
                         absl::Time deadline) = 0;
};

// The process-wide wall clock (absl::Now() and CondVar::WaitWithDeadline).
// Never null; lives for the whole process and is never destroyed.
Clock* RealClock();

}  // namespace brainserve::batching

#endif  // BRAINSERVE_SERVER_BATCHING_CLOCK_H_
