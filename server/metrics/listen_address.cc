#include "server/metrics/listen_address.h"

#include <arpa/inet.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace brainserve::metrics {
namespace {

absl::Status Invalid(absl::string_view listen_address,
                     absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("metrics_listen \"", listen_address, "\": ", reason,
                   " (expected IPV4:PORT, localhost:PORT, :PORT or "
                   "[IPV6]:PORT)"));
}

bool IsPort(absl::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  int port = 0;
  return absl::SimpleAtoi(text, &port) && port <= 65535;
}

}  // namespace

absl::StatusOr<std::string> ToCivetwebListeningPort(
    absl::string_view listen_address) {
  const size_t colon = listen_address.rfind(':');
  if (colon == absl::string_view::npos) {
    return Invalid(listen_address, "missing ':PORT'");
  }
  const absl::string_view host = listen_address.substr(0, colon);
  const absl::string_view port = listen_address.substr(colon + 1);
  if (!IsPort(port)) {
    return Invalid(listen_address, "port must be a number in 0..65535");
  }
  if (host.empty()) return std::string(port);
  if (host == "localhost") return absl::StrCat("127.0.0.1:", port);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    const std::string inner(host.substr(1, host.size() - 2));
    in6_addr address6;
    if (inet_pton(AF_INET6, inner.c_str(), &address6) != 1) {
      return Invalid(listen_address, "not an IPv6 address");
    }
    return std::string(listen_address);
  }
  const std::string host_string(host);
  in_addr address4;
  if (inet_pton(AF_INET, host_string.c_str(), &address4) != 1) {
    return Invalid(listen_address, "host must be an IP address or localhost");
  }
  return std::string(listen_address);
}

std::string LocalHostFor(absl::string_view listen_address) {
  const size_t colon = listen_address.rfind(':');
  absl::string_view host =
      listen_address.substr(0, colon == absl::string_view::npos ? 0 : colon);
  if (host.empty() || host == "0.0.0.0" || host == "localhost") {
    return "127.0.0.1";
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host == "::") return "::1";
  }
  return std::string(host);
}

}  // namespace brainserve::metrics
