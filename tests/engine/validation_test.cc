// Every invalid spec is INVALID_ARGUMENT with a message naming the layer (by
// index and resolved name) and the field: model-level, dense and activation
// cases here, conv and LayerNorm cases in validation_conv_norm_test.cc.
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

class ValidationTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ValidationTest, RejectsWithLayerAndField) { ExpectRejected(GetParam()); }

// Layer "0" unless named; the field includes the layer prefix and the kind.
const InvalidCase kInvalidCases[] = {
    {"empty_input_shape", R"pb(layers { linear { out_size: 2 } })pb",
     "input_shape: must have at least one dimension"},
    {"zero_input_dim", R"pb(input_shape: [ 4, 0 ])pb", "input_shape[1]"},
    {"negative_input_dim", R"pb(input_shape: [ -4 ])pb", "input_shape[0]"},
    {"huge_input", R"pb(input_shape: [ 1000000, 1000000 ])pb", "input_shape"},
    {"kind_not_set", R"pb(input_shape: 4
                          layers { name: "x" })pb",
     "layers[0] (\"x\"): kind"},
    {"duplicate_name",
     R"pb(input_shape: 4
          layers {
            name: "a"
            linear { out_size: 4 }
          }
          layers {
            name: "a"
            linear { out_size: 4 }
          })pb",
     "layers[1] (\"a\"): name: duplicate"},
    {"duplicate_with_default_name",
     R"pb(input_shape: 4
          layers {
            name: "1"
            linear { out_size: 4 }
          }
          layers { linear { out_size: 4 } })pb",
     "layers[1] (\"1\"): name: duplicate"},
    {"error_names_later_layer",
     R"pb(input_shape: 4
          layers {
            name: "fc1"
            linear { out_size: 4 }
          }
          layers {
            name: "act"
            activation { function: RELU }
          }
          layers {
            name: "fc2"
            linear { out_size: -3 }
          })pb",
     "layers[2] (\"fc2\"): linear.out_size"},
    {"linear_zero_out", R"pb(input_shape: 4
                             layers { linear { out_size: 0 } })pb",
     "layers[0] (\"0\"): linear.out_size"},
    {"linear_huge_out", R"pb(input_shape: 4096
                             layers { linear { out_size: 1000000000000 } })pb",
     "linear.out_size"},
    {"linear_weight_none", R"pb(input_shape: 4
                                layers {
                                  linear {
                                    out_size: 2
                                    w_init { none {} }
                                  }
                                })pb",
     "linear.w_init.none"},
    {"linear_bias_kaiming_rank1",
     R"pb(input_shape: 4
          layers {
            linear {
              out_size: 2
              b_init { kaiming_normal {} }
            }
          })pb",
     "linear.b_init.kaiming_normal"},
    {"linear_mask_not_broadcasting",
     R"pb(input_shape: 8
          layers {
            linear {
              out_size: 5
              w_mask {
                shape: [ 3, 5 ]
                values: [ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 ]
              }
            }
          })pb",
     "linear.w_mask.shape"},
    {"linear_mask_rank3",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_mask {
                shape: [ 1, 2, 1 ]
                values: [ 1, 1 ]
              }
            }
          })pb",
     "linear.w_mask.shape"},
    {"linear_mask_value_count",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 2
              w_mask {
                shape: [ 2, 2 ]
                values: [ 1, 1, 1 ]
              }
            }
          })pb",
     "linear.w_mask.values"},
    {"linear_mask_values_and_raw",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_mask {
                shape: [ 1 ]
                values: [ 1 ]
                raw: "\000\000\200?"
              }
            }
          })pb",
     "linear.w_mask: both values and raw"},
    {"linear_mask_raw_length",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_mask {
                shape: [ 2, 1 ]
                raw: "\000\000\200?"
              }
            }
          })pb",
     "linear.w_mask.raw"},
    {"linear_mask_nan",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_mask {
                shape: [ 2, 1 ]
                values: [ 1, nan ]
              }
            }
          })pb",
     "linear.w_mask: element 1 is not finite"},
    {"linear_mask_negative_dim",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_mask { shape: [ -2 ] }
            }
          })pb",
     "linear.w_mask.shape"},
    {"linear_tensor_init_shape",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_init {
                tensor {
                  shape: [ 1, 2 ]
                  values: [ 1, 2 ]
                }
              }
            }
          })pb",
     "linear.w_init.tensor.shape"},
    {"linear_tensor_init_nan",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_init {
                tensor {
                  shape: [ 2, 1 ]
                  values: [ 1, inf ]
                }
              }
            }
          })pb",
     "linear.w_init.tensor"},
    {"linear_constant_nan",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              b_init { constant { value: nan } }
            }
          })pb",
     "linear.b_init.constant.value"},
    {"kaiming_negative_scale",
     R"pb(input_shape: 2
          layers {
            linear {
              out_size: 1
              w_init { kaiming_normal { scale: -1 } }
            }
          })pb",
     "linear.w_init.kaiming_normal"},
    {"signed_sign_shape",
     R"pb(input_shape: 3
          layers {
            signed_w_linear {
              out_size: 2
              w_sign {
                shape: [ 2, 2 ]
                values: [ 1, 1, 1, 1 ]
              }
            }
          })pb",
     "signed_w_linear.w_sign.shape"},
    {"signed_zero_out", R"pb(input_shape: 3
                             layers { signed_w_linear {} })pb",
     "signed_w_linear.out_size"},
    {"ws_negative_eps",
     R"pb(input_shape: 3
          layers { scaled_ws_linear { out_size: 2 eps: -1 } })pb",
     "scaled_ws_linear.eps"},
    {"ws_mask_shape",
     R"pb(input_shape: 8
          layers {
            scaled_ws_linear {
              out_size: 5
              w_mask {
                shape: [ 8, 3 ]
                values: [
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
                ]
              }
            }
          })pb",
     "scaled_ws_linear.w_mask.shape"},
    {"activation_unknown_function",
     R"pb(input_shape: 8
          layers { activation { function: 42 } })pb",
     "activation.function"},
    {"activation_alpha_for_relu",
     R"pb(input_shape: 8
          layers { activation { function: RELU alpha: 0.5 } })pb",
     "activation.alpha"},
    {"activation_alpha_nan",
     R"pb(input_shape: 8
          layers { activation { function: ELU alpha: nan } })pb",
     "activation.alpha"},
};

