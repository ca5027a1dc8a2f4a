#include "tests/batching/fake_clock.h"

#include <algorithm>
#include <cassert>

namespace brainserve::batching {

FakeClock::FakeClock(absl::Time start) : now_(start) {}

FakeClock::~FakeClock() {
  absl::MutexLock lock(&mu_);
  assert(waiters_.empty() && "FakeClock destroyed while threads wait on it");
}

absl::Time FakeClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

// Lock order: a waiter takes its own `*mu` before `mu_`. SetTime() never holds
// `mu_` while it locks a waiter's `*mu`; it pins the waiter instead, so the
// Waiter (on the waiting thread's stack) outlives the signal.
void FakeClock::WaitUntil(absl::CondVar* cv, absl::Mutex* mu,
                          absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    cv->Wait(mu);
    return;
  }
  Waiter waiter{cv, mu, deadline};
  {
    absl::MutexLock lock(&mu_);
    if (now_ >= deadline) return;
    waiters_.push_back(&waiter);
  }
  // SetTime() signals `cv` while holding `*mu`, which it can only acquire
  // once this thread is inside Wait(): no wake-up is lost.
  cv->Wait(mu);
  {
    absl::MutexLock lock(&mu_);
    if (TryUnregisterLocked(&waiter)) return;
  }
  // A SetTime() pinned this waiter and needs `*mu` to finish signalling.
  mu->Unlock();
  {
    absl::MutexLock lock(&mu_);
    auto unpinned = [&waiter]() { return waiter.pins == 0; };
    mu_.Await(absl::Condition(&unpinned));
    TryUnregisterLocked(&waiter);
  }
  mu->Lock();
}

bool FakeClock::TryUnregisterLocked(Waiter* waiter) {
  if (waiter->pins > 0) return false;
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
  return true;
}

void FakeClock::AdvanceBy(absl::Duration delta) {
  assert(delta >= absl::ZeroDuration());
  absl::Time target;
  {
    absl::MutexLock lock(&mu_);
    target = now_ + delta;
  }
  SetTime(target);
}

void FakeClock::SetTime(absl::Time now) {
  std::vector<Waiter*> due;
  {
    absl::MutexLock lock(&mu_);
    now_ = now;
    for (Waiter* waiter : waiters_) {
      if (!waiter->deadline_reached && waiter->deadline <= now_) {
        waiter->deadline_reached = true;
        ++waiter->pins;
        due.push_back(waiter);
      }
    }
  }
  for (Waiter* waiter : due) {
    absl::MutexLock lock(waiter->mu);
    waiter->cv->SignalAll();
  }
  absl::MutexLock lock(&mu_);
  for (Waiter* waiter : due) --waiter->pins;
}

int FakeClock::NumTimedWaitersLocked() const {
  return static_cast<int>(
      std::count_if(waiters_.begin(), waiters_.end(),
                    [](const Waiter* w) { return !w->deadline_reached; }));
}

int FakeClock::num_timed_waiters() {
  absl::MutexLock lock(&mu_);
  return NumTimedWaitersLocked();
}

absl::Time FakeClock::earliest_waiter_deadline() {
  absl::MutexLock lock(&mu_);
  absl::Time earliest = absl::InfiniteFuture();
  for (const Waiter* waiter : waiters_) {
    if (!waiter->deadline_reached)
      earliest = std::min(earliest, waiter->deadline);
  }
  return earliest;
}

bool FakeClock::AwaitTimedWaiters(int n, absl::Duration real_timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return NumTimedWaitersLocked() >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), real_timeout);
}

}  // namespace brainserve::batching
