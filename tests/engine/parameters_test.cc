// Parameter names and shapes for every layer kind and option, output shapes,
// and the versioned Update() / mask API contract.
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

struct ShapeCase {
  const char* name;
  const char* spec;
  // "layer/name=[d0,d1]" for each parameter, in order.
  std::vector<std::string> params;
  std::vector<int64_t> output_shape;
};

std::vector<std::string> Describe(const Model& model) {
  std::vector<std::string> out;
  for (const ParameterInfo& info : model.parameter_infos()) {
    std::string dims;
    for (int64_t d : info.shape)
      dims += (dims.empty() ? "" : ",") + std::to_string(d);
    out.push_back(info.layer + "/" + info.name + "=[" + dims + "]");
  }
  return out;
}

class ParameterShapesTest : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(ParameterShapesTest, MatchBrainstate) {
  const ShapeCase& c = GetParam();
  auto model = Model::Create(ParseSpec(c.spec), 0);
  ASSERT_TRUE(model.ok()) << c.name << ": " << model.status();
  EXPECT_EQ(Describe(**model), c.params) << c.name;
  EXPECT_EQ((*model)->output_shape(), c.output_shape) << c.name;
  int64_t bytes = 0;
  for (const ParameterInfo& info : (*model)->parameter_infos()) {
    int64_t n = 4;
    for (int64_t d : info.shape) n *= d;
    bytes += n;
    const DenseTensor* value =
        (*model)->snapshot()->Find(info.layer, info.name);
    ASSERT_NE(value, nullptr);
    EXPECT_EQ(value->shape, info.shape);
    EXPECT_EQ(static_cast<int64_t>(value->data.size()), n / 4);
  }
  EXPECT_EQ((*model)->parameter_bytes(), bytes);
}

const ShapeCase kShapeCases[] = {
    {"linear",
     R"pb(input_shape: 8
          layers { linear { out_size: 5 } })pb",
     {"0/weight=[8,5]", "0/bias=[5]"},
     {5}},
    {"linear_no_bias",
     R"pb(input_shape: 8
          layers {
            linear {
              out_size: 5
              b_init { none {} }
            }
          })pb",
     {"0/weight=[8,5]"},
     {5}},
    {"linear_rank3_input",
     R"pb(input_shape: [ 2, 3, 8 ]
          layers {
            name: "fc"
            linear { out_size: 4 }
          })pb",
     {"fc/weight=[8,4]", "fc/bias=[4]"},
     {2, 3, 4}},
    {"signed",
     R"pb(input_shape: 6
          layers { signed_w_linear { out_size: 2 } })pb",
     {"0/weight=[6,2]"},
     {2}},
    {"ws_linear",
     R"pb(input_shape: 6
          layers { scaled_ws_linear { out_size: 3 } })pb",
     {"0/weight=[6,3]", "0/bias=[3]", "0/gain=[1,3]"},
     {3}},
    {"ws_linear_no_gain_no_bias",
     R"pb(input_shape: 6
          layers {
            scaled_ws_linear {
              out_size: 3
              ws_gain: false
              b_init { none {} }
            }
          })pb",
     {"0/weight=[6,3]"},
     {3}},
    {"conv_default",
     R"pb(input_shape: [ 12, 4 ]
          layers { scaled_ws_conv1d { out_channels: 8 kernel_size: 3 } })pb",
     {"0/weight=[3,4,8]", "0/gain=[1,1,8]"},
     {12, 8}},
    {"conv_bias_groups_stride",
     R"pb(input_shape: [ 12, 4 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 6
              kernel_size: 5
              groups: 2
              stride: 3
              b_init { constant { value: 0 } }
            }
          })pb",
     {"0/weight=[5,2,6]", "0/bias=[1,6]", "0/gain=[1,1,6]"},
     {4, 6}},
    {"conv_channel_first_bias_no_gain",
     R"pb(input_shape: [ 4, 12 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 8
              kernel_size: 3
              channel_first: true
              ws_gain: false
              padding { mode: "VALID" }
              b_init { constant { value: 1 } }
            }
          })pb",
     {"0/weight=[3,4,8]", "0/bias=[1,8,1]"},
     {8, 10}},
    {"conv_lhs_rhs_dilation",
     R"pb(input_shape: [ 10, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              lhs_dilation: 3
              rhs_dilation: 2
              padding { lo: 1 hi: -2 }
            }
          })pb",
     // Ld = 28, Lp = 27, Ke = 5 -> Lout = 23.
     {"0/weight=[3,2,2]", "0/gain=[1,1,2]"},
     {23, 2}},
    {"layer_norm",
     R"pb(input_shape: 16
          layers { layer_norm {} })pb",
     {"0/scale=[16]", "0/bias=[16]"},
     {16}},
    {"layer_norm_rank2",
     R"pb(input_shape: [ 5, 16 ]
          layers { layer_norm {} })pb",
     {"0/scale=[1,16]", "0/bias=[1,16]"},
     {5, 16}},
    {"layer_norm_features_both",
     R"pb(input_shape: [ 5, 16 ]
          layers {
            layer_norm {
              reduction_axes: [ -2, -1 ]
              feature_axes: [ -2, -1 ]
            }
          })pb",
     {"0/scale=[5,16]", "0/bias=[5,16]"},
     {5, 16}},
    {"layer_norm_feature_axis0",
     R"pb(input_shape: [ 5, 16 ]
          layers { layer_norm { feature_axes: 0 } })pb",
     {"0/scale=[5,1]", "0/bias=[5,1]"},
     {5, 16}},
    {"layer_norm_no_scale",
     R"pb(input_shape: 16
          layers { layer_norm { use_scale: false } })pb",
     {"0/bias=[16]"},
     {16}},
    {"layer_norm_no_affine",
     R"pb(input_shape: 16
          layers { layer_norm { use_scale: false use_bias: false } })pb",
     {},
     {16}},
    {"activation",
     R"pb(input_shape: [ 3, 4 ]
          layers { activation { function: TANH } })pb",
     {},
     {3, 4}},
    {"identity", R"pb(input_shape: [ 7 ])pb", {}, {7}},
    {"names_default_to_index",
     R"pb(input_shape: 4
          layers { linear { out_size: 4 } }
          layers {
            name: "mid"
            activation { function: RELU }
          }
          layers { signed_w_linear { out_size: 2 } })pb",
     {"0/weight=[4,4]", "0/bias=[4]", "2/weight=[4,2]"},
     {2}},
};

