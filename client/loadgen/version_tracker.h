// Tracks the newest model version the client has been told about (by a
// Forward response or an acknowledged UpdateParameters), so that each Forward
// can be checked against the version floor in force when it was sent: a
// response with a smaller version than that floor means versions went
// backwards.
//
// Thread safety: all methods are thread-safe (lock-free).
#ifndef BRAINSERVE_CLIENT_LOADGEN_VERSION_TRACKER_H_
#define BRAINSERVE_CLIENT_LOADGEN_VERSION_TRACKER_H_

#include <atomic>
#include <cstdint>

namespace brainserve::loadgen {

class VersionTracker {
 public:
  // The largest version observed so far (0 before any).
  uint64_t Floor() const {
    return max_version_.load(std::memory_order_acquire);
  }

  // Raises the floor to `version` if it is larger.
  void Observe(uint64_t version) {
    uint64_t current = max_version_.load(std::memory_order_relaxed);
    while (version > current &&
           !max_version_.compare_exchange_weak(current, version,
                                               std::memory_order_acq_rel)) {
    }
  }

 private:
  std::atomic<uint64_t> max_version_{0};
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_VERSION_TRACKER_H_
