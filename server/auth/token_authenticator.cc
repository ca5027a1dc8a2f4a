#include "server/auth/token_authenticator.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace brainserve::auth {

absl::string_view BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return "";
  }
  absl::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

TokenAuthenticator::TokenAuthenticator(TokenTable table)
    : table_(std::make_shared<const TokenTable>(std::move(table))) {}

void TokenAuthenticator::Replace(TokenTable table) {
  auto next = std::make_shared<const TokenTable>(std::move(table));
  std::shared_ptr<const TokenTable> previous;  // freed outside the lock
  absl::MutexLock lock(&mu_);
  previous = std::exchange(table_, std::move(next));
}

std::shared_ptr<const TokenTable> TokenAuthenticator::table() const {
  absl::ReaderMutexLock lock(&mu_);
  return table_;
}

absl::Status TokenAuthenticator::Check(absl::string_view authorization,
                                       Role needed, Caller* caller) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing bearer token: send the metadata 'authorization: Bearer "
        "TOKEN'");
  }
  const absl::string_view token = BearerToken(authorization);
  Sha256Digest digest;
  if (token.empty() || token.size() > kMaxTokenBytes ||
      !Sha256(token, &digest)) {
    return absl::UnauthenticatedError(
        "malformed authorization: expected 'Bearer TOKEN'");
  }
  absl::ReaderMutexLock lock(&mu_);
  const TokenEntry* entry = table_->Find(digest);
  if (entry == nullptr) {
    return absl::UnauthenticatedError("unknown bearer token");
  }
  if (caller != nullptr) {
    caller->authenticated = true;
    caller->role = entry->role;
    caller->token_id = entry->id;
  }
  if (!Grants(entry->role, needed)) {
    return absl::PermissionDeniedError(
        absl::StrCat("needs role '", RoleName(needed), "'; token '", entry->id,
                     "' has role '", RoleName(entry->role), "'"));
  }
  return absl::OkStatus();
}

}  // namespace brainserve::auth
