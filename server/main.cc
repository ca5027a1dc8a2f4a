// brainserve-server: serves brainserve.v1.ModelService, the Open Inference
// Protocol (gRPC and HTTP/REST), grpc.health.v1.Health and reflection until
// SIGTERM or SIGINT, then shuts down gracefully (see server.h) and exits 0.
// SIGHUP re-reads the token file and the metrics credentials. Exit 1: bad
// flags or start-up failure.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/exit_deadline.h"
#include "server/fd_limits.h"
#include "server/server.h"
#include "server/server_flags.h"

namespace {

// SIGTERM -> exit within grace + 1 s: the orderly shutdown has until
// grace + 0.8 s, leaving time for the process to be torn down.
constexpr absl::Duration kExitAfterGraceMargin = absl::Milliseconds(800);

// Writes {"grpc_port":N,"metrics_port":M,"health_port":H,"http_port":P} to
// `path` atomically (temp file, then rename), so a reader never sees a
// partial file.
absl::Status WriteReadyFile(const std::string& path, int grpc_port,
                            int metrics_port, int health_port, int http_port) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"grpc_port\":" << grpc_port
        << ",\"metrics_port\":" << metrics_port
        << ",\"health_port\":" << health_port
        << ",\"http_port\":" << http_port << "}\n";
    if (!out.good()) {
      return absl::UnavailableError(
          absl::StrCat("--ready_file: cannot write '", tmp, "'"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("--ready_file: cannot rename to '", path, "'"));
  }
  return absl::OkStatus();
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "brainserve-server: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves brainserve models over gRPC.\n"
      "  brainserve-server --models_file=examples/models.json");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil enables mutex deadlock detection, which triples the cost
  // of every lock on the request path (measured: 107 ns vs 33 ns per
  // lock/unlock); lock order is covered by the tests instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the shutdown signals (and SIGHUP) before any thread starts (threads
  // inherit the mask); this thread then receives them synchronously with
  // sigwait().
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  // A store write over RLIMIT_FSIZE must fail that one commit (EFBIG ->
  // UNAVAILABLE), not kill the server.
  signal(SIGXFSZ, SIG_IGN);

  // A connection flood must exhaust the hard limit, not a low default soft
  // one; the listener watchdog recovers the listener if it is exhausted.
  const brainserve::server::OpenFileLimit fds =
      brainserve::server::RaiseOpenFileLimit();
  if (fds.error.empty()) {
    std::fprintf(stderr,
                 "brainserve-server: open files limit %lld (soft was %lld, "
                 "hard %lld)\n",
                 static_cast<long long>(fds.soft),
                 static_cast<long long>(fds.soft_before),
                 static_cast<long long>(fds.hard));
  } else {
    std::fprintf(stderr,
                 "brainserve-server: open files limit stays %lld: %s\n",
                 static_cast<long long>(fds.soft_before), fds.error.c_str());
  }

  using brainserve::server::Server;
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Create(brainserve::server::ServerOptionsFromFlags());
  if (!server.ok()) return Fail(server.status());
  absl::Status status = (*server)->Start();
  if (!status.ok()) return Fail(status);

  const std::string metrics = (*server)->metrics_port() > 0
                                  ? (*server)->metrics_address()
                                  : std::string("(disabled)");
  const std::string http = (*server)->http_port() > 0
                               ? (*server)->http_address()
                               : std::string("(disabled)");
  std::fprintf(stderr,
               "brainserve-server: serving gRPC on %s, HTTP on %s, metrics on "
               "%s\n",
               (*server)->grpc_address().c_str(), http.c_str(),
               metrics.c_str());
  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty()) {
    status = WriteReadyFile(ready_file, (*server)->grpc_port(),
                            (*server)->metrics_port(), (*server)->health_port(),
                            (*server)->http_port());
    if (!status.ok()) return Fail(status);
  }

  int signal_number = 0;
  while (sigwait(&shutdown_signals, &signal_number) == 0 &&
         signal_number == SIGHUP) {
    std::fprintf(stderr, "brainserve-server: SIGHUP: re-reading credentials\n");
    (*server)->ReloadCredentials();
  }
  std::fprintf(stderr,
               "brainserve-server: %s received, shutting down (grace %gs)\n",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
               (*server)->options().shutdown_grace_seconds);
  {
    // The grace period is a promise to the orchestrator: whatever still runs
    // (an uninterruptible warm-up, a client ignoring GOAWAY), the process
    // is gone within grace + 1 s of the signal.
    brainserve::server::ExitDeadline deadline(
        absl::Seconds((*server)->options().shutdown_grace_seconds) +
            kExitAfterGraceMargin,
        /*exit_code=*/0);
    (*server)->Shutdown();
  }
  std::fprintf(stderr, "brainserve-server: stopped\n");
  return 0;
}
