#include "server/store/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace brainserve::server::store {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // The CRC-32C check value of "123456789" (RFC 3720, appendix B.4).
  const std::string text = "123456789";
  EXPECT_EQ(Crc32c(text.data(), text.size()), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(text.data(), text.size()), 0xE3069283u);
}

TEST(Crc32c, DispatchedAndPortableAgreeOnEveryLengthAndAlignment) {
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t size = 0; size + offset <= 200; ++size) {
      ASSERT_EQ(Crc32c(data.data() + offset, size),
                Crc32cPortable(data.data() + offset, size))
          << offset << " " << size;
    }
  }
}

TEST(Crc32c, OneFlippedBitChangesIt) {
  std::string data(4096, 'w');
  const uint32_t before = Crc32c(data.data(), data.size());
  data[2049] ^= 0x10;
  EXPECT_NE(Crc32c(data.data(), data.size()), before);
}

}  // namespace
}  // namespace brainserve::server::store
