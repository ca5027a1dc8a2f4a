// HTTP basic-auth credentials for the /metrics endpoint
// (--metrics_basic_auth_file), re-read like the token file.
//
// The text format, one user a line:  USERNAME SHA256_HEX_OF_PASSWORD
// ('#' starts a comment; blank lines are ignored; a username listed twice is
// an error). Only digests are stored; the password's digest is compared in
// constant time with the user's.
//
// Thread safety: Check() and Replace() may be called concurrently.
#ifndef BRAINSERVE_SERVER_AUTH_BASIC_AUTH_H_
#define BRAINSERVE_SERVER_AUTH_BASIC_AUTH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/sha256.h"

namespace brainserve::auth {

struct BasicAuthUser {
  std::string name;
  Sha256Digest password_digest{};
};

// Parses the text format; INVALID_ARGUMENT naming `source` and the line.
absl::StatusOr<std::vector<BasicAuthUser>> ParseBasicAuthUsers(
    absl::string_view text, absl::string_view source);

class BasicAuthChecker {
 public:
  explicit BasicAuthChecker(std::vector<BasicAuthUser> users);

  // Whether `user` exists and `password` is its password.
  bool Check(const std::string& user, const std::string& password) const;

  void Replace(std::vector<BasicAuthUser> users);
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::vector<BasicAuthUser>> users_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_BASIC_AUTH_H_
