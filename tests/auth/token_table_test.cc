#include "server/auth/token_table.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Line(absl::string_view role, absl::string_view token,
                 absl::string_view id = "") {
  return absl::StrCat(role, " ", Sha256Hex(token), id.empty() ? "" : " ", id,
                      "\n");
}

Sha256Digest DigestOf(absl::string_view token) {
  Sha256Digest digest;
  EXPECT_TRUE(Sha256(token, &digest));
  return digest;
}

TEST(TokenTableTest, ParsesRolesIdsCommentsAndBlankLines) {
  const std::string text = absl::StrCat(
      "# brainserve tokens\n\n", Line("reader", "r-token", "dashboard"), "  ",
      Line("writer", "w-token", "trainer-1"), "\t", "admin ",
      Sha256Hex("a-token"), "   # the operator\r\n");
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->size(), 3u);
  EXPECT_EQ(table->Summary(), "3 tokens (1 admin, 1 writer, 1 reader)");
  const TokenEntry* writer = table->Find(DigestOf("w-token"));
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->role, Role::kWriter);
  EXPECT_EQ(writer->id, "trainer-1");
  // No ID: named by the digest's prefix (not secret).
  const TokenEntry* admin = table->Find(DigestOf("a-token"));
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->id, "sha256:" + Sha256Hex("a-token").substr(0, 12));
  EXPECT_EQ(table->Find(DigestOf("r-token"))->id, "dashboard");
  EXPECT_EQ(table->Find(DigestOf("nope")), nullptr);
}

TEST(TokenTableTest, FindsTheMatchAtAnyPosition) {
  std::string text;
  for (int i = 0; i < 20; ++i) {
    absl::StrAppend(
        &text, Line("reader", absl::StrCat("t", i), absl::StrCat("id", i)));
  }
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok());
  for (int i = 0; i < 20; ++i) {
    const TokenEntry* entry = table->Find(DigestOf(absl::StrCat("t", i)));
    ASSERT_NE(entry, nullptr) << i;
    EXPECT_EQ(entry->id, absl::StrCat("id", i));
  }
}

TEST(TokenTableTest, EmptyFileIsAnEmptyTable) {
  absl::StatusOr<TokenTable> table = TokenTable::Parse("# none\n", "tokens");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->size(), 0u);
  EXPECT_EQ(table->Find(DigestOf("x")), nullptr);
}

TEST(TokenTableTest, ErrorsNameTheFileAndLineButNeverTheDigest) {
  const std::string digest = Sha256Hex("secret");
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"root " + digest + "\n", "line 1: unknown role 'root'"},
      {"reader\n", "line 1: expected 'ROLE SHA256_HEX [ID]', got 1 field"},
      {"reader " + digest + " id extra\n", "got 4 field"},
      {"\nreader secret id\n", "line 2: the second field must be the SHA-256"},
      {"reader " + digest.substr(2) + "\n", "64 hex digits"},
      {"reader " + digest + " a\nwriter " + digest + " b\n",
       "line 2: this token digest is already listed"},
      {Line("reader", "x", "dup") + Line("writer", "y", "dup"),
       "line 2: the ID 'dup' is already used"},
      {"reader " + digest + " bad\"id\n", "the ID must be"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(c.text, "FILE");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(table.status().message(),
                AllOf(HasSubstr("FILE: "), HasSubstr(c.expected),
                      Not(HasSubstr(digest.substr(2, 20)))))
        << c.text;
  }
}

}  // namespace
}  // namespace brainserve::auth
