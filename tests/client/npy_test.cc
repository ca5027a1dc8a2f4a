#include "client/npy.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// Files written by numpy 1.24 (np.save / np.lib.format.write_array) for
// np.arange(6, dtype='<f4').reshape(2, 3) * 0.5 - 1 and friends.
const std::string kNumpyV1 = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape'"
    ": (2, 3), }                                                          "
    "\x0a\x00\x00\x80\xbf\x00\x00\x00\xbf\x00\x00\x00\x00\x00\x00\x00\x3f"
    "\x00\x00\x80\x3f\x00\x00\xc0\x3f");
const std::string kNumpyV2 = Bytes(
    "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<f4', 'fortran_order': False,"
    " 'shape': (2, 3), }                                                   "
    "     \x0a\x00\x00\x80\xbf\x00\x00\x00\xbf\x00\x00\x00\x00\x00\x00\x00"
    "\x3f\x00\x00\x80\x3f\x00\x00\xc0\x3f");
const std::string kNumpyV3 = Bytes(
    "\x93NUMPY\x03\x00t\x00\x00\x00{'descr': '<f4', 'fortran_order': False,"
    " 'shape': (2, 3), }                                                   "
    "     \x0a\x00\x00\x80\xbf\x00\x00\x00\xbf\x00\x00\x00\x00\x00\x00\x00"
    "\x3f\x00\x00\x80\x3f\x00\x00\xc0\x3f");
const std::string kNumpyFortran = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': True, 'shape':"
    " (2, 3), }                                                           "
    "\x0a\x00\x00\x80\xbf\x00\x00\x00\x3f\x00\x00\x00\xbf\x00\x00\x80\x3f"
    "\x00\x00\x00\x00\x00\x00\xc0\x3f");
const std::string kNumpyBigEndian = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '>f4', 'fortran_order': False, 'shape'"
    ": (2, 3), }                                                          "
    "\x0a\xbf\x80\x00\x00\xbf\x00\x00\x00\x00\x00\x00\x00\x3f\x00\x00\x00"
    "\x3f\x80\x00\x00\x3f\xc0\x00\x00");
const std::string kNumpyScalar = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape'"
    ": (), }                                                              "
    "\x0a\x00\x00 @");
const std::string kNumpyF8 = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape'"
    ": (3,), }                                                            "
    "\x0a\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x02\xc0"
    "\xa5\x5c\xc3\xf1)c=H");
const std::string kNumpyI4 = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape'"
    ": (2, 2), }                                                          "
    "\x0a\x01\x00\x00\x00\xfe\xff\xff\xff\x03\x00\x00\x00\xff\xff\xff\x7f");
const std::string kNumpyI8 = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape'"
    ": (2,), }                                                            "
    "\x0a\xf9\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x01\x00\x00");
const std::string kNumpyU1 = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape'"
    ": (2,), }                                                            "
    "\x0a\x01\x02");
const std::string kNumpyEmpty = Bytes(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape'"
    ": (0, 3), }                                                          "
    "\x0a");

const std::vector<float> kValues = {-1, -0.5, 0, 0.5, 1, 1.5};

// Builds a version-1.0 file around an arbitrary header dict and data.
std::string MakeV1(const std::string& dict, const std::string& data) {
  std::string header = dict + "\n";
  std::string out = Bytes("\x93NUMPY\x01\x00");
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}

TEST(NpyTest, GoldenFilesAreNumpyByteSizes) {
  // Guards the literals above against accidental edits.
  EXPECT_EQ(kNumpyV1.size(), 152u);
  EXPECT_EQ(kNumpyV2.size(), 152u);
  EXPECT_EQ(kNumpyV3.size(), 152u);
  EXPECT_EQ(kNumpyScalar.size(), 132u);
  EXPECT_EQ(kNumpyF8.size(), 152u);
}

