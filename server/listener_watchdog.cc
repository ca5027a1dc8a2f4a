#include "server/listener_watchdog.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace brainserve::server {
namespace {

constexpr char kHttp2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

absl::Status Unavailable(absl::string_view step) {
  return absl::UnavailableError(
      absl::StrCat("listener probe: ", step, ": ", std::strerror(errno)));
}

// Closes the descriptor on every path.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on `fd` until `deadline`; true if they came.
bool PollUntil(int fd, short events, absl::Time deadline) {
  while (true) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return false;
    struct pollfd p = {fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(ms));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::string ProbeHostFor(const std::string& listen_address) {
  const size_t colon = listen_address.rfind(':');
  std::string host = colon == std::string::npos
                         ? listen_address
                         : listen_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

absl::Status ProbeListener(const std::string& host, int port,
                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  const std::string service = absl::StrCat(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("listener probe: cannot resolve '", host, "'"));
  }
  Socket sock(socket(found->ai_family,
                     found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.fd() < 0) {
    freeaddrinfo(found);
    if (errno == EMFILE || errno == ENFILE) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "listener probe: out of file descriptors (", std::strerror(errno),
          ")"));
    }
    return Unavailable("socket");
  }
  const int connected = connect(sock.fd(), found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (connected != 0 && errno != EINPROGRESS) return Unavailable("connect");
  if (!PollUntil(sock.fd(), POLLOUT, deadline)) {
    return absl::UnavailableError("listener probe: connect timed out");
  }
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(sock.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    errno = error;
    return Unavailable("connect");
  }
  if (send(sock.fd(), kHttp2Preface, sizeof(kHttp2Preface) - 1,
           MSG_NOSIGNAL) < 0) {
    return Unavailable("send");
  }
  // Any answer, EOF or a reset shows a server accepted the connection.
  if (!PollUntil(sock.fd(), POLLIN | POLLHUP | POLLERR, deadline)) {
    return absl::UnavailableError(absl::StrCat(
        "listener probe: no answer within ", absl::FormatDuration(timeout),
        " (connection not accepted)"));
  }
  return absl::OkStatus();
}

ListenerWatchdog::ListenerWatchdog(const ListenerWatchdogOptions& options,
                                   std::function<absl::Status()> rebuild)
    : options_(options), rebuild_(std::move(rebuild)) {
  thread_ = std::thread([this] { Run(); });
}

ListenerWatchdog::~ListenerWatchdog() { Stop(); }

void ListenerWatchdog::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ListenerWatchdog::Run() {
  int failures = 0;
  bool exhausted = false;
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
    absl::Status probe =
        ProbeListener(options_.host, options_.port, options_.probe_timeout);
    if (probe.ok()) {
      failures = 0;
      exhausted = false;
      continue;
    }
    // While the process has no descriptor left, a new listener would wedge
    // at once, and a rebuild would only cut the calls of clients still
    // connected: wait for the flood to end (logged once).
    if (absl::IsResourceExhausted(probe)) {
      if (!exhausted) {
        std::fprintf(stderr, "brainserve-server: %s; waiting\n",
                     std::string(probe.message()).c_str());
      }
      exhausted = true;
      continue;
    }
    exhausted = false;
    ++failures;
    std::fprintf(stderr, "brainserve-server: %s (%d in a row)\n",
                 std::string(probe.message()).c_str(), failures);
    if (failures < options_.failures_before_rebuild ||
        stop_.HasBeenNotified()) {
      continue;
    }
    absl::Status rebuilt = rebuild_();
    if (rebuilt.ok()) {
      rebuilds_.fetch_add(1);
      failures = 0;
      std::fprintf(stderr,
                   "brainserve-server: listener rebuilt on port %d (rebuild "
                   "#%lld); models and versions unchanged\n",
                   options_.port, static_cast<long long>(rebuilds_.load()));
    } else {
      std::fprintf(stderr, "brainserve-server: listener rebuild failed: %s\n",
                   std::string(rebuilt.message()).c_str());
    }
  }
}

}  // namespace brainserve::server
