// One grpc.health.v1.Health/Check call over a generic (untyped) stub.
//
// The health proto is not shipped with Debian's gRPC, and its two messages
// are tiny, so they are encoded with protobuf's UnknownFieldSet instead of
// generated code:
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }
#ifndef BRAINSERVE_CLIENT_HEALTH_CALL_H_
#define BRAINSERVE_CLIENT_HEALTH_CALL_H_

#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace brainserve::client {

// Performs the call on `channel` with `context` (deadline already set) and
// returns the numeric ServingStatus, or the call's status converted.
absl::StatusOr<int> HealthCheck(grpc::Channel& channel,
                                grpc::ClientContext* context,
                                const std::string& service);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_HEALTH_CALL_H_
