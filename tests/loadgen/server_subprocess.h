// Runs a real brainserve-server as a child process on ephemeral ports for the
// load generator's integration tests, and stops it (SIGTERM, then SIGKILL
// after a grace period) on destruction.
//
// Thread safety: owned and used by one test thread.
#ifndef BRAINSERVE_TESTS_LOADGEN_SERVER_SUBPROCESS_H_
#define BRAINSERVE_TESTS_LOADGEN_SERVER_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace brainserve::loadgen::testing {

class ServerSubprocess {
 public:
  // Starts `binary` with --listen/--metrics_listen on 127.0.0.1:0, a ready
  // file in a fresh temp directory, `--models_file=models_file` and
  // `extra_args`; waits up to 60 s for the ready file.
  static absl::StatusOr<std::unique_ptr<ServerSubprocess>> Start(
      const std::string& binary, const std::string& models_file,
      const std::vector<std::string>& extra_args = {});
  ~ServerSubprocess();

  std::string grpc_target() const;  // 127.0.0.1:PORT
  std::string metrics_url() const;  // http://127.0.0.1:PORT/metrics
  const std::string& temp_dir() const { return temp_dir_; }

  // Sends SIGTERM and waits; returns the exit status (as from waitpid).
  int Stop();

 private:
  ServerSubprocess() = default;

  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  std::string temp_dir_;
};

// Runs `argv` to completion (bounded by `timeout_s`, then SIGKILL) and
// returns its exit code; stdout and stderr go to `log_path`.
absl::StatusOr<int> RunToCompletion(const std::vector<std::string>& argv,
                                    const std::string& log_path, int timeout_s);

}  // namespace brainserve::loadgen::testing

#endif  // BRAINSERVE_TESTS_LOADGEN_SERVER_SUBPROCESS_H_
