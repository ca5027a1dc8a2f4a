#include "server/auth/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

TEST(Sha256Test, KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Reusing the thread's context gives the same answer.
  EXPECT_EQ(Sha256Hex("abc"), Sha256Hex("abc"));
}

TEST(Sha256Test, ParsesHexInEitherCaseAndRejectsTheRest) {
  const std::string hex = Sha256Hex("token");
  std::optional<Sha256Digest> lower = ParseSha256Hex(hex);
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(DigestHex(*lower), hex);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  std::optional<Sha256Digest> parsed_upper = ParseSha256Hex(upper);
  ASSERT_TRUE(parsed_upper.has_value());
  EXPECT_TRUE(DigestsEqual(*lower, *parsed_upper));
  EXPECT_FALSE(ParseSha256Hex(hex.substr(1)).has_value());
  EXPECT_FALSE(ParseSha256Hex(hex + "0").has_value());
  EXPECT_FALSE(ParseSha256Hex(std::string(64, 'g')).has_value());
  EXPECT_FALSE(ParseSha256Hex("").has_value());
}

TEST(Sha256Test, DigestsEqualComparesEveryByte) {
  Sha256Digest a{};
  Sha256Digest b{};
  EXPECT_TRUE(DigestsEqual(a, b));
  b[31] = 1;
  EXPECT_FALSE(DigestsEqual(a, b));
  b[31] = 0;
  b[0] = 1;
  EXPECT_FALSE(DigestsEqual(a, b));
}

}  // namespace
}  // namespace brainserve::auth
