// The one mapping from absl::Status (used everywhere inside brainserve) to
// grpc::Status (used only at the RPC boundary), and next to it the one
// mapping to HTTP status codes for the HTTP/REST front end.
//
// Every canonical code maps to the gRPC code of the same name. Codes outside
// the canonical range become INTERNAL, because they can only come from a bug.
// Messages longer than kMaxStatusMessageBytes are truncated, since gRPC sends
// the message in an HTTP/2 trailer that clients limit to a few KiB.
#ifndef BRAINSERVE_SERVER_STATUS_UTIL_H_
#define BRAINSERVE_SERVER_STATUS_UTIL_H_

#include <cstddef>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace brainserve::server {

// Longest status message sent to a client, in bytes (before the suffix).
inline constexpr size_t kMaxStatusMessageBytes = 2048;

grpc::Status ToGrpcStatus(const absl::Status& status);

// The gRPC code that ToGrpcStatus() gives `code` (exposed for tests).
grpc::StatusCode ToGrpcCode(absl::StatusCode code);

// The HTTP status of a call that ended with `code`: Google's canonical
// mapping (google/rpc/code.proto), the one grpc-gateway and KServe use:
//   OK 200, INVALID_ARGUMENT 400, FAILED_PRECONDITION 400, OUT_OF_RANGE 400,
//   UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
//   ALREADY_EXISTS 409, ABORTED 409, RESOURCE_EXHAUSTED 429,
//   CANCELLED 499, UNIMPLEMENTED 501, UNAVAILABLE 503,
//   DEADLINE_EXCEEDED 504, UNKNOWN / INTERNAL / DATA_LOSS / other 500.
int ToHttpStatus(absl::StatusCode code);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_STATUS_UTIL_H_
