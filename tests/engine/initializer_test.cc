// Initializer statistics (mean, std, truncation at +-2 sigma'), fans,
// determinism per seed, and the defaults of every layer.
#include "engine/initializer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/stateless_random.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

struct Stats {
  double mean = 0;
  double std = 0;
  double max_abs = 0;
  double within_one_sigma_prime = 0;  // fraction with |w| < sigma'
};

Stats Measure(const std::vector<float>& w, double sigma_prime) {
  Stats s;
  for (float v : w) s.mean += v;
  s.mean /= w.size();
  for (float v : w) {
    s.std += (v - s.mean) * (v - s.mean);
    s.max_abs = std::max(s.max_abs, static_cast<double>(std::fabs(v)));
    if (std::fabs(v) < sigma_prime) s.within_one_sigma_prime += 1;
  }
  s.std = std::sqrt(s.std / w.size());
  s.within_one_sigma_prime /= w.size();
  return s;
}

const DenseTensor& Param(const Model& model, const std::string& layer,
                         const std::string& name) {
  static const DenseTensor kEmpty;
  const DenseTensor* value = model.snapshot()->Find(layer, name);
  EXPECT_NE(value, nullptr) << layer << "/" << name;
  return value != nullptr ? *value : kEmpty;
}

struct VarianceCase {
  const char* name;
  const char* spec;
  double variance;  // expected: scale / fan
};

class VarianceScalingTest : public ::testing::TestWithParam<VarianceCase> {};

TEST_P(VarianceScalingTest, TruncatedNormalStatistics) {
  const VarianceCase& c = GetParam();
  auto model = Model::Create(ParseSpec(c.spec), /*seed=*/42);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<float>& w = Param(**model, "l", "weight").data;
  ASSERT_GE(w.size(), 16384u);
  const double sigma = std::sqrt(c.variance);
  const double sigma_prime = sigma / kTruncatedNormalStddev;
  const Stats s = Measure(w, sigma_prime);
  // The resulting std is sqrt(variance) (sigma' compensates the truncation).
  EXPECT_NEAR(s.std, sigma, 0.02 * sigma) << c.name;
  EXPECT_NEAR(s.mean, 0.0, 5 * sigma / std::sqrt(w.size())) << c.name;
  // Every sample strictly inside 2 sigma', and the tails reach close to it.
  const float bound = static_cast<float>(2 * sigma_prime);
  for (size_t i = 0; i < w.size(); ++i) {
    ASSERT_LT(std::fabs(w[i]), bound) << c.name << " element " << i;
  }
  EXPECT_GT(s.max_abs, 0.99 * bound) << c.name;
  // Shape: P(|T| < 1 | |T| < 2) = 0.68269 / 0.95450 = 0.71524.
  EXPECT_NEAR(s.within_one_sigma_prime, 0.71524, 0.012) << c.name;
}

