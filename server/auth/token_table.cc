#include "server/auth/token_table.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace brainserve::auth {
namespace {

constexpr size_t kMaxIdLength = 128;

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) &&
        absl::string_view("._:@/+-").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text,
                                             absl::string_view source) {
  TokenTable table;
  absl::flat_hash_set<std::string> digests;
  absl::flat_hash_set<std::string> ids;
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
    if (fields.size() < 2 || fields.size() > 3) {
      return error(absl::StrCat("expected 'ROLE SHA256_HEX [ID]', got ",
                                fields.size(), " field(s)"));
    }
    std::optional<Role> role = ParseRole(fields[0]);
    if (!role.has_value()) {
      return error(absl::StrCat("unknown role '", absl::CHexEscape(fields[0]),
                                "' (reader, writer or admin)"));
    }
    std::optional<Sha256Digest> digest = ParseSha256Hex(fields[1]);
    if (!digest.has_value()) {
      return error(
          "the second field must be the SHA-256 of the token as 64 hex "
          "digits (never the token itself)");
    }
    TokenEntry entry;
    entry.role = *role;
    entry.digest = *digest;
    entry.id = fields.size() == 3
                   ? std::string(fields[2])
                   : absl::StrCat("sha256:", DigestHex(*digest).substr(0, 12));
    if (!ValidId(entry.id)) {
      return error("the ID must be 1-128 characters of [A-Za-z0-9._:@/+-]");
    }
    if (!digests.insert(DigestHex(*digest)).second) {
      return error("this token digest is already listed on an earlier line");
    }
    if (!ids.insert(entry.id).second) {
      return error(absl::StrCat("the ID '", entry.id, "' is already used"));
    }
    table.entries_.push_back(std::move(entry));
  }
  return table;
}

const TokenEntry* TokenTable::Find(const Sha256Digest& digest) const {
  uint64_t want[4];
  std::memcpy(want, digest.data(), sizeof(want));
  const TokenEntry* found = nullptr;
  for (const TokenEntry& entry : entries_) {
    // Every byte of every entry is compared (OR of XORs, no early exit) and
    // the result selected without a branch: the same work whether or not,
    // and wherever, an entry matches. Four 64-bit words instead of
    // CRYPTO_memcmp's byte loop: ~10x cheaper per entry.
    uint64_t have[4];
    std::memcpy(have, entry.digest.data(), sizeof(have));
    const uint64_t diff = (have[0] ^ want[0]) | (have[1] ^ want[1]) |
                          (have[2] ^ want[2]) | (have[3] ^ want[3]);
    // 1 iff diff == 0, computed without a comparison the compiler could
    // turn into a branch.
    const uint64_t match = 1 ^ ((diff | (0 - diff)) >> 63);
    const uintptr_t mask = 0 - static_cast<uintptr_t>(match);
    found = reinterpret_cast<const TokenEntry*>(
        (reinterpret_cast<uintptr_t>(&entry) & mask) |
        (reinterpret_cast<uintptr_t>(found) & ~mask));
  }
  return found;
}

std::string TokenTable::Summary() const {
  int counts[4] = {0, 0, 0, 0};
  for (const TokenEntry& entry : entries_) {
    ++counts[static_cast<int>(entry.role)];
  }
  return absl::StrCat(
      entries_.size(), entries_.size() == 1 ? " token" : " tokens", " (",
      counts[3], " admin, ", counts[2], " writer, ", counts[1], " reader)");
}

}  // namespace brainserve::auth
