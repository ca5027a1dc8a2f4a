#include "client/loadgen/http_get.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace brainserve::loadgen {
namespace {

// Owns a socket descriptor.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int RemainingMs(absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return ms < 0 ? 0 : static_cast<int>(ms);
}

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status WaitFd(int fd, short events, absl::Time deadline) {
  pollfd pfd{fd, events, 0};
  while (true) {
    const int rc = poll(&pfd, 1, RemainingMs(deadline));
    if (rc > 0) return absl::OkStatus();
    if (rc == 0) return absl::DeadlineExceededError("HTTP GET timed out");
    if (errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

absl::StatusOr<int> Connect(const HttpUrl& url, absl::Time deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  const std::string port = absl::StrCat(url.port);
  if (int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &addrs)) {
    return absl::UnavailableError(
        absl::StrCat("resolve ", url.host, ": ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (WaitFd(fd, POLLOUT, deadline).ok()) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      }
    }
    if (rc == 0) {
      freeaddrinfo(addrs);
      return fd;
    }
    last_error = strerror(errno);
    close(fd);
  }
  freeaddrinfo(addrs);
  return absl::UnavailableError(
      absl::StrCat("connect ", url.host, ":", url.port, ": ", last_error));
}

absl::StatusOr<std::string> Dechunk(absl::string_view body) {
  std::string out;
  while (true) {
    const size_t eol = body.find("\r\n");
    if (eol == absl::string_view::npos) break;
    absl::string_view size_text = body.substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(size_text, &size)) {
      return absl::DataLossError("malformed chunked HTTP body");
    }
    body.remove_prefix(eol + 2);
    if (size == 0) return out;
    if (body.size() < size) break;
    out.append(body.data(), size);
    body.remove_prefix(std::min<size_t>(body.size(), size + 2));
  }
  return absl::DataLossError("truncated chunked HTTP body");
}

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) {
    return absl::InvalidArgumentError("metrics URL must start with http://");
  }
  HttpUrl parsed;
  const size_t slash = url.find('/');
  absl::string_view authority = url.substr(0, slash);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    parsed.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  if (slash != absl::string_view::npos)
    parsed.path = std::string(url.substr(slash));
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("unterminated [ in URL host");
    }
    parsed.host = std::string(authority.substr(1, close - 1));
    absl::string_view rest = authority.substr(close + 1);
    if (absl::ConsumePrefix(&rest, ":")) port_text = rest;
  } else {
    const size_t colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos)
      port_text = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) {
    return absl::InvalidArgumentError("URL has no host");
  }
  if (!port_text.empty() && (!absl::SimpleAtoi(port_text, &parsed.port) ||
                             parsed.port <= 0 || parsed.port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port '", port_text, "' in URL"));
  }
  return parsed;
}

absl::StatusOr<std::string> HttpGet(absl::string_view url_text,
                                    absl::Duration timeout) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(url_text);
  if (!url.ok()) return url.status();
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<int> fd = Connect(*url, deadline);
  if (!fd.ok()) return fd.status();
  Socket socket(*fd);
  const std::string authorization =
      url->userinfo.empty()
          ? std::string()
          : absl::StrCat("Authorization: Basic ",
                         absl::Base64Escape(url->userinfo), "\r\n");
  const std::string request = absl::StrCat(
      "GET ", url->path, " HTTP/1.0\r\nHost: ", url->host, ":", url->port,
      "\r\n", authorization, "Accept: text/plain\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    if (absl::Status s = WaitFd(socket.fd(), POLLOUT, deadline); !s.ok()) {
      return s;
    }
    ssize_t n = send(socket.fd(), request.data() + sent, request.size() - sent,
                     MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[16384];
  while (true) {
    if (absl::Status s = WaitFd(socket.fd(), POLLIN, deadline); !s.ok()) {
      return s;
    }
    ssize_t n = recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    }
    response.append(buffer, static_cast<size_t>(n));
  }
  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return absl::DataLossError("HTTP response has no header terminator");
  }
  absl::string_view headers(response.data(), header_end);
  absl::string_view status_line = headers.substr(0, headers.find("\r\n"));
  std::vector<absl::string_view> status_parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  if (status_parts.size() < 2 || status_parts[1] != "200") {
    return absl::UnavailableError(
        absl::StrCat("GET http://", url->host, ":", url->port, url->path,
                     " answered '", status_line, "'"));
  }
  std::string body = response.substr(header_end + 4);
  if (absl::StrContains(absl::AsciiStrToLower(headers),
                        "transfer-encoding: chunked")) {
    return Dechunk(body);
  }
  return body;
}

}  // namespace brainserve::loadgen
