#include "server/auth/basic_auth.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

using ::testing::HasSubstr;

TEST(BasicAuthTest, ChecksUserAndPassword) {
  absl::StatusOr<std::vector<BasicAuthUser>> users = ParseBasicAuthUsers(
      absl::StrCat("# scrapers\nprometheus ", Sha256Hex("s3cret"), "\n",
                   "other ", Sha256Hex("pw"), "\n"),
      "FILE");
  ASSERT_TRUE(users.ok()) << users.status();
  BasicAuthChecker checker(*std::move(users));
  EXPECT_TRUE(checker.Check("prometheus", "s3cret"));
  EXPECT_TRUE(checker.Check("other", "pw"));
  EXPECT_FALSE(checker.Check("prometheus", "pw"));  // another user's password
  EXPECT_FALSE(checker.Check("prometheus", ""));
  EXPECT_FALSE(checker.Check("nobody", "s3cret"));
  checker.Replace({});
  EXPECT_FALSE(checker.Check("prometheus", "s3cret"));
  EXPECT_EQ(checker.size(), 0u);
}

TEST(BasicAuthTest, ParseErrorsNameTheLine) {
  const std::string digest = Sha256Hex("x");
  for (const auto& [text, expected] :
       std::vector<std::pair<std::string, std::string>>{
           {"user\n", "line 1: expected"},
           {"\nuser plain-password\n", "line 2: the password must be"},
           {"a:b " + digest + "\n", "cannot contain ':'"},
           {"u " + digest + "\nu " + digest + "\n", "line 2: user 'u'"}}) {
    absl::StatusOr<std::vector<BasicAuthUser>> users =
        ParseBasicAuthUsers(text, "FILE");
    ASSERT_FALSE(users.ok()) << text;
    EXPECT_THAT(std::string(users.status().message()), HasSubstr(expected));
  }
}

}  // namespace
}  // namespace brainserve::auth