TEST(NpyTest, ReadsNumpyVersions1To3) {
  for (const std::string* file : {&kNumpyV1, &kNumpyV2, &kNumpyV3}) {
    absl::StatusOr<HostTensor> tensor = ParseNpy(*file);
    ASSERT_TRUE(tensor.ok()) << tensor.status();
    EXPECT_THAT(tensor->shape, ElementsAre(2, 3));
    EXPECT_EQ(tensor->values, kValues);
  }
}

TEST(NpyTest, WritesExactlyWhatNumpyWrites) {
  EXPECT_EQ(SerializeNpy(HostTensor{{2, 3}, kValues}), kNumpyV1);
  EXPECT_EQ(SerializeNpy(HostTensor{{}, {2.5f}}), kNumpyScalar);
  EXPECT_EQ(SerializeNpy(HostTensor{{0, 3}, {}}), kNumpyEmpty);
}

TEST(NpyTest, HeaderIsPaddedTo64Bytes) {
  const std::vector<std::vector<int64_t>> shapes = {
      {},         {1}, {7}, {2, 3}, {1, 2, 1, 3, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1},
      {100000, 0}};
  for (const auto& shape : shapes) {
    HostTensor tensor{shape, {}};
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    tensor.values.assign(count, 1.0f);
    const std::string file = SerializeNpy(tensor);
    const size_t header_len = static_cast<unsigned char>(file[8]) |
                              static_cast<unsigned char>(file[9]) << 8;
    EXPECT_EQ((10 + header_len) % 64, 0u) << file;
    EXPECT_EQ(file[10 + header_len - 1], '\n');
    EXPECT_EQ(file.size(), 10 + header_len + 4 * tensor.values.size());
  }
}

TEST(NpyTest, RoundTripsShapesAndValues) {
  const std::vector<HostTensor> tensors = {
      {{}, {3.25f}},
      {{4}, {1e-30f, -0.0f, 65504.0f, std::nanf("")}},
      {{2, 1, 3}, {1, 2, 3, 4, 5, 6}},
      {{0}, {}},
  };
  for (const HostTensor& tensor : tensors) {
    absl::StatusOr<HostTensor> back = ParseNpy(SerializeNpy(tensor));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->shape, tensor.shape);
    ASSERT_EQ(back->values.size(), tensor.values.size());
    for (size_t i = 0; i < tensor.values.size(); ++i) {
      if (std::isnan(tensor.values[i])) {
        EXPECT_TRUE(std::isnan(back->values[i]));
      } else {
        EXPECT_EQ(back->values[i], tensor.values[i]);
        EXPECT_EQ(std::signbit(back->values[i]),
                  std::signbit(tensor.values[i]));
      }
    }
  }
}

TEST(NpyTest, HugeHeaderSwitchesToVersion2) {
  HostTensor tensor{std::vector<int64_t>(30000, 1), {7.0f}};
  const std::string file = SerializeNpy(tensor);
  EXPECT_EQ(file[6], 2);
  const size_t header_len = static_cast<unsigned char>(file[8]) |
                            static_cast<unsigned char>(file[9]) << 8 |
                            static_cast<unsigned char>(file[10]) << 16;
  EXPECT_EQ((12 + header_len) % 64, 0u);
  absl::StatusOr<HostTensor> back = ParseNpy(file);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->shape, tensor.shape);
  EXPECT_THAT(back->values, ElementsAre(7.0f));
}

TEST(NpyTest, ScalarHasEmptyShape) {
  absl::StatusOr<HostTensor> tensor = ParseNpy(kNumpyScalar);
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_TRUE(tensor->shape.empty());
  EXPECT_THAT(tensor->values, ElementsAre(2.5f));
}

