// A manually driven Clock for deterministic tests of time-based behaviour.

#ifndef BRAINSERVE_TESTS_BATCHING_FAKE_CLOCK_H_
#define BRAINSERVE_TESTS_BATCHING_FAKE_CLOCK_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/batching/clock.h"

namespace brainserve::batching {

// Time stands still until a test calls AdvanceBy() or SetTime(). A thread in
// WaitUntil() returns when its CondVar is signalled (as with a real clock) or
// when the fake time is moved to or past its deadline.
//
// Thread safety: all methods are thread-safe. AdvanceBy()/SetTime() lock the
// waiters' mutexes to signal them, so they must not be called while holding a
// mutex that a waiter passed to WaitUntil() (e.g. from inside a scheduler
// callback that runs under the scheduler's lock; batch callbacks are fine).
class FakeClock final : public Clock {
 public:
  // The default start is an arbitrary fixed instant, so tests are reproducible.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'000'000'000));
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;
  ~FakeClock() override;

  absl::Time Now() override;
  void WaitUntil(absl::CondVar* cv, absl::Mutex* mu,
                 absl::Time deadline) override ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Moves time forward by `delta` (>= 0) and wakes every waiter whose
  // deadline is now reached.
  void AdvanceBy(absl::Duration delta);
  // Sets the time (it may move backwards) and wakes every waiter whose
  // deadline is reached.
  void SetTime(absl::Time now);

  // Number of threads blocked in WaitUntil() on a finite deadline that the
  // fake time has not reached yet. Waits on absl::InfiniteFuture() (signal
  // only) are not counted.
  int num_timed_waiters();
  // The earliest deadline among those waiters; InfiniteFuture() if none.
  absl::Time earliest_waiter_deadline();
  // Blocks for at most `real_timeout` of wall time until num_timed_waiters()
  // >= n. Returns whether that happened. Lets a test advance time only once a
  // thread is known to be waiting, without sleeping.
  bool AwaitTimedWaiters(int n, absl::Duration real_timeout);

 private:
  struct Waiter {
    absl::CondVar* cv;
    absl::Mutex* mu;
    absl::Time deadline;
    bool deadline_reached = false;  // set when time moved past `deadline`
    int pins = 0;  // > 0 while SetTime() may still touch this waiter
  };

  int NumTimedWaitersLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unregisters `waiter`; returns false (and leaves it registered) if a
  // SetTime() still holds a pin on it.
  bool TryUnregisterLocked(Waiter* waiter) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<Waiter*> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::batching

#endif  // BRAINSERVE_TESTS_BATCHING_FAKE_CLOCK_H_
