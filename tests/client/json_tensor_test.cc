#include "client/json_tensor.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(JsonTensorTest, InfersShapeOfNestedArrays) {
  absl::StatusOr<HostTensor> tensor = ParseJsonTensor("[[1, 2], [3, 4.5]]");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->shape, ElementsAre(2, 2));
  EXPECT_THAT(tensor->values, ElementsAre(1, 2, 3, 4.5));

  tensor = ParseJsonTensor(" [[[1], [2], [3]], [[4], [5], [6]]]\n");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->shape, ElementsAre(2, 3, 1));
  EXPECT_THAT(tensor->values, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(JsonTensorTest, ScalarsAndEmptyArrays) {
  absl::StatusOr<HostTensor> scalar = ParseJsonTensor("-0.25");
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_THAT(scalar->shape, IsEmpty());
  EXPECT_THAT(scalar->values, ElementsAre(-0.25f));

  absl::StatusOr<HostTensor> empty = ParseJsonTensor("[]");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->shape, ElementsAre(0));

  absl::StatusOr<HostTensor> rows = ParseJsonTensor("[[], []]");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(rows->shape, ElementsAre(2, 0));
  EXPECT_THAT(rows->values, IsEmpty());
}

TEST(JsonTensorTest, RaggedArraysAreErrors) {
  const char* ragged[] = {"[[1, 2], [3]]", "[[1], 2]",  "[1, [2]]",
                          "[[1], []]",     "[[], [1]]", "[[[1, 2]], [[3]]]"};
  for (const char* json : ragged) {
    absl::StatusOr<HostTensor> tensor = ParseJsonTensor(json);
    EXPECT_EQ(tensor.status().code(), absl::StatusCode::kInvalidArgument)
        << json;
    EXPECT_THAT(tensor.status().message(), HasSubstr("ragged")) << json;
  }
  EXPECT_THAT(ParseJsonTensor("[[1, 2], [3]]").status().message(),
              HasSubstr("element at [1] has 1 entries instead of 2"));
}

TEST(JsonTensorTest, NonNumbersAndBadJsonAreErrors) {
  EXPECT_THAT(ParseJsonTensor("[1, \"two\"]").status().message(),
              HasSubstr("element at [1] is not a number"));
  EXPECT_THAT(ParseJsonTensor("[true]").status().message(),
              HasSubstr("not a number"));
  EXPECT_THAT(ParseJsonTensor("[null]").status().message(),
              HasSubstr("not a number"));
  EXPECT_THAT(ParseJsonTensor("[1, 2").status().message(),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseJsonTensor("   ").status().message(), HasSubstr("empty"));
}

TEST(JsonTensorTest, AcceptsProtobufNonFiniteSpellings) {
  absl::StatusOr<HostTensor> tensor =
      ParseJsonTensor("[\"NaN\", \"Infinity\", \"-Infinity\", 1e39]");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_TRUE(std::isnan(tensor->values[0]));
  EXPECT_EQ(tensor->values[1], std::numeric_limits<float>::infinity());
  EXPECT_EQ(tensor->values[2], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(tensor->values[3], std::numeric_limits<float>::infinity());
}

TEST(JsonTensorTest, ObjectForm) {
  absl::StatusOr<HostTensor> tensor =
      ParseJsonTensor(R"({"shape": [2, 3], "values": [1, 2, 3, 4, 5, 6]})");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->shape, ElementsAre(2, 3));
  EXPECT_THAT(tensor->values, ElementsAre(1, 2, 3, 4, 5, 6));

  // The protobuf JSON mapping prints int64 as strings; that reads back too.
  tensor = ParseJsonTensor(R"({"shape": ["3"], "values": [1, "NaN", 3]})");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->shape, ElementsAre(3));
  EXPECT_TRUE(std::isnan(tensor->values[1]));

  // "raw": base64 of little-endian float32 1.0 (00 00 80 3f) and 2.0.
  tensor = ParseJsonTensor(R"({"shape": [2], "raw": "AACAPwAAAEA="})");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->values, ElementsAre(1.0f, 2.0f));

  // Shape [] is a scalar with one value; an absent shape is a scalar too.
  tensor = ParseJsonTensor(R"({"values": [7]})");
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_THAT(tensor->shape, IsEmpty());
}

TEST(JsonTensorTest, ObjectFormErrors) {
  EXPECT_THAT(ParseJsonTensor(R"({"shape": [2, 2], "values": [1, 2, 3]})")
                  .status()
                  .message(),
              HasSubstr("needs 4 elements but carries 3"));
  EXPECT_THAT(
      ParseJsonTensor(R"({"shape": [1], "valuez": [1]})").status().message(),
      HasSubstr("object form"));
  EXPECT_THAT(
      ParseJsonTensor(R"({"shape": [-1], "values": []})").status().message(),
      HasSubstr("negative"));
  EXPECT_THAT(
      ParseJsonTensor(R"({"shape": [1], "values": [1], "raw": "AACAPw=="})")
          .status()
          .message(),
      HasSubstr("both"));
}

TEST(JsonTensorTest, FormatRoundTripsExactly) {
  HostTensor tensor{{2, 3}, {0.1f, -1e-7f, 3.4028235e38f, 1.0f / 3, 0, -2}};
  const std::string json = FormatJsonTensor(tensor);
  EXPECT_THAT(json, HasSubstr("{\"shape\":[2,3],\"values\":[0.1,"));
  absl::StatusOr<HostTensor> back = ParseJsonTensor(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->shape, tensor.shape);
  EXPECT_EQ(back->values, tensor.values);
}

TEST(JsonTensorTest, FormatWritesNonFiniteAsProtobufStrings) {
  HostTensor tensor{{3},
                    {std::numeric_limits<float>::quiet_NaN(),
                     std::numeric_limits<float>::infinity(),
                     -std::numeric_limits<float>::infinity()}};
  EXPECT_EQ(FormatJsonTensor(tensor),
            "{\"shape\":[3],\"values\":[\"NaN\",\"Infinity\",\"-Infinity\"]}");
}

TEST(JsonTensorTest, FormatFloatIsShortestRoundTrip) {
  EXPECT_EQ(FormatFloat(0.5f), "0.5");
  EXPECT_EQ(FormatFloat(0.1f), "0.1");
  EXPECT_EQ(FormatFloat(100.0f), "100");
  for (float value : {1.0f / 3, 16777217.0f, 1.17549435e-38f, -123.456f}) {
    EXPECT_EQ(std::strtof(FormatFloat(value).c_str(), nullptr), value);
  }
}

}  // namespace
}  // namespace brainserve::client
