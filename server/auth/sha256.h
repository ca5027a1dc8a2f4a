// SHA-256 through OpenSSL's EVP interface, and the constant-time comparison
// of digests. The token file and the metrics credentials store only digests.
//
// Thread safety: all functions may be called concurrently (each thread
// reuses its own digest context).
#ifndef BRAINSERVE_SERVER_AUTH_SHA256_H_
#define BRAINSERVE_SERVER_AUTH_SHA256_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace brainserve::auth {

using Sha256Digest = std::array<uint8_t, 32>;

// The digest of `data` in *digest; false only if OpenSSL fails (then the
// caller must treat the input as matching nothing).
bool Sha256(absl::string_view data, Sha256Digest* digest);

// 64 lower-case hex digits of SHA-256(data) ("" if OpenSSL fails).
std::string Sha256Hex(absl::string_view data);

// Parses exactly 64 hex digits (either case).
std::optional<Sha256Digest> ParseSha256Hex(absl::string_view hex);

// Lower-case hex of `digest`.
std::string DigestHex(const Sha256Digest& digest);

// Constant-time equality (CRYPTO_memcmp): the time does not depend on where
// the digests differ.
bool DigestsEqual(const Sha256Digest& a, const Sha256Digest& b);

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_SHA256_H_
