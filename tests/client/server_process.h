// The real brainserve-server started as a child process for tests: it binds
// 127.0.0.1:0 with the metrics exporter disabled, and Start() returns once
// the server has written its --ready_file ({"grpc_port": N, ...}).
#ifndef BRAINSERVE_TESTS_CLIENT_SERVER_PROCESS_H_
#define BRAINSERVE_TESTS_CLIENT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace brainserve::client::testing {

class ServerProcess {
 public:
  // Starts `binary` with the flags above plus `extra_flags`; fails (with the
  // server's log in the message) if it exits or is not ready in `timeout`.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::vector<std::string>& extra_flags,
      absl::Duration timeout = absl::Seconds(60));

  // SIGKILLs the server if Stop() was not called.
  ~ServerProcess();

  int grpc_port() const { return grpc_port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  std::string log() const;      // the server's stdout and stderr so far

  // SIGTERM, then waits up to `timeout` (SIGKILL after). Returns the exit
  // code (128 + signal if killed).
  absl::StatusOr<int> Stop(absl::Duration timeout = absl::Seconds(30));

 private:
  ServerProcess(pid_t pid, std::string dir) : pid_(pid), dir_(std::move(dir)) {}

  pid_t pid_;
  std::string dir_;  // holds ready.json and server.log
  int grpc_port_ = 0;
};

}  // namespace brainserve::client::testing

#endif  // BRAINSERVE_TESTS_CLIENT_SERVER_PROCESS_H_
