// Test helpers that run programs as child processes (posix_spawn).
#ifndef BRAINSERVE_TESTS_CLIENT_SUBPROCESS_H_
#define BRAINSERVE_TESTS_CLIENT_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace brainserve::client::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number if killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) to completion, writing `stdin_data` to its
// standard input and capturing stdout and stderr. `env_changes` edits the
// inherited environment: "KEY=VALUE" sets, "KEY" removes.
absl::StatusOr<ProcessResult> RunProcess(
    const std::vector<std::string>& argv, const std::string& stdin_data = "",
    const std::vector<std::string>& env_changes = {});

// Starts `argv` in the background with stdin from /dev/null and stdout and
// stderr appended to `log_path`. Returns its pid.
absl::StatusOr<pid_t> SpawnBackground(const std::vector<std::string>& argv,
                                      const std::string& log_path);

}  // namespace brainserve::client::testing

#endif  // BRAINSERVE_TESTS_CLIENT_SUBPROCESS_H_
