// One thread that runs callbacks at their deadlines (the timeouts of
// read-your-writes waits). Schedule() returns an id that Cancel() takes; a
// cancelled callback never runs, and Cancel() waits if it is running.
//
// Thread safety: all methods may be called from any thread, except that a
// callback must not Cancel() itself. The destructor runs nothing that is
// still scheduled (callers cancel or fire their callbacks first).
#ifndef BRAINSERVE_SERVER_DEADLINE_TIMER_H_
#define BRAINSERVE_SERVER_DEADLINE_TIMER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace brainserve::server {

class DeadlineTimer {
 public:
  DeadlineTimer();
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  uint64_t Schedule(absl::Time deadline, std::function<void()> callback);
  // True if it was cancelled before running.
  bool Cancel(uint64_t id);

 private:
  void Loop();

  absl::Mutex mu_;
  // (deadline, id) -> callback
  std::map<std::pair<absl::Time, uint64_t>, std::function<void()>> pending_
      ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t running_ ABSL_GUARDED_BY(mu_) = 0;  // id of the running callback
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_DEADLINE_TIMER_H_
