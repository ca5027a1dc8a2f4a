// The versioned Update() contract (REPLACE / ADD, atomicity, expected
// version, NOT_FOUND / INVALID_ARGUMENT naming the field), Forward argument
// checks, the mask API, the identity model and EngineOptions.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

using ::testing::HasSubstr;

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = ParseSpec(R"pb(
      input_shape: 3
      layers {
        name: "fc"
        scaled_ws_linear { out_size: 2 }
      }
      layers {
        name: "norm"
        layer_norm {}
      }
      layers {
        name: "head"
        linear { out_size: 2 }
      }
    )pb");
    auto model = Model::Create(spec_, 9);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
  }

  std::vector<float> Run(const ParameterSnapshot& snapshot) {
    const std::vector<float> input = {0.5f, -1.0f, 2.0f};
    std::vector<float> output(2);
    EXPECT_TRUE(
        model_->Forward(snapshot, input.data(), 1, MaskMap(), output.data())
            .ok());
    return output;
  }

  static ParameterUpdate Replace(std::string layer, std::string name,
                                 std::vector<int64_t> shape,
                                 std::vector<float> data) {
    return {std::move(layer), std::move(name), UpdateMode::kReplace,
            DenseTensor{std::move(shape), std::move(data)}};
  }

  brainserve::v1::ModelSpec spec_;
  std::unique_ptr<Model> model_;
};

TEST_F(UpdateTest, VersionsStartAtOneAndGrowByOne) {
  EXPECT_EQ(model_->snapshot()->version(), 1u);
  auto v2 =
      model_->Update({Replace("head", "bias", {2}, {1, 2})}, std::nullopt);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*v2)->version(), 2u);
  EXPECT_EQ(model_->snapshot()->version(), 2u);
  auto v3 = model_->Update({}, 2u);  // an empty update is still a version
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ((*v3)->version(), 3u);
  EXPECT_EQ((*v3)->Find("head", "bias")->data, (std::vector<float>{1, 2}));
}

TEST_F(UpdateTest, ReplaceAndAdd) {
  ASSERT_TRUE(model_->Update({Replace("head", "bias", {2}, {1, 2})}, 1u).ok());
  ParameterUpdate add = Replace("head", "bias", {2}, {0.5f, -4});
  add.mode = UpdateMode::kAdd;
  auto v3 = model_->Update({add, add}, 2u);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ((*v3)->Find("head", "bias")->data, (std::vector<float>{2, -6}));
}

TEST_F(UpdateTest, DerivedWeightsFollowTheNewVersion) {
  const std::vector<float> before = Run(*model_->snapshot());
  // gain 0 zeroes the standardized weight: fc outputs its bias only, the
  // LayerNorm sees a constant row (output 0 * scale + bias) and the head
  // outputs its own bias.
  auto updated = model_->Update({Replace("fc", "gain", {1, 2}, {0, 0}),
                                 Replace("head", "bias", {2}, {3, -7})},
                                std::nullopt);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(Run(**updated), (std::vector<float>{3, -7}));
  EXPECT_NE(before, Run(**updated));
}

