#include "server/auth/basic_auth.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace brainserve::auth {

absl::StatusOr<std::vector<BasicAuthUser>> ParseBasicAuthUsers(
    absl::string_view text, absl::string_view source) {
  std::vector<BasicAuthUser> users;
  absl::flat_hash_set<std::string> names;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": line ", line_number, ": ", what));
    };
    if (fields.size() != 2) {
      return error("expected 'USERNAME SHA256_HEX_OF_PASSWORD'");
    }
    std::optional<Sha256Digest> digest = ParseSha256Hex(fields[1]);
    if (!digest.has_value()) {
      return error("the password must be given as its SHA-256, 64 hex digits");
    }
    if (fields[0].find(':') != absl::string_view::npos) {
      return error("a username cannot contain ':'");
    }
    if (!names.insert(std::string(fields[0])).second) {
      return error(absl::StrCat("user '", fields[0], "' is already listed"));
    }
    users.push_back(BasicAuthUser{std::string(fields[0]), *digest});
  }
  return users;
}

BasicAuthChecker::BasicAuthChecker(std::vector<BasicAuthUser> users)
    : users_(std::make_shared<const std::vector<BasicAuthUser>>(
          std::move(users))) {}

bool BasicAuthChecker::Check(const std::string& user,
                             const std::string& password) const {
  Sha256Digest digest;
  if (!Sha256(password, &digest)) return false;
  std::shared_ptr<const std::vector<BasicAuthUser>> users;
  {
    absl::ReaderMutexLock lock(&mu_);
    users = users_;
  }
  bool ok = false;
  for (const BasicAuthUser& entry : *users) {
    // Every entry is compared, so timing says nothing about which matched.
    const bool match = DigestsEqual(entry.password_digest, digest);
    ok |= (entry.name == user) & match;
  }
  return ok;
}

void BasicAuthChecker::Replace(std::vector<BasicAuthUser> users) {
  auto next =
      std::make_shared<const std::vector<BasicAuthUser>>(std::move(users));
  absl::MutexLock lock(&mu_);
  users_.swap(next);
}

size_t BasicAuthChecker::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return users_->size();
}

}  // namespace brainserve::auth
