// Test helpers that run programs as child processes: the real
// brainserve-server (ServerProcess) and generic one-shot commands
// (RunProcess, RunToCompletion).
//
// ServerProcess contract:
//  * Start() runs `binary` with `--ready_file=<fresh temp dir>/ready.json`
//    plus `extra_flags`, and returns once the server has written that file
//    ({"grpc_port": N, "metrics_port": M, "http_port": H}).
//  * Unless `extra_flags` already sets them, these defaults are added:
//      --listen=127.0.0.1:0           (gRPC on an ephemeral port)
//      --metrics_listen=127.0.0.1:0   (pass "--metrics_listen=" to disable;
//                                      metrics_port() is then 0)
//      --http_listen=127.0.0.1:0      (HTTP/REST on an ephemeral port; pass
//                                      "--http_listen=" to disable)
//      --store=sqlite:<temp dir>/state.db  (a fresh embedded store; pass
//                                      --store to share one across servers)
//    No --models_file is added: pass one to serve models at start-up.
//  * The child's stdin is /dev/null; its stdout and stderr both go to
//    server.log in the temp dir (see log()). The temp dir is left in place
//    after destruction so that logs survive a failing test.
//  * The child gets SIGTERM if the thread that started it exits (Linux
//    PR_SET_PDEATHSIG), so a crashed test does not leak servers. Start it
//    from a thread that outlives it (e.g. the gtest main thread).
//  * The destructor SIGKILLs and reaps the child if it is still running.
//  * Exit codes are the process's exit status, or 128 + signal number if it
//    was killed by a signal.
//
// Thread safety: a ServerProcess is not thread-safe. The const accessors
// (ports, address(), metrics_url(), log(), temp_dir()) may be called from
// any thread concurrently with each other; Signal(), Running(), Wait(),
// Stop() and destruction must be serialized by the owner (typically one test
// thread). RunProcess() and RunToCompletion() may be called from several
// threads at once; RunProcess() sets SIGPIPE to SIG_IGN process-wide.
#ifndef BRAINSERVE_TESTS_TESTING_SERVER_PROCESS_H_
#define BRAINSERVE_TESTS_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace brainserve::testing {

class ServerProcess {
 public:
  // Launch() followed by WaitReady(timeout). Fails (with the server's log in
  // the message) if the server exits or is not ready within `timeout`.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::vector<std::string>& extra_flags,
      absl::Duration timeout = absl::Seconds(60));

  // Starts the server like Start() but returns without waiting for the
  // ready file; for tests that expect start-up to fail (then Wait() and
  // log()). Fails only if the process cannot be created.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Launch(
      const std::string& binary, const std::vector<std::string>& extra_flags);

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // SIGKILLs and reaps the server if it is still running.
  ~ServerProcess();

  // Waits up to `timeout` for the ready file and reads the ports from it.
  absl::Status WaitReady(absl::Duration timeout = absl::Seconds(60));

  // Valid after a successful Start()/WaitReady(); 0 before (and
  // metrics_port() is 0 if the metrics exporter is disabled).
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  // The plaintext health-only listener (--health_listen); 0 when off.
  int health_port() const { return health_port_; }
  int http_port() const { return http_port_; }  // 0 when disabled
  std::string address() const;      // "127.0.0.1:<grpc_port>"
  std::string http_url() const;     // "http://127.0.0.1:<http_port>"
  std::string metrics_url() const;  // "http://127.0.0.1:<metrics_port>/metrics"
  std::string log() const;          // the server's stdout and stderr so far
  // The server's own temp dir (ready file and log); tests may put files here.
  const std::string& temp_dir() const { return dir_; }
  // The server's process id (-1 once reaped), e.g. for prlimit --pid.
  pid_t pid() const { return pid_; }

  // Sends `signal_number` to the server if it has not been reaped.
  void Signal(int signal_number);
  // Whether the server is still running (reaps it if it has exited).
  bool Running();
  // Blocks until the server exits; returns its exit code.
  int Wait();
  // SIGTERM, then waits up to `timeout` (SIGKILL after). Returns the exit
  // code; if the server had already exited, returns that exit code.
  int Stop(absl::Duration timeout = absl::Seconds(30));

 private:
  ServerProcess(pid_t pid, std::string dir);

  pid_t pid_;  // -1 once reaped
  int exit_code_ = -1;
  std::string dir_;  // holds ready.json and server.log
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  int health_port_ = 0;
  int http_port_ = 0;
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number if killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) to completion, writing `stdin_data` to its
// standard input and capturing stdout and stderr separately. `env_changes`
// edits the inherited environment: "KEY=VALUE" sets, "KEY" removes.
absl::StatusOr<ProcessResult> RunProcess(
    const std::vector<std::string>& argv, const std::string& stdin_data = "",
    const std::vector<std::string>& env_changes = {});

// Runs `argv` with stdin from /dev/null and stdout and stderr (interleaved)
// written to `log_path`; returns its exit code. DeadlineExceeded (after a
// SIGKILL) if it runs longer than `timeout`; Internal if it was killed by a
// signal.
absl::StatusOr<int> RunToCompletion(const std::vector<std::string>& argv,
                                    const std::string& log_path,
                                    absl::Duration timeout);

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_TESTING_SERVER_PROCESS_H_