TEST_F(UpdateTest, FailedUpdatesChangeNothing) {
  const std::vector<float> before = Run(*model_->snapshot());
  const std::vector<ParameterUpdate> good = {
      Replace("head", "bias", {2}, {1, 1})};
  struct Bad {
    std::vector<ParameterUpdate> updates;
    std::optional<uint64_t> expected_version;
    absl::StatusCode code;
    const char* field;
  };
  ParameterUpdate overflow = Replace("head", "bias", {2}, {3e38f, 3e38f});
  overflow.mode = UpdateMode::kAdd;
  const Bad cases[] = {
      {{good[0], Replace("nope", "bias", {2}, {1, 1})},
       std::nullopt,
       absl::StatusCode::kNotFound,
       "updates[1].layer"},
      {{good[0], Replace("head", "gain", {1, 2}, {1, 1})},
       std::nullopt,
       absl::StatusCode::kNotFound,
       "updates[1].name"},
      {{good[0], Replace("head", "bias", {1, 2}, {1, 1})},
       std::nullopt,
       absl::StatusCode::kInvalidArgument,
       "updates[1].value.shape"},
      {{Replace("head", "bias", {2}, {1, std::nanf("")})},
       std::nullopt,
       absl::StatusCode::kInvalidArgument,
       "updates[0].value"},
      {{Replace("head", "bias", {2},
                {std::numeric_limits<float>::infinity(), 0})},
       std::nullopt,
       absl::StatusCode::kInvalidArgument,
       "updates[0].value"},
      {{Replace("head", "bias", {2}, {3e38f, 3e38f}), overflow},
       std::nullopt,
       absl::StatusCode::kInvalidArgument,
       "updates[1].value"},
      {{Replace("head", "bias", {2}, {1})},
       std::nullopt,
       absl::StatusCode::kInvalidArgument,
       "updates[0].value"},
      {good, 7u, absl::StatusCode::kFailedPrecondition, "expected_version"},
  };
  for (const Bad& bad : cases) {
    auto result = model_->Update(bad.updates, bad.expected_version);
    ASSERT_FALSE(result.ok()) << bad.field;
    EXPECT_EQ(result.status().code(), bad.code) << result.status();
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(bad.field));
    EXPECT_EQ(model_->snapshot()->version(), 1u) << bad.field;
    EXPECT_EQ(Run(*model_->snapshot()), before) << bad.field;
  }
  EXPECT_TRUE(model_->Update(good, 1u).ok());
}

TEST_F(UpdateTest, ForwardRejectsForeignSnapshotsAndBadArguments) {
  auto other =
      Model::Create(ParseSpec(R"pb(input_shape: 3
                                   layers { linear { out_size: 2 } })pb"),
                    0);
  ASSERT_TRUE(other.ok());
  std::vector<float> input(3), output(2);
  EXPECT_EQ(model_
                ->Forward(*(*other)->snapshot(), input.data(), 1, MaskMap(),
                          output.data())
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model_
                ->Forward(*model_->snapshot(), input.data(), 0, MaskMap(),
                          output.data())
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->snapshot()->Find("fc", "nope"), nullptr);
  EXPECT_EQ(model_->snapshot()->Find("nope", "weight"), nullptr);
}

