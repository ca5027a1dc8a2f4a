// Authorization of calls: the one helper every handler (ModelService, the
// inference protocol's service, the HTTP routes) calls first.
//
//   absl::Status status =
//       authorizer.Authorize(*context, auth::methods::kForward);
//   if (!status.ok()) -> finish the call with `status`
//
// It reads the `authorization` metadata, asks the TokenAuthenticator for the
// role that method_roles.h assigns to the method, and counts refusals in
// brainserve_auth_denied_total{method,reason}. Refusals: UNAUTHENTICATED
// (no token, malformed, unknown) or PERMISSION_DENIED (message: the role
// needed), both prefixed with the method's name.
//
// Why a call in each handler and not a grpc::experimental server
// interceptor: in gRPC 1.51 a server interceptor cannot finish a call with a
// status of its choice (Hijack() is client-side only; TryCancel() yields
// CANCELLED), and an AuthMetadataProcessor works only with TLS credentials
// and runs on a separate blocking thread. The handler check costs well under
// a microsecond (docs/PERFORMANCE.md) and keeps the status, the metrics and
// the audit record in one flow. A test walks every method of the service
// descriptor, so a handler without the check cannot go unnoticed.
//
// Thread safety: Authorize() may be called concurrently.
#ifndef BRAINSERVE_SERVER_AUTH_GRPC_AUTHORIZER_H_
#define BRAINSERVE_SERVER_AUTH_GRPC_AUTHORIZER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "server/auth/token_authenticator.h"
#include "server/metrics/reporter.h"

namespace brainserve::auth {

class GrpcAuthorizer {
 public:
  // `tokens` null: authentication is off and every call proceeds as
  // AnonymousCaller(). Both pointers are borrowed; `reporter` is not null.
  GrpcAuthorizer(const TokenAuthenticator* tokens, metrics::Reporter* reporter);

  // OK or the refusal. With `caller` given, it describes the token whenever
  // the token is known (see TokenAuthenticator::Check), and stays
  // AnonymousCaller() when authentication is off.
  absl::Status Authorize(const grpc::ServerContextBase& context,
                         absl::string_view full_method,
                         Caller* caller = nullptr) const;

  // The same check for a front end that is not gRPC (HTTP/REST): `header`
  // is the value of its Authorization header ("" when absent) and
  // `full_method` the call it maps onto (method_roles.h).
  absl::Status AuthorizeHeader(absl::string_view header,
                               absl::string_view full_method,
                               Caller* caller = nullptr) const;

  bool enabled() const { return tokens_ != nullptr; }

 private:
  const TokenAuthenticator* const tokens_;
  metrics::Reporter* const reporter_;
};

// Where a call comes from, for the audit log.
struct CallOrigin {
  std::string peer;         // e.g. "ipv4:127.0.0.1:5000"
  std::string tls_subject;  // verified client certificate subject, or ""
};
CallOrigin OriginOf(const grpc::ServerContextBase& context);

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_GRPC_AUTHORIZER_H_
