// brainserve-auth-bench: the per-call cost of checking a bearer token
// (SHA-256 of the token, constant-time comparison with every stored digest,
// role check) against its parts and a naive baseline, in the same run.
//
//   BUILD/tests/bench/brainserve-auth-bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <openssl/evp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "server/auth/method_roles.h"
#include "server/auth/sha256.h"
#include "server/auth/token_authenticator.h"

namespace brainserve::auth {
namespace {

// A realistic token: 32 random bytes as 64 hex digits (openssl rand -hex 32).
std::string TokenNumber(int i) {
  return absl::StrCat(Sha256Hex(absl::StrCat("token-", i)));
}

TokenTable TableOf(int tokens) {
  std::string text;
  for (int i = 0; i < tokens; ++i) {
    absl::StrAppend(&text, i % 3 == 0 ? "admin " : "reader ",
                    Sha256Hex(TokenNumber(i)), " id-", i, "\n");
  }
  return *TokenTable::Parse(text, "bench");
}

// Baseline: OpenSSL's one-shot EVP_Digest with an implicit fetch per call.
void BM_NaiveEvpDigest(benchmark::State& state) {
  const std::string token = TokenNumber(1);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  for (auto _ : state) {
    EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(),
               nullptr);
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(BM_NaiveEvpDigest);

void BM_Sha256(benchmark::State& state) {
  const std::string token = TokenNumber(1);
  Sha256Digest digest;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha256(token, &digest));
  }
}
BENCHMARK(BM_Sha256);

void BM_TableFind(benchmark::State& state) {
  const TokenTable table = TableOf(static_cast<int>(state.range(0)));
  Sha256Digest digest;
  Sha256(TokenNumber(0), &digest);
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Find(digest));
  }
}
BENCHMARK(BM_TableFind)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

void BM_RuleFor(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(RuleFor(methods::kForward));
  }
}
BENCHMARK(BM_RuleFor);

// The whole check a Forward call pays: method lookup, bearer parsing,
// SHA-256, constant-time scan, role check. Arg = tokens in the file.
void BM_CheckForward(benchmark::State& state) {
  static TokenAuthenticator* auth = nullptr;
  if (state.thread_index() == 0) {
    auth = new TokenAuthenticator(TableOf(static_cast<int>(state.range(0))));
  }
  const std::string header = absl::StrCat("Bearer ", TokenNumber(1));
  for (auto _ : state) {
    const MethodRule rule = RuleFor(methods::kForward);
    benchmark::DoNotOptimize(auth->Check(header, rule.role).ok());
  }
  if (state.thread_index() == 0) {
    delete auth;
    auth = nullptr;
  }
}
BENCHMARK(BM_CheckForward)->Arg(3)->Arg(100);
BENCHMARK(BM_CheckForward)->Arg(3)->Threads(2);

// A refused call (unknown token) costs the same as an accepted one.
void BM_CheckUnknownToken(benchmark::State& state) {
  TokenAuthenticator auth(TableOf(3));
  const std::string header = absl::StrCat("Bearer ", TokenNumber(999));
  for (auto _ : state) {
    benchmark::DoNotOptimize(auth.Check(header, Role::kReader).ok());
  }
}
BENCHMARK(BM_CheckUnknownToken);

}  // namespace
}  // namespace brainserve::auth

BENCHMARK_MAIN();