TEST_F(UpdateTest, MasksAreChecked) {
  for (const DenseTensor& ok :
       {DenseTensor{{2}, {1, 0}}, DenseTensor{{4, 2}, std::vector<float>(8, 1)},
        DenseTensor{{1, 1}, {1}}}) {
    MaskMap masks;
    masks["norm"] = ok;
    absl::StatusOr<CheckedMasks> checked = model_->CheckMasks(masks, 4);
    ASSERT_TRUE(checked.ok()) << checked.status();
    EXPECT_EQ(checked->rows(), 4);
    EXPECT_EQ(checked->size(), 1u);
  }

  struct Bad {
    std::string layer;
    DenseTensor mask;
    absl::StatusCode code;
  };
  const Bad cases[] = {
      {"nope", DenseTensor{{2}, {1, 1}}, absl::StatusCode::kNotFound},
      {"fc", DenseTensor{{2}, {1, 1}}, absl::StatusCode::kInvalidArgument},
      {"norm", DenseTensor{{3}, {1, 1, 1}}, absl::StatusCode::kInvalidArgument},
      {"norm", DenseTensor{{3, 2}, std::vector<float>(6, 1)},
       absl::StatusCode::kInvalidArgument},
      {"norm", DenseTensor{{1, 4, 2}, std::vector<float>(8, 1)},
       absl::StatusCode::kInvalidArgument},
      {"norm", DenseTensor{{2}, {1}}, absl::StatusCode::kInvalidArgument},
  };
  for (const Bad& bad : cases) {
    MaskMap masks;
    masks[bad.layer] = bad.mask;
    const absl::Status status = model_->CheckMasks(masks, 4).status();
    EXPECT_EQ(status.code(), bad.code) << status;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("masks[\"" + bad.layer));
    std::vector<float> input(12), output(8);
    EXPECT_EQ(model_
                  ->Forward(*model_->snapshot(), input.data(), 4, masks,
                            output.data())
                  .code(),
              bad.code);
  }
  MaskMap masks;
  masks["norm"] = DenseTensor{{2}, {1, 0}};
  EXPECT_EQ(model_->CheckMasks(masks, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(UpdateTest, ForwardSegmentsAreChecked) {
  MaskMap masks;
  masks["norm"] = DenseTensor{{2}, {1, 0}};
  absl::StatusOr<CheckedMasks> for_two = model_->CheckMasks(masks, 2);
  ASSERT_TRUE(for_two.ok()) << for_two.status();
  auto other = Model::Create(spec_, 7);
  ASSERT_TRUE(other.ok());
  absl::StatusOr<CheckedMasks> of_other = (*other)->CheckMasks(masks, 2);
  ASSERT_TRUE(of_other.ok()) << of_other.status();

  std::vector<float> input(4 * 3), output(4 * 2);
  auto forward = [&](std::vector<ForwardSegment> segments) {
    return model_->Forward(*model_->snapshot(), input.data(), 4, segments,
                           output.data());
  };
  EXPECT_TRUE(forward({{2, &*for_two}, {2, nullptr}}).ok());
  EXPECT_TRUE(forward({}).ok());
  struct Bad {
    std::vector<ForwardSegment> segments;
    const char* message;
  };
  const Bad cases[] = {
      {{{2, &*for_two}, {1, nullptr}}, "segments cover 3 rows"},
      {{{3, &*for_two}, {1, nullptr}}, "masks checked for 2 rows"},
      {{{2, &*of_other}, {2, nullptr}}, "another model"},
      {{{0, nullptr}, {4, nullptr}}, "segments[0] has 0 rows"},
  };
  for (const Bad& bad : cases) {
    const absl::Status status = forward(bad.segments);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(bad.message));
  }
}

TEST(IdentityModelTest, OutputEqualsInput) {
  auto model = Model::Create(ParseSpec(R"pb(input_shape: [ 2, 3 ])pb"), 0);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->output_shape(), (std::vector<int64_t>{2, 3}));
  std::vector<float> input(5 * 6);
  for (size_t i = 0; i < input.size(); ++i) input[i] = 0.5f * i - 3;
  std::vector<float> output(input.size());
  ASSERT_TRUE((*model)
                  ->Forward(*(*model)->snapshot(), input.data(), 5, MaskMap(),
                            output.data())
                  .ok());
  EXPECT_EQ(input, output);
  EXPECT_TRUE((*model)->parameter_infos().empty());
  EXPECT_EQ((*model)->parameter_bytes(), 0);
}

TEST(EngineOptionsTest, ParameterBudgetAndPassSize) {
  EngineOptions options;
  options.max_parameter_bytes = 1000;
  auto too_big =
      Model::Create(ParseSpec(R"pb(input_shape: 64
                                   layers { linear { out_size: 64 } })pb"),
                    0, options);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kResourceExhausted);
  options.max_parameter_bytes = 0;
  options.max_rows_per_pass = 0;
  EXPECT_EQ(Model::Create(W1Spec(), 0, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Batches larger than a pass run as several passes.
  options.max_rows_per_pass = 4;
  auto model = Model::Create(W1Spec(), 0, options);
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE((*model)->Warmup(4).ok());
  std::vector<float> input(11 * 64);
  for (size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.1f * i);
  std::vector<float> whole(11 * 10), row(10);
  const auto snapshot = (*model)->snapshot();
  ASSERT_TRUE(
      (*model)
          ->Forward(*snapshot, input.data(), 11, MaskMap(), whole.data())
          .ok());
  for (int r = 0; r < 11; ++r) {
    ASSERT_TRUE((*model)
                    ->Forward(*snapshot, input.data() + 64 * r, 1, MaskMap(),
                              row.data())
                    .ok());
    EXPECT_EQ(
        std::vector<float>(whole.begin() + 10 * r, whole.begin() + 10 * r + 10),
        row);
  }
}

}  // namespace
}  // namespace brainserve::engine::testing
