// Forward through a real channel: encodings, and INVALID_ARGUMENT /
// NOT_FOUND for every kind of malformed tensor, shape, name and mask. The
// queue-full and deadline rows are in batching_integration_test.cc.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/small_model_fixture.h"

namespace brainserve::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- Forward --------------------------------------------------------------

TEST_F(ModelServiceTest, ForwardAnswersInTheRequestEncoding) {
  const std::vector<float> x = RandomValues(2 * 4, 1);
  v1::ForwardResponse by_values, by_raw;
  ASSERT_TRUE(ForwardSmall(Input(ValuesTensor({2, 4}, x)), &by_values).ok());
  ASSERT_TRUE(ForwardSmall(Input(RawTensor({2, 4}, x)), &by_raw).ok());
  EXPECT_THAT(by_values.output().shape(), ElementsAre(2, 3));
  EXPECT_THAT(by_raw.output().shape(), ElementsAre(2, 3));
  EXPECT_EQ(by_values.output().values_size(), 6);
  EXPECT_TRUE(by_values.output().raw().empty());
  EXPECT_EQ(by_raw.output().raw().size(), 6 * sizeof(float));
  EXPECT_EQ(by_raw.output().values_size(), 0);
  EXPECT_EQ(TensorData(by_values.output()), TensorData(by_raw.output()));
  EXPECT_EQ(by_values.version(), 1u);
}

TEST_F(ModelServiceTest, ForwardMalformedTensorsNameTheField) {
  struct Case {
    v1::Tensor input;
    const char* message;
  };
  v1::Tensor both = ValuesTensor({1, 4}, {1, 2, 3, 4});
  both.set_raw(std::string(16, '\0'));
  const std::vector<Case> cases = {
      {both, "input: both values and raw"},
      {ValuesTensor({1, 4}, {}), "input: neither values nor raw"},
      {ValuesTensor({1, 4}, {1, 2, 3}), "input.values: 3 elements, expected 4"},
      {RawTensor({1, 4}, {1, 2, 3}), "input.raw: 12 bytes, expected 16"},
      {ValuesTensor({1, -4}, {1, 2, 3, 4}), "input.shape[1]"},
      {ValuesTensor({4}, {1, 2, 3, 4}), "input.shape"},
      {ValuesTensor({1, 1, 4}, {1, 2, 3, 4}), "input.shape"},
      {ValuesTensor({0, 4}, {}), "input.shape[0]"},
      {ValuesTensor({2, 2}, {1, 2, 3, 4}), "expected [B, 4]"},
  };
  for (const Case& c : cases) {
    ExpectStatus(ForwardSmall(Input(c.input)),
                 grpc::StatusCode::INVALID_ARGUMENT, c.message);
  }
  v1::ForwardRequest no_input;
  no_input.set_model("small");
  ExpectStatus(ForwardSmall(no_input), grpc::StatusCode::INVALID_ARGUMENT,
               "input: missing");
}

TEST_F(ModelServiceTest, ForwardModelNameErrors) {
  v1::ForwardRequest request = Input(ValuesTensor({1, 4}, {1, 2, 3, 4}));
  request.set_model("bad name!");
  ExpectStatus(ForwardSmall(request), grpc::StatusCode::INVALID_ARGUMENT,
               "model");
  request.set_model("unknown");
  ExpectStatus(ForwardSmall(request), grpc::StatusCode::NOT_FOUND, "unknown");
}

TEST_F(ModelServiceTest, ForwardMasks) {
  const std::vector<float> x = RandomValues(2 * 4, 2);
  v1::ForwardRequest request = Input(ValuesTensor({2, 4}, x));
  v1::ForwardResponse plain, all_ones, masked;
  ASSERT_TRUE(ForwardSmall(request, &plain).ok());
  // An all-ones mask is the same as no mask.
  (*request.mutable_masks())["norm"] =
      ValuesTensor({2, 8}, std::vector<float>(16, 1.0f));
  ASSERT_TRUE(ForwardSmall(request, &all_ones).ok());
  EXPECT_EQ(TensorData(plain.output()), TensorData(all_ones.output()));
  // A broadcast mask excluding half the features changes the statistics.
  (*request.mutable_masks())["norm"] =
      ValuesTensor({8}, {1, 1, 1, 1, 0, 0, 0, 0});
  ASSERT_TRUE(ForwardSmall(request, &masked).ok());
  EXPECT_NE(TensorData(plain.output()), TensorData(masked.output()));

  struct Case {
    const char* layer;
    v1::Tensor mask;
    grpc::StatusCode code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"nope", ValuesTensor({8}, std::vector<float>(8, 1)),
       grpc::StatusCode::NOT_FOUND, "masks[\"nope\"]"},
      {"fc", ValuesTensor({4}, std::vector<float>(4, 1)),
       grpc::StatusCode::INVALID_ARGUMENT, "masks[\"fc\"]"},
      {"norm", ValuesTensor({3}, std::vector<float>(3, 1)),
       grpc::StatusCode::INVALID_ARGUMENT, "masks[\"norm\"]"},
      {"norm", ValuesTensor({8}, {1, 1}), grpc::StatusCode::INVALID_ARGUMENT,
       "masks[\"norm\"].values"},
  };
  for (const Case& c : cases) {
    v1::ForwardRequest bad = Input(ValuesTensor({2, 4}, x));
    (*bad.mutable_masks())[c.layer] = c.mask;
    ExpectStatus(ForwardSmall(bad), c.code, c.message);
  }
}

}  // namespace
}  // namespace brainserve::testing
