// Checks bearer tokens against a TokenTable: the transport-independent core
// of authorization. gRPC (grpc_authorizer.h) and HTTP front ends pass the
// value of their Authorization header and the role the call needs
// (method_roles.h).
//
//   Check("", role)                  -> UNAUTHENTICATED (no token)
//   Check("Bearer <unknown>", role)  -> UNAUTHENTICATED
//   Check("Basic ...", role)         -> UNAUTHENTICATED (not a bearer token)
//   Check("Bearer <reader>", writer) -> PERMISSION_DENIED naming the role
//                                       needed and the token's ID
//   Check("Bearer <admin>", writer)  -> OK
// With `caller` given, it receives the token's ID and role whenever the
// token is known (so a refusal for want of a role can be audited by ID).
//
// The presented token is hashed (SHA-256) and compared in constant time with
// every stored digest; it is never stored, logged or echoed in a message.
// Replace() swaps the table atomically (the token file was re-read): calls
// that already passed keep going, later calls see the new table.
//
// Thread safety: all methods may be called concurrently.
#ifndef BRAINSERVE_SERVER_AUTH_TOKEN_AUTHENTICATOR_H_
#define BRAINSERVE_SERVER_AUTH_TOKEN_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/role.h"
#include "server/auth/token_table.h"

namespace brainserve::auth {

// Who made a call.
struct Caller {
  // False when authentication is off (no token file): anyone may call.
  bool authenticated = false;
  // The token's role (kAdmin when !authenticated).
  Role role = Role::kAdmin;
  // The token's ID from the table; "" when !authenticated.
  std::string token_id;
};

// The caller when authentication is off.
inline Caller AnonymousCaller() { return Caller{}; }

// Longest bearer token accepted, in bytes; longer ones are refused unhashed.
inline constexpr size_t kMaxTokenBytes = 4096;

class TokenAuthenticator {
 public:
  explicit TokenAuthenticator(TokenTable table);

  TokenAuthenticator(const TokenAuthenticator&) = delete;
  TokenAuthenticator& operator=(const TokenAuthenticator&) = delete;

  // `authorization` is the header's value ("" when absent). `caller` may be
  // null (the hot path: no copy of the ID).
  absl::Status Check(absl::string_view authorization, Role needed,
                     Caller* caller = nullptr) const;

  // Installs a new table (atomically).
  void Replace(TokenTable table);

  // The current table.
  std::shared_ptr<const TokenTable> table() const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenTable> table_ ABSL_GUARDED_BY(mu_);
};

// The token of "Bearer TOKEN" (scheme case-insensitive, RFC 6750); "" if
// `authorization` is not a bearer credential.
absl::string_view BearerToken(absl::string_view authorization);

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_TOKEN_AUTHENTICATOR_H_
