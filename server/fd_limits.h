// File descriptors: the soft RLIMIT_NOFILE raised to the hard limit at
// start, and a few descriptors held in reserve so that, when the process has
// run out (a connection flood), the listener can still be rebuilt
// (listener_watchdog.h): the reserve is released just before and taken again
// just after.
//
// Thread safety: RaiseOpenFileLimit() once at start; a DescriptorReserve is
// used by one thread at a time (the listener watchdog).
#ifndef BRAINSERVE_SERVER_FD_LIMITS_H_
#define BRAINSERVE_SERVER_FD_LIMITS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace brainserve::server {

struct OpenFileLimit {
  int64_t soft_before = 0;
  int64_t soft = 0;  // after raising
  int64_t hard = 0;
  // Why the soft limit could not be raised; "" on success.
  std::string error;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (RLIM_INFINITY counts as
// the kernel's nr_open). Never fails the start: errors are reported.
OpenFileLimit RaiseOpenFileLimit();

// Holds `count` descriptors (of /dev/null) until released.
class DescriptorReserve {
 public:
  explicit DescriptorReserve(int count);
  ~DescriptorReserve();

  DescriptorReserve(const DescriptorReserve&) = delete;
  DescriptorReserve& operator=(const DescriptorReserve&) = delete;

  // Closes the held descriptors (they become free for the caller's use).
  void Release();
  // Opens descriptors until `count` are held again (fewer if none is free).
  void Refill();
  int held() const { return static_cast<int>(fds_.size()); }

 private:
  const int count_;
  std::vector<int> fds_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FD_LIMITS_H_
