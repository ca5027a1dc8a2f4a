// A minimal blocking HTTP/1.0 GET over a TCP socket, for scraping a
// Prometheus /metrics endpoint without pulling in an HTTP library.
//
// Thread safety: stateless; safe to call from any thread.
#ifndef BRAINSERVE_CLIENT_LOADGEN_HTTP_GET_H_
#define BRAINSERVE_CLIENT_LOADGEN_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brainserve::loadgen {

// The parts of an `http://[user:password@]host[:port][/path]` URL (port
// defaults to 80, path to "/"). IPv6 hosts go in brackets:
// http://[::1]:9464/metrics. user:password is sent as HTTP basic auth (for
// a server started with --metrics_basic_auth_file) and never appears in
// error messages.
struct HttpUrl {
  std::string userinfo;  // "user:password", or ""
  std::string host;
  int port = 80;
  std::string path = "/";
};

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

// Fetches `url` and returns the response body. Non-200 answers are
// UNAVAILABLE with the status line; connection failures are UNAVAILABLE;
// exceeding `timeout` (connect + whole read) is DEADLINE_EXCEEDED. Chunked
// transfer encoding is decoded.
absl::StatusOr<std::string> HttpGet(absl::string_view url,
                                    absl::Duration timeout);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_HTTP_GET_H_
