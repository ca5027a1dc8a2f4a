// A hard bound on how long the process takes to stop. Shutdown is orderly
// (server.h), but some work cannot be interrupted: a CreateModel warming up
// thousands of layers, a batch computing, gRPC's graceful GOAWAY waiting on
// clients that never acknowledge it. SIGTERM arms an ExitDeadline; if the
// orderly shutdown has not finished when it passes, the process logs what
// happened and ends with _exit(exit_code). Nothing acknowledged is lost by
// that: every change is durable before it is acknowledged.
//
// Ownership: owns one thread, joined by the destructor (which disarms).
// Thread-safe.
#ifndef BRAINSERVE_SERVER_EXIT_DEADLINE_H_
#define BRAINSERVE_SERVER_EXIT_DEADLINE_H_

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace brainserve::server {

class ExitDeadline {
 public:
  // Arms: the process ends with _exit(exit_code) `after` from now unless
  // this object is destroyed first.
  ExitDeadline(absl::Duration after, int exit_code);
  ~ExitDeadline();

  ExitDeadline(const ExitDeadline&) = delete;
  ExitDeadline& operator=(const ExitDeadline&) = delete;

 private:
  absl::Notification disarmed_;
  std::thread thread_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_EXIT_DEADLINE_H_
