#include "server/version_gate.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace brainserve::server {

VersionGate::VersionGate(std::string what, uint64_t version,
                         DeadlineTimer* timer)
    : what_(std::move(what)), timer_(timer), version_(version) {}

void VersionGate::WhenAtLeast(uint64_t min_version, absl::Time deadline,
                              absl::StatusCode timeout_code, Ready ready) {
  absl::Status now;
  {
    absl::MutexLock lock(&mu_);
    if (!closed_.ok()) {
      now = closed_;
    } else if (version_ >= min_version) {
      now = absl::OkStatus();
    } else {
      const uint64_t id = next_waiter_++;
      Waiter& waiter = waiters_[id];
      waiter.min_version = min_version;
      waiter.timeout_code = timeout_code;
      waiter.ready = std::move(ready);
      // The timer holds the gate alive until it fires or is cancelled.
      waiter.timer_id = timer_->Schedule(
          deadline, [self = shared_from_this(), id] { self->Expire(id); });
      return;
    }
  }
  ready(now);
}

void VersionGate::Advance(uint64_t version) {
  std::vector<Waiter> done;
  {
    absl::MutexLock lock(&mu_);
    if (version <= version_) return;
    version_ = version;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.min_version <= version) {
        done.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Waiter& waiter : done) {
    // Cancel returns false only when the timeout is already running; it
    // then finds no waiter and does nothing.
    timer_->Cancel(waiter.timer_id);
    waiter.ready(absl::OkStatus());
  }
}

void VersionGate::Close(const absl::Status& status) {
  std::map<uint64_t, Waiter> done;
  {
    absl::MutexLock lock(&mu_);
    closed_ = status;
    done.swap(waiters_);
  }
  for (auto& [id, waiter] : done) {
    timer_->Cancel(waiter.timer_id);
    waiter.ready(status);
  }
}

uint64_t VersionGate::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

void VersionGate::Expire(uint64_t waiter_id) {
  Waiter waiter;
  uint64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.find(waiter_id);
    if (it == waiters_.end()) return;
    waiter = std::move(it->second);
    waiters_.erase(it);
    version = version_;
  }
  waiter.ready(absl::Status(
      waiter.timeout_code,
      absl::StrCat("min_version: ", what_, " is at version ", version,
                   " on this replica; version ", waiter.min_version,
                   " was not applied in time")));
}

}  // namespace brainserve::server
