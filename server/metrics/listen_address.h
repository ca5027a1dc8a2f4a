// Parsing of the --metrics_listen flag into civetweb's listening_ports syntax.
#ifndef BRAINSERVE_SERVER_METRICS_LISTEN_ADDRESS_H_
#define BRAINSERVE_SERVER_METRICS_LISTEN_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace brainserve::metrics {

// Converts a metrics listen address into a civetweb `listening_ports` value.
// Accepted forms: "IPV4:PORT", "localhost:PORT" (127.0.0.1), ":PORT" (all
// IPv4 interfaces) and "[IPV6]:PORT". PORT is 0..65535; 0 picks a free port.
// civetweb resolves no host names and treats ',' as a list separator, so
// anything else is rejected with INVALID_ARGUMENT naming metrics_listen.
absl::StatusOr<std::string> ToCivetwebListeningPort(
    absl::string_view listen_address);

// The IP literal a local client connects to in order to reach a listener bound
// at `listen_address` (already validated by ToCivetwebListeningPort): the
// loopback address for wildcard hosts, the host itself otherwise, without
// IPv6 brackets. E.g. "0.0.0.0:9464" -> "127.0.0.1", "[::]:0" -> "::1".
std::string LocalHostFor(absl::string_view listen_address);

}  // namespace brainserve::metrics

#endif  // BRAINSERVE_SERVER_METRICS_LISTEN_ADDRESS_H_
