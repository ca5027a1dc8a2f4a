// Read-your-writes for one model: calls that carry a min_version wait here,
// without holding a thread, until the model's applied version reaches it
// (Advance(), from an update or the replicator), or until their deadline.
//
// Thread safety: all methods may be called from any thread. `ready`
// callbacks run on the thread that decides them (the caller of
// WhenAtLeast() when the version is already there, of Advance(), of Close(),
// or the timer's) and must not block.
#ifndef BRAINSERVE_SERVER_VERSION_GATE_H_
#define BRAINSERVE_SERVER_VERSION_GATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/deadline_timer.h"

namespace brainserve::server {

class VersionGate : public std::enable_shared_from_this<VersionGate> {
 public:
  using Ready = std::function<void(absl::Status)>;

  // `what` names the model in messages; `timer` must outlive the gate.
  VersionGate(std::string what, uint64_t version, DeadlineTimer* timer);

  // ready(OK) once the version is >= min_version; at `deadline` first,
  // ready(Status(timeout_code, "...min_version... this replica is at V")).
  void WhenAtLeast(uint64_t min_version, absl::Time deadline,
                   absl::StatusCode timeout_code, Ready ready);
  // The model now serves `version` (never goes down).
  void Advance(uint64_t version);
  // Answers every waiter with `status` and every later call too (the model
  // is gone).
  void Close(const absl::Status& status);
  uint64_t version() const;

 private:
  struct Waiter {
    uint64_t min_version;
    absl::StatusCode timeout_code;
    Ready ready;
    uint64_t timer_id = 0;
  };
  void Expire(uint64_t waiter_id);

  const std::string what_;
  DeadlineTimer* const timer_;
  mutable absl::Mutex mu_;
  uint64_t version_ ABSL_GUARDED_BY(mu_);
  absl::Status closed_ ABSL_GUARDED_BY(mu_);
  uint64_t next_waiter_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_VERSION_GATE_H_
