// Parameter names and shapes (brainstate's) and output shapes for every
// layer kind and option.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

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

}  // namespace
}  // namespace brainserve::engine::testing
