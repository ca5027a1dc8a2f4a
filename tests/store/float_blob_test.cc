#include "server/store/float_blob.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "gtest/gtest.h"

namespace brainserve::server::store {
namespace {

TEST(FloatBlob, IsLittleEndianFloat32AndRoundTripsEveryBit) {
  const std::vector<float> values = {1.0f, -0.0f, 3.5e-42f /* subnormal */,
                                     std::numeric_limits<float>::max()};
  const std::string blob = FloatsToBlob(values);
  ASSERT_EQ(blob.size(), 16u);
  // 1.0f is 0x3F800000: little-endian bytes 00 00 80 3F.
  EXPECT_EQ(static_cast<unsigned char>(blob[2]), 0x80);
  EXPECT_EQ(static_cast<unsigned char>(blob[3]), 0x3F);
  absl::StatusOr<std::vector<float>> back = BlobToFloats(blob, 4, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::memcmp(back->data(), values.data(), 16), 0);
}

TEST(FloatBlob, WrongSizeIsDataLossNamingTheValue) {
  absl::StatusOr<std::vector<float>> back =
      BlobToFloats(std::string(10, '\0'), 3, "model 'm' fc/bias");
  EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(back.status().message().find("fc/bias"), std::string::npos);
}

TEST(FloatBlob, ShapesRoundTripAndMalformedOnesAreDataLoss) {
  EXPECT_EQ(ShapeToText({64, 10}), "64,10");
  EXPECT_EQ(ShapeToText({}), "");
  EXPECT_EQ(*TextToShape("64,10", "x"), (std::vector<int64_t>{64, 10}));
  EXPECT_TRUE(TextToShape("", "x")->empty());
  for (const char* bad : {"64,", "a", "-1", "1,,2"}) {
    EXPECT_EQ(TextToShape(bad, "x").status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
}

}  // namespace
}  // namespace brainserve::server::store