const VarianceCase kVarianceCases[] = {
    // Linear (in, out) = (256, 128): Kaiming fan_in = 256.
    VarianceCase{"linear_kaiming",
                 R"pb(input_shape: 256
                      layers {
                        name: "l"
                        linear { out_size: 128 }
                      })pb",
                 2.0 / 256},
    VarianceCase{"signed_kaiming",
                 R"pb(input_shape: 200
                      layers {
                        name: "l"
                        signed_w_linear { out_size: 100 }
                      })pb",
                 2.0 / 200},
    VarianceCase{"ws_linear_kaiming_scale1",
                 R"pb(input_shape: 128
                      layers {
                        name: "l"
                        scaled_ws_linear {
                          out_size: 256
                          w_init { kaiming_normal { scale: 1.0 } }
                        }
                      })pb",
                 1.0 / 128},
    VarianceCase{"linear_xavier",
                 R"pb(input_shape: 300
                      layers {
                        name: "l"
                        linear {
                          out_size: 100
                          w_init { xavier_normal {} }
                        }
                      })pb",
                 2.0 / (300 + 100)},
    // Conv kernel (K, Cin/G, Cout) = (5, 64, 64): Xavier with the
    // receptive field in both fans: 2 / (5 * (64 + 64)).
    VarianceCase{"conv_xavier",
                 R"pb(input_shape: [ 32, 64 ]
                      layers {
                        name: "l"
                        scaled_ws_conv1d { out_channels: 64 kernel_size: 5 }
                      })pb",
                 2.0 / (5 * (64 + 64))},
    // Groups: (5, 64/4, 256): 2 / (5 * (16 + 256)).
    VarianceCase{"conv_groups_xavier",
                 R"pb(input_shape: [ 16, 64 ]
                      layers {
                        name: "l"
                        scaled_ws_conv1d {
                          out_channels: 256
                          kernel_size: 5
                          groups: 4
                          padding { mode: "VALID" }
                        }
                      })pb",
                 2.0 / (5 * (16 + 256))},
    // Kaiming on the conv: fan_in = K * Cin/G = 7 * 48, scale 3.
    VarianceCase{"conv_kaiming_scale3",
                 R"pb(input_shape: [ 20, 48 ]
                      layers {
                        name: "l"
                        scaled_ws_conv1d {
                          out_channels: 64
                          kernel_size: 7
                          w_init { kaiming_normal { scale: 3.0 } }
                        }
                      })pb",
                 3.0 / (7 * 48)}};

INSTANTIATE_TEST_SUITE_P(Layers, VarianceScalingTest,
                         ::testing::ValuesIn(kVarianceCases),
                         [](const auto& info) {
                           return std::string(info.param.name);
                         });

TEST(FansTest, FollowBrainstate) {
  const Fans linear = ComputeFans({256, 128});
  EXPECT_EQ(linear.fan_in, 256);
  EXPECT_EQ(linear.fan_out, 128);
  const Fans conv = ComputeFans({5, 16, 32});
  EXPECT_EQ(conv.fan_in, 5 * 16);
  EXPECT_EQ(conv.fan_out, 5 * 32);
  EXPECT_FLOAT_EQ(TruncatedNormalSigma(ParamInit::KaimingNormal(), {100, 7}),
                  static_cast<float>(std::sqrt(0.02) / 0.8796256610342398));
}

