#include "client/host_tensor.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "client/tensor_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HostTensorTest, ToProtoRawIsLittleEndianFloat32) {
  HostTensor tensor{{2}, {1.0f, -2.0f}};
  brainserve::v1::Tensor proto = ToProto(tensor, TensorEncoding::kRaw);
  EXPECT_THAT(proto.shape(), ElementsAre(2));
  EXPECT_EQ(proto.values_size(), 0);
  ASSERT_EQ(proto.raw().size(), 8u);
  EXPECT_EQ(proto.raw(), std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
}

TEST(HostTensorTest, ToProtoValues) {
  HostTensor tensor{{1, 2}, {0.5f, 3.0f}};
  brainserve::v1::Tensor proto = ToProto(tensor, TensorEncoding::kValues);
  EXPECT_THAT(proto.shape(), ElementsAre(1, 2));
  EXPECT_THAT(proto.values(), ElementsAre(0.5f, 3.0f));
  EXPECT_TRUE(proto.raw().empty());
}

TEST(HostTensorTest, ZeroElementsCarryNeitherField) {
  for (TensorEncoding encoding :
       {TensorEncoding::kRaw, TensorEncoding::kValues}) {
    brainserve::v1::Tensor proto = ToProto(HostTensor{{0, 4}, {}}, encoding);
    EXPECT_THAT(proto.shape(), ElementsAre(0, 4));
    EXPECT_EQ(proto.values_size(), 0);
    EXPECT_TRUE(proto.raw().empty());
    absl::StatusOr<HostTensor> back = FromProto(proto);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_THAT(back->shape, ElementsAre(0, 4));
  }
}

TEST(HostTensorTest, RoundTripsBothEncodings) {
  HostTensor tensor{{2, 2}, {1.5f, -0.0f, 1e-40f, 7.0f}};
  for (TensorEncoding encoding :
       {TensorEncoding::kRaw, TensorEncoding::kValues}) {
    absl::StatusOr<HostTensor> back = FromProto(ToProto(tensor, encoding));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->shape, tensor.shape);
    EXPECT_EQ(0, std::memcmp(back->values.data(), tensor.values.data(), 16));
  }
}

TEST(HostTensorTest, FromProtoRejectsInconsistentTensors) {
  brainserve::v1::Tensor both;
  both.add_shape(1);
  both.add_values(1);
  both.set_raw(std::string(4, '\0'));
  EXPECT_THAT(FromProto(both).status().message(), HasSubstr("both"));

  brainserve::v1::Tensor odd_raw;
  odd_raw.add_shape(1);
  odd_raw.set_raw(std::string(5, '\0'));
  EXPECT_THAT(FromProto(odd_raw).status().message(),
              HasSubstr("not a multiple of 4"));

  brainserve::v1::Tensor short_values;
  short_values.add_shape(3);
  short_values.add_values(1);
  EXPECT_THAT(FromProto(short_values).status().message(),
              HasSubstr("needs 3 elements but carries 1"));

  brainserve::v1::Tensor negative;
  negative.add_shape(-1);
  EXPECT_EQ(FromProto(negative).status().code(),
            absl::StatusCode::kInvalidArgument);

  brainserve::v1::Tensor scalar_without_data;  // shape [] has one element
  EXPECT_FALSE(FromProto(scalar_without_data).ok());
}

TEST(HostTensorTest, ConvertRawToValues) {
  brainserve::v1::Tensor proto =
      ToProto(HostTensor{{2}, {4.0f, 5.0f}}, TensorEncoding::kRaw);
  ASSERT_TRUE(ConvertRawToValues(&proto).ok());
  EXPECT_TRUE(proto.raw().empty());
  EXPECT_THAT(proto.values(), ElementsAre(4.0f, 5.0f));
}

TEST(HostTensorTest, NumElementsAndValidation) {
  EXPECT_EQ(*NumElements({}), 1);
  EXPECT_EQ(*NumElements({2, 3, 4}), 24);
  EXPECT_EQ(*NumElements({5, 0}), 0);
  EXPECT_FALSE(NumElements({1LL << 40, 1LL << 40}).ok());
  EXPECT_TRUE(ValidateHostTensor(HostTensor{{2}, {1, 2}}).ok());
  EXPECT_FALSE(ValidateHostTensor(HostTensor{{2}, {1}}).ok());
}

TEST(HostTensorTest, ParseTensorEncoding) {
  EXPECT_EQ(*ParseTensorEncoding("raw"), TensorEncoding::kRaw);
  EXPECT_EQ(*ParseTensorEncoding("values"), TensorEncoding::kValues);
  EXPECT_FALSE(ParseTensorEncoding("base64").ok());
}

TEST(TensorFormatTest, AlignsAndNests) {
  EXPECT_EQ(FormatTensor(HostTensor{{2, 2}, {1.5f, -2, 0, 3.25f}}),
            "[[ 1.50, -2.00],\n [ 0.00,  3.25]]");
  EXPECT_EQ(FormatTensor(HostTensor{{}, {0.125f}}), "0.125");
  EXPECT_EQ(FormatTensor(HostTensor{{0}, {}}), "[]");
  EXPECT_EQ(FormatTensor(HostTensor{{1, 1, 2}, {1, 2}}), "[[[1, 2]]]");
  EXPECT_EQ(FormatTensor(HostTensor{{2, 1, 1}, {1, 2}}), "[[[1]],\n\n [[2]]]");
}

TEST(TensorFormatTest, OneFormatPerTensor) {
  // At most 4 decimals, as many as needed.
  EXPECT_EQ(FormatTensor(HostTensor{{3}, {0.123456f, 10, -1}}),
            "[ 0.1235, 10.0000, -1.0000]");
  // Tiny or huge magnitudes switch the whole tensor to scientific.
  EXPECT_EQ(FormatTensor(HostTensor{{2}, {1e-5f, 2}}),
            "[1.0000e-05, 2.0000e+00]");
  EXPECT_EQ(FormatTensor(HostTensor{{2}, {1e7f, 0}}),
            "[1.0000e+07, 0.0000e+00]");
  EXPECT_EQ(
      FormatTensor(HostTensor{{3},
                              {std::numeric_limits<float>::quiet_NaN(),
                               -std::numeric_limits<float>::infinity(), 0.5f}}),
      "[ nan, -inf,  0.5]");
}

TEST(TensorFormatTest, SummarizesLargeTensors) {
  HostTensor tensor{{3000}, {}};
  for (int i = 0; i < 3000; ++i) tensor.values.push_back(i);
  EXPECT_EQ(FormatTensor(tensor), "[   0,    1,    2,  ..., 2997, 2998, 2999]");
}

TEST(TensorFormatTest, WrapsLongRows) {
  HostTensor tensor{{1, 30}, std::vector<float>(30, 0.5f)};
  const std::string text = FormatTensor(tensor);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    EXPECT_LE(end - start, 80u) << text;
    start = end + 1;
  }
  EXPECT_EQ(std::count(text.begin(), text.end(), '5'), 30);
}

}  // namespace
}  // namespace brainserve::client
