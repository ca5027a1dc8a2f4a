// Invalid ScaledWSConv1d and LayerNorm specs: INVALID_ARGUMENT naming the
// layer and the field.
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

class ConvNormValidationTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ConvNormValidationTest, RejectsWithLayerAndField) {
  ExpectRejected(GetParam());
}

const InvalidCase kInvalidCases[] = {
    {"conv_zero_kernel",
     R"pb(input_shape: [ 8, 2 ]
          layers { scaled_ws_conv1d { out_channels: 2 } })pb",
     "scaled_ws_conv1d.kernel_size"},
    {"conv_negative_out_channels",
     R"pb(input_shape: [ 8, 2 ]
          layers { scaled_ws_conv1d { out_channels: -2 kernel_size: 1 } })pb",
     "scaled_ws_conv1d.out_channels"},
    {"conv_negative_stride",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d { out_channels: 2 kernel_size: 1 stride: -1 }
          })pb",
     "scaled_ws_conv1d.stride"},
    {"conv_negative_lhs_dilation",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 1
              lhs_dilation: -2
              padding {}
            }
          })pb",
     "scaled_ws_conv1d.lhs_dilation"},
    {"conv_negative_rhs_dilation",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d { out_channels: 2 kernel_size: 1 rhs_dilation: -1 }
          })pb",
     "scaled_ws_conv1d.rhs_dilation"},
    {"conv_negative_groups",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d { out_channels: 2 kernel_size: 1 groups: -1 }
          })pb",
     "scaled_ws_conv1d.groups"},
    {"conv_groups_not_dividing_in",
     R"pb(input_shape: [ 8, 4 ]
          layers {
            scaled_ws_conv1d { out_channels: 6 kernel_size: 1 groups: 3 }
          })pb",
     "scaled_ws_conv1d.groups: 3 does not divide the 4 input channels"},
    {"conv_groups_not_dividing_out",
     R"pb(input_shape: [ 8, 6 ]
          layers {
            scaled_ws_conv1d { out_channels: 4 kernel_size: 1 groups: 3 }
          })pb",
     "scaled_ws_conv1d.groups: 3 does not divide the 4 output channels"},
    {"conv_lowercase_mode",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              padding { mode: "same" }
            }
          })pb",
     "scaled_ws_conv1d.padding.mode"},
    {"conv_unknown_mode",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              padding { mode: "FULL" }
            }
          })pb",
     "scaled_ws_conv1d.padding.mode"},
    {"conv_same_with_lhs_dilation",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d { out_channels: 2 kernel_size: 3 lhs_dilation: 2 }
          })pb",
     "scaled_ws_conv1d.padding.mode"},
    {"conv_valid_with_lhs_dilation",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              lhs_dilation: 2
              padding { mode: "VALID" }
            }
          })pb",
     "scaled_ws_conv1d.padding.mode"},
    {"conv_same_with_lo",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              padding { mode: "SAME" lo: 1 }
            }
          })pb",
     "scaled_ws_conv1d.padding.lo"},
    {"conv_negative_padding_empties_input",
     R"pb(input_shape: [ 4, 4 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 1
              padding { lo: -3 hi: -3 }
            }
          })pb",
     "scaled_ws_conv1d.padding: padding (-3, -3) makes the input length "
     "negative"},
    {"conv_empty_output",
     R"pb(input_shape: [ 4, 4 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 7
              padding { mode: "VALID" }
            }
          })pb",
     "scaled_ws_conv1d.kernel_size"},
    {"conv_empty_output_after_crop",
     R"pb(input_shape: [ 4, 4 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 1
              padding { lo: -2 hi: -2 }
            }
          })pb",
     "scaled_ws_conv1d.kernel_size"},
    {"conv_rank1_input",
     R"pb(input_shape: 12
          layers { scaled_ws_conv1d { out_channels: 2 kernel_size: 3 } })pb",
     "scaled_ws_conv1d.input"},
    {"conv_rank3_input",
     R"pb(input_shape: [ 2, 12, 3 ]
          layers { scaled_ws_conv1d { out_channels: 2 kernel_size: 3 } })pb",
     "scaled_ws_conv1d.input"},
    {"conv_mask_shape",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              w_mask {
                shape: [ 3, 2 ]
                values: [ 1, 1, 1, 1, 1, 1 ]
              }
            }
          })pb",
     "scaled_ws_conv1d.w_mask.shape"},
    {"conv_weight_none",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              w_init { none {} }
            }
          })pb",
     "scaled_ws_conv1d.w_init.none"},
    {"conv_bias_tensor_shape",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d {
              out_channels: 2
              kernel_size: 3
              b_init {
                tensor {
                  shape: [ 2 ]
                  values: [ 1, 1 ]
                }
              }
            }
          })pb",
     "scaled_ws_conv1d.b_init.tensor.shape"},
    {"conv_negative_eps",
     R"pb(input_shape: [ 8, 2 ]
          layers {
            scaled_ws_conv1d { out_channels: 2 kernel_size: 3 eps: -0.5 }
          })pb",
     "scaled_ws_conv1d.eps"},
    {"ln_axis_out_of_range",
     R"pb(input_shape: 8
          layers { layer_norm { reduction_axes: -3 } })pb",
     "layer_norm.reduction_axes[0]"},
    {"ln_positive_axis_out_of_range",
     R"pb(input_shape: 8
          layers { layer_norm { reduction_axes: 2 } })pb",
     "layer_norm.reduction_axes[0]"},
    {"ln_duplicate_axis",
     R"pb(input_shape: 8
          layers { layer_norm { reduction_axes: [ -1, 1 ] } })pb",
     "layer_norm.reduction_axes[1]"},
    {"ln_batch_axis",
     R"pb(input_shape: 8
          layers { layer_norm { reduction_axes: [ 0, 1 ] } })pb",
     "layer_norm.reduction_axes[0]"},
    {"ln_feature_axis_out_of_range",
     R"pb(input_shape: 8
          layers { layer_norm { feature_axes: 1 } })pb",
     "layer_norm.feature_axes[0]"},
    {"ln_feature_axis_duplicate",
     R"pb(input_shape: [ 2, 8 ]
          layers { layer_norm { feature_axes: [ 1, -1 ] } })pb",
     "layer_norm.feature_axes[1]"},
    {"ln_negative_epsilon", R"pb(input_shape: 8
                                 layers { layer_norm { epsilon: -1e-6 } })pb",
     "layer_norm.epsilon"},
    {"ln_scale_kaiming_rank1",
     R"pb(input_shape: 8
          layers { layer_norm { scale_init { kaiming_normal {} } } })pb",
     "layer_norm.scale_init.kaiming_normal"},
    {"ln_bias_tensor_shape",
     R"pb(input_shape: 8
          layers {
            layer_norm {
              bias_init {
                tensor {
                  shape: [ 1, 8 ]
                  values: [ 1, 1, 1, 1, 1, 1, 1, 1 ]
                }
              }
            }
          })pb",
     "layer_norm.bias_init.tensor.shape"},
};

INSTANTIATE_TEST_SUITE_P(Specs, ConvNormValidationTest,
                         ::testing::ValuesIn(kInvalidCases),
                         [](const auto& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace brainserve::engine::testing
