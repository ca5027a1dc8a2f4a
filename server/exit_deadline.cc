#include "server/exit_deadline.h"

#include <unistd.h>

#include <cstdio>

namespace brainserve::server {

ExitDeadline::ExitDeadline(absl::Duration after, int exit_code)
    : thread_([this, after, exit_code] {
        if (disarmed_.WaitForNotificationWithTimeout(after)) return;
        std::fprintf(stderr,
                     "brainserve-server: shutdown did not finish within %s; "
                     "exiting now (every acknowledged change is durable)\n",
                     absl::FormatDuration(after).c_str());
        std::fflush(stderr);
        _exit(exit_code);
      }) {}

ExitDeadline::~ExitDeadline() {
  disarmed_.Notify();
  thread_.join();
}

}  // namespace brainserve::server
