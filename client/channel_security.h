// How brainserve's clients (brainserve-cli, brainserve-loadgen, the client
// library) secure their channel: TLS or mutual TLS, and a bearer token sent
// as `authorization: Bearer TOKEN` on every call.
//
// TLS is on when any of the TLS files is given. Without --tls_ca_file the
// server is verified against the system's roots (gRPC's default bundle).
// The token is attached by a client interceptor, so every stub on the
// channel (ModelService, health) carries it; over plaintext it is sent in the
// clear (fine on loopback, not elsewhere).
#ifndef BRAINSERVE_CLIENT_CHANNEL_SECURITY_H_
#define BRAINSERVE_CLIENT_CHANNEL_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace brainserve::client {

struct ChannelSecurity {
  // PEM CA bundle that verifies the server's certificate.
  std::string tls_ca_file;
  // PEM client certificate chain and key, for mutual TLS (both or neither).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Name to verify the server's certificate against instead of the target's
  // host (e.g. when connecting by IP address); "" = the target's host.
  std::string tls_server_name;
  // Bearer token; "" = none.
  std::string token;

  bool tls() const {
    return !tls_ca_file.empty() || !tls_cert_file.empty() ||
           !tls_key_file.empty();
  }
};

// The token to send: `flag_value` (--token) if set, else the first line of
// `token_file` (--token_file) if set, else $BRAINSERVE_TOKEN, else "".
// INVALID_ARGUMENT naming --token_file if it cannot be read or is empty.
// Prefer the file or the variable: other local users can read a process's
// command line.
absl::StatusOr<std::string> ResolveToken(const std::string& flag_value,
                                         const std::string& token_file);

// A channel to `target` with `args` plus the security above. INVALID_ARGUMENT
// naming the flag (--tls_ca_file, ...) when a file cannot be read, or only
// one of certificate and key is given.
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateSecureChannel(
    const std::string& target, const ChannelSecurity& security,
    grpc::ChannelArguments args);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_CHANNEL_SECURITY_H_