INSTANTIATE_TEST_SUITE_P(Specs, ValidationTest,
                         ::testing::ValuesIn(kInvalidCases),
                         [](const auto& info) {
                           return std::string(info.param.name);
                         });

TEST(ValidationTest, LegalEdgeCasesAreAccepted) {
  const char* const specs[] = {
      // Explicit padding with lhs dilation; VALID; negative crop; bias none.
      R"pb(input_shape: [ 8, 2 ]
           layers {
             scaled_ws_conv1d {
               out_channels: 2
               kernel_size: 3
               lhs_dilation: 2
               padding { lo: 0 hi: 0 }
             }
           })pb",
      R"pb(input_shape: [ 8, 2 ]
           layers {
             scaled_ws_conv1d {
               out_channels: 2
               kernel_size: 8
               padding { mode: "VALID" }
               b_init { none {} }
             }
           })pb",
      R"pb(input_shape: [ 8, 2 ]
           layers {
             scaled_ws_conv1d {
               out_channels: 2
               kernel_size: 1
               padding { lo: -7 hi: 0 }
             }
           })pb",
      // A scalar mask / sign, and masks of the nominal shapes.
      R"pb(input_shape: 3
           layers {
             signed_w_linear {
               out_size: 2
               w_sign { values: -1 }
             }
           })pb",
      R"pb(input_shape: 3
           layers {
             scaled_ws_linear {
               out_size: 2
               w_mask {
                 shape: [ 3, 1 ]
                 values: [ 1, 0, 1 ]
               }
             }
           })pb",
      R"pb(input_shape: 3
           layers {
             scaled_ws_linear {
               out_size: 2
               w_mask {
                 shape: [ 2 ]
                 values: [ 1, 0 ]
               }
             }
           })pb",
      // Non-contiguous LayerNorm axes; positive axes counted with the batch.
      R"pb(input_shape: [ 2, 3, 4 ]
           layers {
             layer_norm {
               reduction_axes: [ 1, 3 ]
               feature_axes: [ 0, 2 ]
             }
           })pb",
      // Activations with their alpha.
      R"pb(input_shape: 3
           layers { activation { function: LEAKY_RELU alpha: 0.2 } })pb",
      R"pb(input_shape: 3
           layers { activation { function: ELU } })pb",
  };
  for (const char* text : specs) {
    const auto spec = ParseSpec(text);
    ASSERT_GT(spec.input_shape_size(), 0) << text;
    auto model = Model::Create(spec, 0);
    EXPECT_TRUE(model.ok()) << text << "\n" << model.status();
  }
}

}  // namespace
}  // namespace brainserve::engine::testing
