// Every activation function, fused into a matmul as a oneDNN post-op and
// standalone, against the jax.nn formulas; and the dense layers' masks,
// signs and rank-3 inputs against a naive reference.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/reference_layers.h"
#include "tests/engine/test_models.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

double ReferenceActivation(const std::string& fn, double x, double alpha) {
  const double sigmoid = 1 / (1 + std::exp(-x));
  if (fn == "RELU") return std::max(x, 0.0);
  if (fn == "GELU") return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  if (fn == "GELU_TANH") {
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  }
  if (fn == "SIGMOID") return sigmoid;
  if (fn == "TANH") return std::tanh(x);
  if (fn == "SILU") return x * sigmoid;
  if (fn == "SOFTPLUS")
    return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
  if (fn == "LEAKY_RELU") return x >= 0 ? x : alpha * x;
  if (fn == "ELU") return x > 0 ? x : alpha * std::expm1(x);
  return x;  // IDENTITY
}

struct ActivationCase {
  const char* function;
  float alpha;  // as given in the spec
  double effective_alpha;
};

class ActivationSemanticsTest
    : public ::testing::TestWithParam<std::tuple<ActivationCase, bool>> {};

TEST_P(ActivationSemanticsTest, MatchesJaxFormulas) {
  const auto& [c, fused] = GetParam();
  // Inputs from -12 to 12 plus a few larger magnitudes.
  std::vector<float> x;
  for (int i = -240; i <= 240; ++i) x.push_back(i * 0.05f);
  for (float v : {-60.f, -30.f, 30.f, 60.f, 1e-4f, -1e-4f}) x.push_back(v);
  const int64_t n = static_cast<int64_t>(x.size());
  std::string act = "activation { function: " + std::string(c.function) +
                    " alpha: " + std::to_string(c.alpha) + " }";
  // Fused: after a Linear with an identity weight (a oneDNN post-op).
  // Standalone: after a LayerNorm-free identity (the first layer).
  std::string text;
  if (fused) {
    text =
        "input_shape: 1 layers { linear { out_size: 1 w_init { constant "
        "{ value: 1 } } } } layers { " +
        act + " }";
  } else {
    text = "input_shape: 1 layers { " + act + " }";
  }
  auto model = Model::Create(ParseSpec(text), 0);
  ASSERT_TRUE(model.ok()) << text << ": " << model.status();
  const std::vector<float> y = RunForward(**model, x, n);
  std::vector<double> want;
  for (float v : x)
    want.push_back(ReferenceActivation(c.function, v, c.effective_alpha));
  ExpectClose(y, want,
              std::string(c.function) + (fused ? " fused" : " standalone"));
}

const ActivationCase kActivationCases[] = {
    {"IDENTITY", 0, 0},      {"RELU", 0, 0},
    {"GELU", 0, 0},          {"GELU_TANH", 0, 0},
    {"SIGMOID", 0, 0},       {"TANH", 0, 0},
    {"SILU", 0, 0},          {"SOFTPLUS", 0, 0},
    {"LEAKY_RELU", 0, 0.01}, {"LEAKY_RELU", 0.2f, 0.2f},
    {"ELU", 0, 1.0},         {"ELU", 0.5f, 0.5f},
};

INSTANTIATE_TEST_SUITE_P(
    Functions, ActivationSemanticsTest,
    ::testing::Combine(::testing::ValuesIn(kActivationCases),
                       ::testing::Bool()),
    [](const auto& info) {
      const ActivationCase& c = std::get<0>(info.param);
      return std::string(c.function) + "_alpha" +
             std::to_string(static_cast<int>(c.alpha * 100)) +
             (std::get<1>(info.param) ? "_fused" : "_standalone");
    });

TEST(DenseSemanticsTest, MasksSignsAndRankThreeInputs) {
  std::mt19937 rng(31);
  auto model = Model::Create(ParseSpec(R"pb(
                               input_shape: [ 2, 3, 4 ]
                               layers {
                                 name: "lin"
                                 linear {
                                   out_size: 5
                                   w_mask {
                                     shape: [ 5 ]
                                     values: [ 1, 0, 1, 1, 0 ]
                                   }
                                 }
                               }
                               layers {
                                 name: "ws"
                                 scaled_ws_linear {
                                   out_size: 3
                                   w_mask {
                                     shape: [ 5, 1 ]
                                     values: [ 1, 1, 0, 1, 1 ]
                                   }
                                 }
                               }
                               layers {
                                 name: "signed"
                                 signed_w_linear {
                                   out_size: 2
                                   w_sign { values: -1 }
                                 }
                               }
                             )pb"),
                             4);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto snapshot = (*model)->snapshot();
  const std::vector<float>& w1 = snapshot->Find("lin", "weight")->data;
  const std::vector<float>& b1 = snapshot->Find("lin", "bias")->data;
  const std::vector<float>& w2 = snapshot->Find("ws", "weight")->data;
  const std::vector<float>& g2 = snapshot->Find("ws", "gain")->data;
  const std::vector<float>& b2 = snapshot->Find("ws", "bias")->data;
  const std::vector<float>& w3 = snapshot->Find("signed", "weight")->data;
  const float mask1[] = {1, 0, 1, 1, 0};  // per output column
  const float mask2[] = {1, 1, 0, 1, 1};  // per input row
  std::vector<double> ws2 = ReferenceWS(w2, 5, 3, 1e-4, &g2);
  const int64_t batch = 2;
  const std::vector<float> x = Random(batch * 24, rng);
  std::vector<double> want;
  for (int64_t r = 0; r < batch * 6; ++r) {  // rows of the last axis
    double h1[5], h2[3];
    for (int o = 0; o < 5; ++o) {
      double acc = b1[o];
      for (int i = 0; i < 4; ++i)
        acc += x[r * 4 + i] * w1[i * 5 + o] * mask1[o];
      h1[o] = acc;
    }
    for (int o = 0; o < 3; ++o) {
      double acc = b2[o];
      for (int i = 0; i < 5; ++i) acc += h1[i] * ws2[i * 3 + o] * mask2[i];
      h2[o] = acc;
    }
    for (int o = 0; o < 2; ++o) {
      double acc = 0;
      for (int i = 0; i < 3; ++i) acc += h2[i] * -std::fabs(w3[i * 2 + o]);
      want.push_back(acc);
    }
  }
  EXPECT_EQ((*model)->output_shape(), (std::vector<int64_t>{2, 3, 2}));
  ExpectClose(RunForward(**model, x, batch), want, "dense stack");
}

}  // namespace
}  // namespace brainserve::engine::testing
