// THE table of which call needs which role, for every front end.
//
// Calls are named by their full gRPC method name ("/package.Service/Method").
// A front end that is not gRPC (HTTP/REST) names the call it maps onto, e.g.
// POST /v2/models/{m}/infer is kModelInfer. A method missing from the table
// needs kAdmin: adding a call without deciding its role fails closed.
//
// Health checks and server reflection are open (Kubernetes probes carry no
// token; reflection describes only the public API): gRPC serves them itself,
// so they never reach an authorization check, and the table lists them so
// that the decision is written down and tested.
#ifndef BRAINSERVE_SERVER_AUTH_METHOD_ROLES_H_
#define BRAINSERVE_SERVER_AUTH_METHOD_ROLES_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/auth/role.h"

namespace brainserve::auth {

namespace methods {
// brainserve.v1.ModelService.
inline constexpr char kCreateModel[] =
    "/brainserve.v1.ModelService/CreateModel";
inline constexpr char kGetModel[] = "/brainserve.v1.ModelService/GetModel";
inline constexpr char kListModels[] = "/brainserve.v1.ModelService/ListModels";
inline constexpr char kDeleteModel[] =
    "/brainserve.v1.ModelService/DeleteModel";
inline constexpr char kForward[] = "/brainserve.v1.ModelService/Forward";
inline constexpr char kUpdateParameters[] =
    "/brainserve.v1.ModelService/UpdateParameters";
inline constexpr char kGetParameters[] =
    "/brainserve.v1.ModelService/GetParameters";
// inference.GRPCInferenceService (Open Inference Protocol / KServe v2).
inline constexpr char kServerLive[] =
    "/inference.GRPCInferenceService/ServerLive";
inline constexpr char kServerReady[] =
    "/inference.GRPCInferenceService/ServerReady";
inline constexpr char kServerMetadata[] =
    "/inference.GRPCInferenceService/ServerMetadata";
inline constexpr char kModelReady[] =
    "/inference.GRPCInferenceService/ModelReady";
inline constexpr char kModelMetadata[] =
    "/inference.GRPCInferenceService/ModelMetadata";
inline constexpr char kModelInfer[] =
    "/inference.GRPCInferenceService/ModelInfer";
}  // namespace methods

struct MethodRule {
  // Full gRPC method name, "/package.Service/Method".
  absl::string_view full_method;
  // No token needed.
  bool open = false;
  // The least role that may make the call (when !open).
  Role role = Role::kAdmin;
};

// Every row of the table.
absl::Span<const MethodRule> MethodRules();

// The row of `full_method`; an unknown method gets {full_method, false,
// kAdmin}. O(1), allocation-free.
MethodRule RuleFor(absl::string_view full_method);

// "Forward" for "/brainserve.v1.ModelService/Forward" (the text after the
// last '/'): the `method` label of brainserve_auth_denied_total.
absl::string_view ShortMethodName(absl::string_view full_method);

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_METHOD_ROLES_H_