TEST(NpyTest, ConvertsOtherDtypesToFloat32) {
  absl::StatusOr<HostTensor> f8 = ParseNpy(kNumpyF8);
  ASSERT_TRUE(f8.ok()) << f8.status();
  EXPECT_THAT(f8->shape, ElementsAre(3));
  EXPECT_EQ(f8->values[0], 1.5f);
  EXPECT_EQ(f8->values[1], -2.25f);
  EXPECT_TRUE(std::isinf(f8->values[2]));  // 1e40 overflows float32

  absl::StatusOr<HostTensor> i4 = ParseNpy(kNumpyI4);
  ASSERT_TRUE(i4.ok()) << i4.status();
  EXPECT_THAT(i4->shape, ElementsAre(2, 2));
  EXPECT_THAT(i4->values, ElementsAre(1.0f, -2.0f, 3.0f, 2147483648.0f));

  absl::StatusOr<HostTensor> i8 = ParseNpy(kNumpyI8);
  ASSERT_TRUE(i8.ok()) << i8.status();
  EXPECT_THAT(i8->values, ElementsAre(-7.0f, 1099511627776.0f));
}

TEST(NpyTest, RejectsBadMagic) {
  std::string file = kNumpyV1;
  file[1] = 'X';
  absl::StatusOr<HostTensor> tensor = ParseNpy(file);
  EXPECT_EQ(tensor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tensor.status().message(), HasSubstr("magic"));
  EXPECT_FALSE(HasNpyMagic(file));
  EXPECT_TRUE(HasNpyMagic(kNumpyV1));
}

TEST(NpyTest, RejectsFortranOrder) {
  absl::StatusOr<HostTensor> tensor = ParseNpy(kNumpyFortran);
  EXPECT_EQ(tensor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tensor.status().message(), HasSubstr("fortran_order"));
}

TEST(NpyTest, RejectsBigEndianAndUnsupportedDtypes) {
  absl::StatusOr<HostTensor> big = ParseNpy(kNumpyBigEndian);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(big.status().message(), HasSubstr("big-endian"));

  absl::StatusOr<HostTensor> u1 = ParseNpy(kNumpyU1);
  EXPECT_EQ(u1.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(u1.status().message(), HasSubstr("'|u1' is not supported"));
}

TEST(NpyTest, RejectsTruncatedAndOversizedData) {
  absl::StatusOr<HostTensor> truncated =
      ParseNpy(kNumpyV1.substr(0, kNumpyV1.size() - 1));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(truncated.status().message(), HasSubstr("needs 24 data bytes"));

  EXPECT_FALSE(ParseNpy(kNumpyV1 + "x").ok());
  EXPECT_FALSE(ParseNpy(kNumpyV1.substr(0, 9)).ok());
  EXPECT_FALSE(ParseNpy(kNumpyV1.substr(0, 40)).ok());  // inside the header
}

TEST(NpyTest, RejectsUnknownVersion) {
  std::string file = kNumpyV1;
  file[6] = 4;
  EXPECT_THAT(ParseNpy(file).status().message(), HasSubstr("version 4.0"));
}

TEST(NpyTest, ParsesHeaderVariants) {
  const std::string data(8, '\0');
  // Other key order, double quotes, no trailing comma, extra spaces.
  absl::StatusOr<HostTensor> tensor = ParseNpy(MakeV1(
      "{ \"shape\" : ( 2 , ) ,'fortran_order':False,'descr':'<f4'}", data));
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->shape, ElementsAre(2));
}

TEST(NpyTest, RejectsMalformedHeaders) {
  const std::string data(8, '\0');
  const std::vector<std::string> bad = {
      "{'descr': '<f4', 'fortran_order': False}",  // no shape
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
      "{'descr': '<f4', 'fortran_order': maybe, 'shape': (2,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}",
      "['descr', '<f4']",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} extra",
  };
  for (const std::string& dict : bad) {
    absl::StatusOr<HostTensor> tensor = ParseNpy(MakeV1(dict, data));
    EXPECT_EQ(tensor.status().code(), absl::StatusCode::kInvalidArgument)
        << dict;
  }
}

TEST(NpyTest, RejectsShapeWhoseSizeOverflows) {
  absl::StatusOr<HostTensor> tensor =
      ParseNpy(MakeV1("{'descr': '<f4', 'fortran_order': False, 'shape': "
                      "(4294967296, 4294967296, 4294967296)}",
                      ""));
  EXPECT_EQ(tensor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tensor.status().message(), HasSubstr("overflows"));
}

}  // namespace
}  // namespace brainserve::client
