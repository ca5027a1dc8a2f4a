// The one gRPC -> absl status mapping of the clients (brainserve-cli, the
// client library, brainserve-loadgen): the code and the message are kept (the
// numeric codes of gRPC and Abseil agree). Pure functions, thread-safe.
#ifndef BRAINSERVE_CLIENT_GRPC_STATUS_H_
#define BRAINSERVE_CLIENT_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace brainserve::client {

// Converts a gRPC status, keeping code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Converts a gRPC status, keeping the code, with the message prefixed by
// "`context`: " (e.g. "GetModel(mlp): model 'mlp' not found").
absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view context);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_GRPC_STATUS_H_