TEST(StatelessRandomTest, NormalQuantileIsAccurate) {
  EXPECT_NEAR(StandardNormalQuantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(StandardNormalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(StandardNormalQuantile(0.02275013194817921), -2.0, 1e-12);
  EXPECT_NEAR(StandardNormalQuantile(1e-10), -6.361340902404056, 1e-9);
  for (uint64_t i = 0; i < 100000; ++i) {
    const double t = TruncatedStandardNormal(12345, i);
    ASSERT_GT(t, -2.0);
    ASSERT_LT(t, 2.0);
  }
}

TEST(DeterminismTest, SameSeedSameParametersOtherSeedsDiffer) {
  const auto spec = W3Spec();
  auto a = Model::Create(spec, 7);
  auto b = Model::Create(spec, 7);
  auto c = Model::Create(spec, 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const auto& infos = (*a)->parameter_infos();
  for (size_t i = 0; i < infos.size(); ++i) {
    EXPECT_EQ((*a)->snapshot()->value(i).data, (*b)->snapshot()->value(i).data)
        << infos[i].layer << "/" << infos[i].name;
  }
  EXPECT_NE(Param(**a, "conv1", "weight").data,
            Param(**c, "conv1", "weight").data);
  EXPECT_NE(Param(**a, "head", "weight").data,
            Param(**c, "head", "weight").data);
}

TEST(DeterminismTest, LayersOfTheSameShapeGetDifferentStreams) {
  auto model = Model::Create(ParseSpec(R"pb(
                               input_shape: 32
                               layers {
                                 name: "a"
                                 linear { out_size: 32 }
                               }
                               layers {
                                 name: "b"
                                 linear { out_size: 32 }
                               }
                             )pb"),
                             1);
  ASSERT_TRUE(model.ok());
  EXPECT_NE(Param(**model, "a", "weight").data,
            Param(**model, "b", "weight").data);
}

TEST(DefaultsTest, EveryLayerUsesBrainstatesDefaults) {
  auto model =
      Model::Create(ParseSpec(R"pb(
                      input_shape: [ 10, 6 ]
                      layers {
                        name: "conv"
                        scaled_ws_conv1d { out_channels: 6 kernel_size: 3 }
                      }
                      layers {
                        name: "norm"
                        layer_norm {}
                      }
                      layers {
                        name: "lin"
                        linear { out_size: 5 }
                      }
                      layers {
                        name: "ws"
                        scaled_ws_linear { out_size: 4 }
                      }
                      layers {
                        name: "signed"
                        signed_w_linear { out_size: 3 }
                      }
                    )pb"),
                    3);
  ASSERT_TRUE(model.ok()) << model.status();
  const Model& m = **model;
  EXPECT_EQ(m.snapshot()->Find("conv", "bias"), nullptr);  // b_init=None
  EXPECT_EQ(Param(m, "conv", "gain").data, std::vector<float>(6, 1.0f));
  EXPECT_EQ(Param(m, "norm", "scale").data, std::vector<float>(6, 1.0f));
  EXPECT_EQ(Param(m, "norm", "bias").data, std::vector<float>(6, 0.0f));
  EXPECT_EQ(Param(m, "lin", "bias").data, std::vector<float>(5, 0.0f));
  EXPECT_EQ(Param(m, "ws", "bias").data, std::vector<float>(4, 0.0f));
  EXPECT_EQ(Param(m, "ws", "gain").data, std::vector<float>(4, 1.0f));
  // Kaiming (fan_in 6) for the linears: non-zero, inside 2 sigma'.
  const float bound = 2 * std::sqrt(2.0f / 6) / 0.8796256610342398f;
  for (const char* layer : {"lin", "ws"}) {
    for (float w : Param(m, layer, "weight").data) {
      EXPECT_NE(w, 0.0f);
      EXPECT_LT(std::fabs(w), bound);
    }
  }
}

TEST(InitializerKindsTest, ConstantTensorAndNone) {
  auto model = Model::Create(ParseSpec(R"pb(
                               input_shape: 2
                               layers {
                                 name: "l"
                                 linear {
                                   out_size: 3
                                   w_init {
                                     tensor {
                                       shape: [ 2, 3 ]
                                       values: [ 1, 2, 3, 4, 5, 6 ]
                                     }
                                   }
                                   b_init { constant { value: 0.5 } }
                                 }
                               }
                               layers {
                                 name: "n"
                                 layer_norm {
                                   scale_init { constant { value: 2 } }
                                   bias_init { none {} }
                                 }
                               }
                               layers {
                                 name: "s"
                                 signed_w_linear {
                                   out_size: 1
                                   w_init { constant { value: -3 } }
                                 }
                               }
                             )pb"),
                             0);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(Param(**model, "l", "weight").data,
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Param(**model, "l", "bias").data, std::vector<float>(3, 0.5f));
  EXPECT_EQ(Param(**model, "n", "scale").data, std::vector<float>(3, 2.0f));
  EXPECT_EQ((*model)->snapshot()->Find("n", "bias"), nullptr);
  EXPECT_EQ(Param(**model, "s", "weight").data, std::vector<float>(3, -3.0f));
}

TEST(InitializerKindsTest, RawTensorInitializer) {
  brainserve::v1::ModelSpec spec = ParseSpec(R"pb(
    input_shape: 2
    layers {
      name: "l"
      linear { out_size: 1 }
    }
  )pb");
  auto* tensor = spec.mutable_layers(0)
                     ->mutable_linear()
                     ->mutable_w_init()
                     ->mutable_tensor();
  tensor->add_shape(2);
  tensor->add_shape(1);
  const float values[] = {1.5f, -2.25f};
  tensor->set_raw(std::string(reinterpret_cast<const char*>(values), 8));
  auto model = Model::Create(spec, 0);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(Param(**model, "l", "weight").data,
            (std::vector<float>{1.5f, -2.25f}));
}

}  // namespace
}  // namespace brainserve::engine::testing
