// Notices a wedged gRPC listener and has it rebuilt, in the same process.
//
// gRPC 1.51 stops accepting for good once accept4() has failed with EMFILE
// (grpc/grpc#16058, #20418, #31080): old connections keep working, new ones
// wait in the kernel's backlog forever. The watchdog probes the listener
// every `interval` over a fresh TCP connection: it sends the HTTP/2 client
// preface and expects the server to answer anything or close the connection
// within `probe_timeout` (a plaintext gRPC server sends its SETTINGS; a TLS
// one an alert or EOF). A connection nobody accepted gets neither. While the
// process is out of descriptors (the probe cannot create a socket) it waits:
// a new listener would wedge again at once. After `failures_before_rebuild`
// failed probes in a row it calls `rebuild`, which shuts the old
// grpc::Server down and starts a new one on the same port, keeping every
// model (the ModelManager is not touched).
//
// Ownership: owns its probe thread; Stop() (or the destructor) joins it. The
// rebuild callback runs on that thread and must not call Stop().
// Thread safety: Stop() and rebuilds() from any thread.
#ifndef BRAINSERVE_SERVER_LISTENER_WATCHDOG_H_
#define BRAINSERVE_SERVER_LISTENER_WATCHDOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace brainserve::server {

struct ListenerWatchdogOptions {
  // Where to probe: a host the listener accepts on (loopback for a
  // wildcard address) and its bound port.
  std::string host = "127.0.0.1";
  int port = 0;
  // Time between probes.
  absl::Duration interval = absl::Seconds(1);
  // How long one probe waits for the server's answer.
  absl::Duration probe_timeout = absl::Seconds(1);
  // Consecutive failed probes that mean the listener is wedged.
  int failures_before_rebuild = 2;
};

// OK if the server at host:port accepted a fresh connection: it answered
// the HTTP/2 preface with data or closed the connection within `timeout`.
// RESOURCE_EXHAUSTED if this process has no descriptor left for the probe;
// UNAVAILABLE (naming the step) otherwise.
absl::Status ProbeListener(const std::string& host, int port,
                           absl::Duration timeout);

// "127.0.0.1" for "0.0.0.0"/"" and "::1" for "[::]"/"::"; otherwise the
// host of `listen_address` ("host:port"), without brackets.
std::string ProbeHostFor(const std::string& listen_address);

class ListenerWatchdog {
 public:
  // Starts probing. `rebuild` returns OK once a new listener serves on the
  // same port; an error is logged and retried after the next failed probes.
  ListenerWatchdog(const ListenerWatchdogOptions& options,
                   std::function<absl::Status()> rebuild);
  ~ListenerWatchdog();

  ListenerWatchdog(const ListenerWatchdog&) = delete;
  ListenerWatchdog& operator=(const ListenerWatchdog&) = delete;

  // Stops probing and joins the thread. Idempotent.
  void Stop();
  // Successful rebuilds so far.
  int64_t rebuilds() const { return rebuilds_.load(); }

 private:
  void Run();

  const ListenerWatchdogOptions options_;
  const std::function<absl::Status()> rebuild_;
  std::atomic<int64_t> rebuilds_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_LISTENER_WATCHDOG_H_
