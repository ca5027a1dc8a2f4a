// Model::Restore (a model rebuilt from stored parameters at a stored
// version) and Update's commit hook (the store commit between preparing and
// publishing a snapshot).
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSpec[] = R"pb(
  input_shape: 3
  layers { name: "fc" scaled_ws_linear { out_size: 2 } }
  layers { name: "norm" layer_norm {} }
  layers { name: "head" linear { out_size: 2 } }
)pb";

std::vector<float> ForwardOne(const Model& model) {
  const std::vector<float> input = {0.5f, -1.0f, 2.0f};
  std::vector<float> output(2);
  EXPECT_TRUE(
      model
          .Forward(*model.snapshot(), input.data(), 1, MaskMap(), output.data())
          .ok());
  return output;
}

ParameterUpdate AddToHeadBias(float delta) {
  return {"head", "bias", UpdateMode::kAdd, DenseTensor{{2}, {delta, -delta}}};
}

TEST(RestoreTest, RestoredModelEqualsTheOriginalBitwiseAtItsVersion) {
  auto original = Model::Create(ParseSpec(kSpec), 9);
  ASSERT_TRUE(original.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*original)->Update({AddToHeadBias(0.1f * i)}, {}).ok());
  }
  auto snapshot = (*original)->snapshot();
  auto restored = Model::Restore(ParseSpec(kSpec), CopyValues(*snapshot),
                                 snapshot->version());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->snapshot()->version(), 4u);
  const std::vector<float> a = ForwardOne(**original), b = ForwardOne(**restored);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  // Both continue identically.
  ASSERT_TRUE((*original)->Update({AddToHeadBias(0.7f)}, 4).ok());
  ASSERT_TRUE((*restored)->Update({AddToHeadBias(0.7f)}, 4).ok());
  const std::vector<float> c = ForwardOne(**original), d = ForwardOne(**restored);
  EXPECT_EQ(std::memcmp(c.data(), d.data(), c.size() * sizeof(float)), 0);
}

TEST(RestoreTest, MismatchedValuesAreInvalidArgumentNamingTheParameter) {
  auto original = Model::Create(ParseSpec(kSpec), 9);
  ASSERT_TRUE(original.ok());
  std::vector<DenseTensor> values = CopyValues(*(*original)->snapshot());

  std::vector<DenseTensor> fewer(values.begin(), values.end() - 1);
  EXPECT_EQ(Model::Restore(ParseSpec(kSpec), fewer, 1).status().code(),
            absl::StatusCode::kInvalidArgument);

  std::vector<DenseTensor> reshaped = values;
  reshaped[0].shape = {2, 3};
  absl::Status status = Model::Restore(ParseSpec(kSpec), reshaped, 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("fc/weight"));

  std::vector<DenseTensor> nan = values;
  nan.back().data[0] = std::nanf("");
  status = Model::Restore(ParseSpec(kSpec), nan, 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("head/bias"));

  EXPECT_EQ(Model::Restore(ParseSpec(kSpec), values, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommitHookTest, SeesTheNextVersionBeforeAnyReaderDoes) {
  auto model = Model::Create(ParseSpec(kSpec), 9);
  ASSERT_TRUE(model.ok());
  uint64_t seen = 0, current_during_commit = 0;
  auto next = (*model)->Update({AddToHeadBias(1)}, 1, [&](uint64_t version) {
    seen = version;
    current_during_commit = (*model)->snapshot()->version();
    return absl::OkStatus();
  });
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(seen, 2u);
  EXPECT_EQ(current_during_commit, 1u) << "published only after the commit";
  EXPECT_EQ((*model)->snapshot()->version(), 2u);
}

TEST(CommitHookTest, AFailedCommitPublishesNothing) {
  auto model = Model::Create(ParseSpec(kSpec), 9);
  ASSERT_TRUE(model.ok());
  const std::vector<float> before = ForwardOne(**model);
  auto next = (*model)->Update({AddToHeadBias(1)}, {}, [](uint64_t) {
    return absl::UnavailableError("disk full");
  });
  EXPECT_EQ(next.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*model)->snapshot()->version(), 1u);
  const std::vector<float> after = ForwardOne(**model);
  EXPECT_EQ(std::memcmp(before.data(), after.data(), 2 * sizeof(float)), 0);
  // The next update gets the version the failed one would have had.
  auto retried = (*model)->Update({AddToHeadBias(1)}, 1);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ((*retried)->version(), 2u);
}

TEST(CommitHookTest, InvalidUpdatesNeverReachTheHook) {
  auto model = Model::Create(ParseSpec(kSpec), 9);
  ASSERT_TRUE(model.ok());
  bool called = false;
  auto hook = [&](uint64_t) {
    called = true;
    return absl::OkStatus();
  };
  EXPECT_EQ((*model)->Update({AddToHeadBias(1)}, 7, hook).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ParameterUpdate bad = AddToHeadBias(1);
  bad.value.data[0] = std::nanf("");
  EXPECT_EQ((*model)->Update({bad}, {}, hook).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace brainserve::engine::testing
