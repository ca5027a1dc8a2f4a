// An immutable table of bearer tokens: role, SHA-256 of the token, ID.
//
// The text format (the file of --auth_tokens_file), one token a line:
//   ROLE SHA256_HEX_OF_TOKEN [ID]
// ROLE is reader, writer or admin; the digest is 64 hex digits; ID names the
// token in the audit log and in PERMISSION_DENIED messages (1-128 of
// [A-Za-z0-9._:@/+-]; default "sha256:" + the digest's first 12 digits).
// '#' starts a comment; blank lines are ignored. A digest or an ID listed
// twice is an error (a token must have one role and one name). An empty
// table is valid: every call that needs a token is refused.
//
// Generate a line: TOKEN=$(openssl rand -hex 32);
//   echo "writer $(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) trainer-1"
//
// Thread safety: immutable after Parse; share it freely.
#ifndef BRAINSERVE_SERVER_AUTH_TOKEN_TABLE_H_
#define BRAINSERVE_SERVER_AUTH_TOKEN_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/role.h"
#include "server/auth/sha256.h"

namespace brainserve::auth {

struct TokenEntry {
  Role role = Role::kReader;
  Sha256Digest digest{};
  std::string id;
};

class TokenTable {
 public:
  TokenTable() = default;

  // Parses the text format. INVALID_ARGUMENT naming `source` and the line
  // number; never echoes a digest back (it is half of a credential pair).
  static absl::StatusOr<TokenTable> Parse(absl::string_view text,
                                          absl::string_view source);

  // The entry whose digest equals `digest`, or null. Constant time in the
  // position of the match: every byte of every entry is compared and the
  // loop never exits early, so timing reveals nothing about stored digests.
  // O(entries): ~2 ns per entry (tests/bench/auth_bench.cc).
  const TokenEntry* Find(const Sha256Digest& digest) const;

  const std::vector<TokenEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  // "3 tokens (1 admin, 1 writer, 1 reader)".
  std::string Summary() const;

 private:
  std::vector<TokenEntry> entries_;
};

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_TOKEN_TABLE_H_