INSTANTIATE_TEST_SUITE_P(Layers, ParameterShapesTest,
                         ::testing::ValuesIn(kShapeCases),
                         [](const auto& info) {
                           return std::string(info.param.name);
                         });

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = Model::Create(ParseSpec(R"pb(
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
                               )pb"),
                               9);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
  }

  std::vector<float> Run(const ParameterSnapshot& snapshot) {
    const std::vector<float> input = {0.5f, -1.0f, 2.0f};
    std::vector<float> output(2);
    EXPECT_TRUE(
        model_->Forward(snapshot, input.data(), 1, {}, output.data()).ok());
    return output;
  }

  static ParameterUpdate Replace(std::string layer, std::string name,
                                 std::vector<int64_t> shape,
                                 std::vector<float> data) {
    return {std::move(layer), std::move(name), UpdateMode::kReplace,
            DenseTensor{std::move(shape), std::move(data)}};
  }

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
  EXPECT_EQ(
      model_->Forward(*(*other)->snapshot(), input.data(), 1, {}, output.data())
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      model_->Forward(*model_->snapshot(), input.data(), 0, {}, output.data())
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->snapshot()->Find("fc", "nope"), nullptr);
  EXPECT_EQ(model_->snapshot()->Find("nope", "weight"), nullptr);
}

TEST_F(UpdateTest, MasksAreCheckedAndExpanded) {
  MaskMap ok_masks;
  ok_masks["norm"] = DenseTensor{{2}, {1, 0}};
  EXPECT_TRUE(model_->ValidateMasks(ok_masks, 4).ok());
  ok_masks["norm"] = DenseTensor{{4, 2}, std::vector<float>(8, 1)};
  EXPECT_TRUE(model_->ValidateMasks(ok_masks, 4).ok());
  ok_masks["norm"] = DenseTensor{{1, 1}, {1}};
  EXPECT_TRUE(model_->ValidateMasks(ok_masks, 4).ok());

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
    const absl::Status status = model_->ValidateMasks(masks, 4);
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
  auto expanded = model_->ExpandMask("norm", DenseTensor{{2}, {1, 0}}, 3);
  ASSERT_TRUE(expanded.ok());
  EXPECT_EQ(expanded->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(expanded->data, (std::vector<float>{1, 0, 1, 0, 1, 0}));
  EXPECT_EQ(
      model_->ExpandMask("head", DenseTensor{{2}, {1, 0}}, 3).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(IdentityModelTest, OutputEqualsInput) {
  auto model = Model::Create(ParseSpec(R"pb(input_shape: [ 2, 3 ])pb"), 0);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->output_shape(), (std::vector<int64_t>{2, 3}));
  std::vector<float> input(5 * 6);
  for (size_t i = 0; i < input.size(); ++i) input[i] = 0.5f * i - 3;
  std::vector<float> output(input.size());
  ASSERT_TRUE(
      (*model)
          ->Forward(*(*model)->snapshot(), input.data(), 5, {}, output.data())
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
      (*model)->Forward(*snapshot, input.data(), 11, {}, whole.data()).ok());
  for (int r = 0; r < 11; ++r) {
    ASSERT_TRUE(
        (*model)
            ->Forward(*snapshot, input.data() + 64 * r, 1, {}, row.data())
            .ok());
    EXPECT_EQ(
        std::vector<float>(whole.begin() + 10 * r, whole.begin() + 10 * r + 10),
        row);
  }
}

}  // namespace
}  // namespace brainserve::engine::testing
