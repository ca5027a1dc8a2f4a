// Creates the gRPC channels the load generator uses.
#ifndef BRAINSERVE_CLIENT_LOADGEN_CHANNELS_H_
#define BRAINSERVE_CLIENT_LOADGEN_CHANNELS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/channel_security.h"
#include "grpcpp/channel.h"

namespace brainserve::loadgen {

// Opens `count` channels to `target` secured as `security` says (plaintext,
// TLS, mutual TLS, bearer token), each with distinct channel
// arguments and a local subchannel pool so that each gets its own HTTP/2
// connection; no message size limits, no retries. Waits up to
// `connect_timeout` for every channel to connect (UNAVAILABLE otherwise).
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> OpenChannels(
    const std::string& target, const client::ChannelSecurity& security,
    int count, absl::Duration connect_timeout);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_CHANNELS_H_
