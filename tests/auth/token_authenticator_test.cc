#include "server/auth/token_authenticator.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TokenTable Table(const std::string& text) {
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : TokenTable();
}

std::string Tokens() {
  return absl::StrCat("reader ", Sha256Hex("r-secret"), " dash\n", "writer ",
                      Sha256Hex("w-secret"), " trainer-1\n", "admin ",
                      Sha256Hex("a-secret"), " ops\n");
}

TEST(TokenAuthenticatorTest, EveryOutcome) {
  TokenAuthenticator auth(Table(Tokens()));
  // No token, not a bearer credential, malformed, unknown.
  for (const char* header : {"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer   ",
                             "Bearerw-secret", "Bearer wrong"}) {
    absl::Status status = auth.Check(header, Role::kReader);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << header;
  }
  EXPECT_THAT(std::string(auth.Check("", Role::kReader).message()),
              HasSubstr("authorization: Bearer TOKEN"));
  // Known token without the role: names the role needed, never the token.
  Caller caller;
  absl::Status denied = auth.Check("Bearer r-secret", Role::kWriter, &caller);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()),
              AllOf(HasSubstr("needs role 'writer'"), HasSubstr("'dash'"),
                    Not(HasSubstr("r-secret"))));
  EXPECT_TRUE(caller.authenticated);
  EXPECT_EQ(caller.token_id, "dash");
  // Allowed, scheme case-insensitive, role order.
  EXPECT_TRUE(auth.Check("Bearer w-secret", Role::kWriter).ok());
  EXPECT_TRUE(auth.Check("bearer w-secret", Role::kReader).ok());
  EXPECT_TRUE(auth.Check("BEARER a-secret ", Role::kAdmin).ok());
  EXPECT_EQ(auth.Check("Bearer w-secret", Role::kAdmin).code(),
            absl::StatusCode::kPermissionDenied);
  Caller admin;
  ASSERT_TRUE(auth.Check("Bearer a-secret", Role::kReader, &admin).ok());
  EXPECT_EQ(admin.role, Role::kAdmin);
  EXPECT_EQ(admin.token_id, "ops");
}

TEST(TokenAuthenticatorTest, OverlongTokensAreRefusedUnhashed) {
  TokenAuthenticator auth(Table(Tokens()));
  const std::string huge(kMaxTokenBytes + 1, 'x');
  EXPECT_EQ(auth.Check("Bearer " + huge, Role::kReader).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(TokenAuthenticatorTest, ReplaceTakesEffectForTheNextCall) {
  TokenAuthenticator auth(Table(Tokens()));
  EXPECT_TRUE(auth.Check("Bearer r-secret", Role::kReader).ok());
  auth.Replace(Table(absl::StrCat("admin ", Sha256Hex("new"), "\n")));
  EXPECT_EQ(auth.Check("Bearer r-secret", Role::kReader).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth.Check("Bearer new", Role::kAdmin).ok());
  EXPECT_EQ(auth.table()->size(), 1u);
}

TEST(TokenAuthenticatorTest, ConcurrentChecksDuringReplacement) {
  TokenAuthenticator auth(Table(Tokens()));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!auth.Check("Bearer a-secret", Role::kAdmin).ok()) ++failures;
      }
    });
  }
  for (int i = 0; i < 200; ++i) auth.Replace(Table(Tokens()));
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(BearerTokenTest, Parsing) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bEaReR   abc  "), "abc");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Token abc"), "");
  EXPECT_EQ(BearerToken(""), "");
}

}  // namespace
}  // namespace brainserve::auth
