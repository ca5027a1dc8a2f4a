#include "client/loadgen/input_data.h"

#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "client/json_tensor.h"
#include "client/npy.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

// The load generator reads its input files with the client library's parsers;
// these cases pin what it accepted when it had parsers of its own.
using client::ParseJsonTensor;
using client::ParseNpy;

// Builds a version-1.0 .npy file the way numpy.save does.
std::string MakeNpy(const std::string& descr, const std::string& shape,
                    const void* data, size_t bytes) {
  std::string header =
      absl::StrCat("{'descr': '", descr,
                   "', 'fortran_order': False, 'shape': ", shape, ", }");
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(data), bytes);
  return out;
}

TEST(LoadgenNpyTest, ReadsFloat32AndFloat64) {
  const float f[6] = {1, 2, 3, 4, 5, 6.5};
  auto t = ParseNpy(MakeNpy("<f4", "(2, 3)", f, sizeof(f)));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->values, (std::vector<float>{1, 2, 3, 4, 5, 6.5}));
  const double d[2] = {0.25, -1};
  t = ParseNpy(MakeNpy("<f8", "(2,)", d, sizeof(d)));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(t->values, (std::vector<float>{0.25, -1}));
  const int64_t i[1] = {7};
  t = ParseNpy(MakeNpy("<i8", "()", i, sizeof(i)));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->shape.empty());
  EXPECT_EQ(t->values, (std::vector<float>{7}));
}

TEST(LoadgenNpyTest, RejectsBadFiles) {
  const float f[2] = {1, 2};
  EXPECT_FALSE(ParseNpy("not numpy").ok());
  EXPECT_FALSE(ParseNpy(MakeNpy("<f4", "(3,)", f, sizeof(f))).ok());  // short
  EXPECT_FALSE(ParseNpy(MakeNpy(">f4", "(2,)", f, sizeof(f))).ok());
  EXPECT_FALSE(ParseNpy(MakeNpy("<c8", "(1,)", f, sizeof(f))).ok());
}

TEST(LoadgenJsonTensorTest, NestedArrays) {
  auto t = ParseJsonTensor("[[1, 2.5], [3, -4]]");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t->values, (std::vector<float>{1, 2.5, 3, -4}));
  t = ParseJsonTensor("[1,2,3]");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape, (std::vector<int64_t>{3}));
  EXPECT_FALSE(ParseJsonTensor("[[1,2],[3]]").ok());
  EXPECT_FALSE(ParseJsonTensor("[[1,2],3]").ok());
  EXPECT_FALSE(ParseJsonTensor("[\"a\"]").ok());
  EXPECT_FALSE(ParseJsonTensor("[1,").ok());
}

TEST(LoadgenBuildForwardRequestsTest, RandomPoolIsSeededAndShaped) {
  InputOptions options;
  options.batch_rows = 4;
  options.pool_size = 3;
  options.seed = 9;
  auto a = BuildForwardRequests("m", {8}, options);
  auto b = BuildForwardRequests("m", {8}, options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), 3u);
  for (size_t i = 0; i < a->size(); ++i) {
    const auto& input = (*a)[i].input();
    EXPECT_EQ((*a)[i].model(), "m");
    EXPECT_EQ(std::vector<int64_t>(input.shape().begin(), input.shape().end()),
              (std::vector<int64_t>{4, 8}));
    EXPECT_EQ(input.raw().size(), 4u * 8 * sizeof(float));
    EXPECT_EQ(input.values_size(), 0);
    EXPECT_EQ(input.raw(), (*b)[i].input().raw());
  }
  EXPECT_NE((*a)[0].input().raw(), (*a)[1].input().raw());
  options.raw_encoding = false;
  auto values = BuildForwardRequests("m", {8}, options);
  ASSERT_TRUE(values.ok());
  EXPECT_TRUE((*values)[0].input().raw().empty());
  ASSERT_EQ((*values)[0].input().values_size(), 32);
  float first;
  std::memcpy(&first, (*a)[0].input().raw().data(), sizeof(float));
  EXPECT_EQ((*values)[0].input().values(0), first);
}

TEST(LoadgenBuildForwardRequestsTest, FileSampleIsTiledAndBatchUsedAsIs) {
  const std::string path =
      absl::StrCat(testing::TempDir(), "/loadgen_input.json");
  { std::ofstream(path) << "[1, 2]"; }
  InputOptions options;
  options.input_file = path;
  options.batch_rows = 3;
  options.raw_encoding = false;
  auto requests = BuildForwardRequests("m", {2}, options);
  ASSERT_TRUE(requests.ok()) << requests.status();
  ASSERT_EQ(requests->size(), 1u);
  const auto& input = (*requests)[0].input();
  EXPECT_EQ(input.shape(0), 3);
  EXPECT_EQ(std::vector<float>(input.values().begin(), input.values().end()),
            (std::vector<float>{1, 2, 1, 2, 1, 2}));
  { std::ofstream(path) << "[[1, 2], [3, 4]]"; }
  requests = BuildForwardRequests("m", {2}, options);
  ASSERT_TRUE(requests.ok());
  EXPECT_EQ((*requests)[0].input().shape(0), 2);
  requests = BuildForwardRequests("m", {3}, options);
  ASSERT_FALSE(requests.ok());
  EXPECT_EQ(requests.status().code(), absl::StatusCode::kInvalidArgument);
  options.input_file = path + ".missing";
  EXPECT_EQ(BuildForwardRequests("m", {2}, options).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(LoadgenGrpcFrameTest, PrefixesFlagAndBigEndianLength) {
  std::string payload(300, 'x');
  const std::string frame = GrpcFrame(payload);
  ASSERT_EQ(frame.size(), 305u);
  EXPECT_EQ(frame[0], 0);
  EXPECT_EQ(frame[1], 0);
  EXPECT_EQ(frame[2], 0);
  EXPECT_EQ(static_cast<unsigned char>(frame[3]), 1);
  EXPECT_EQ(static_cast<unsigned char>(frame[4]), 44);
  EXPECT_EQ(frame.substr(5), payload);
}

}  // namespace
}  // namespace brainserve::loadgen
