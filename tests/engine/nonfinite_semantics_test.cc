// NaN and +-Inf through every activation, standalone and fused into a
// matmul as a oneDNN post-op, and through dense layers, against JAX.
//
// There is no JAX here: each expected value is derived by hand from the
// jax.nn definition (JAX 0.4, float32, IEEE arithmetic), with the reason in
// a comment. brainstate's activations are jax.nn's.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_models.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct NonFiniteCase {
  const char* function;
  float alpha;            // as given in the spec
  float want_nan;         // f(NaN)
  float want_pos_inf;     // f(+Inf)
  float want_neg_inf;     // f(-Inf)
};

// Inputs are {NaN, +Inf, -Inf}. NaN in gives NaN out for every function:
// every jax.nn activation is built from lax ops (max, erfc, tanh, logistic,
// exp, where on a comparison that is false for NaN) that propagate NaN.
const NonFiniteCase kCases[] = {
    // identity: x.
    {"IDENTITY", 0, kNaN, kInf, -kInf},
    // relu = jnp.maximum(x, 0): maximum propagates NaN; max(-Inf, 0) = 0.
    {"RELU", 0, kNaN, kInf, 0.0f},
    // gelu(approximate=False) = 0.5 * x * erfc(-x / sqrt2):
    // +Inf: 0.5 * Inf * erfc(-Inf) = Inf * 2 * 0.5 = Inf;
    // -Inf: 0.5 * -Inf * erfc(+Inf) = -Inf * 0 = NaN.
    {"GELU", 0, kNaN, kInf, kNaN},
    // gelu(approximate=True) = x * 0.5 * (1 + tanh(c * (x + 0.044715 x^3))):
    // +Inf: tanh(+Inf) = 1, cdf 1, Inf * 1 = Inf;
    // -Inf: tanh(-Inf) = -1, cdf 0, -Inf * 0 = NaN.
    {"GELU_TANH", 0, kNaN, kInf, kNaN},
    // sigmoid = lax.logistic = 1 / (1 + exp(-x)): 1 at +Inf, 0 at -Inf.
    {"SIGMOID", 0, kNaN, 1.0f, 0.0f},
    // tanh: +-1.
    {"TANH", 0, kNaN, 1.0f, -1.0f},
    // silu = x * sigmoid(x): +Inf * 1 = Inf; -Inf * 0 = NaN.
    {"SILU", 0, kNaN, kInf, kNaN},
    // softplus = jnp.logaddexp(x, 0) = max(x, 0) + log1p(exp(-|x - 0|)),
    // with NaN taken by its isnan(delta) branch (x + 0 = NaN):
    // +Inf: Inf + log1p(0) = Inf; -Inf: 0 + log1p(exp(-Inf)) = 0.
    {"SOFTPLUS", 0, kNaN, kInf, 0.0f},
    // leaky_relu = where(x >= 0, x, slope * x), slope 0.01 by default:
    // NaN >= 0 is false -> 0.01 * NaN = NaN; -Inf -> 0.01 * -Inf = -Inf.
    {"LEAKY_RELU", 0, kNaN, kInf, -kInf},
    {"LEAKY_RELU", 0.2f, kNaN, kInf, -kInf},
    // elu = where(x > 0, x, alpha * expm1(where(x > 0, 0, x))), alpha 1 by
    // default: NaN > 0 is false -> alpha * expm1(NaN) = NaN;
    // -Inf -> alpha * expm1(-Inf) = alpha * -1 = -alpha.
    {"ELU", 0, kNaN, kInf, -1.0f},
    {"ELU", 0.5f, kNaN, kInf, -0.5f},
};

// Exact: NaN must be NaN, infinities must match in sign, finite values
// must be equal (all expected finite values here are exact).
void ExpectSame(float got, float want, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": got " << got << ", want NaN";
  } else {
    EXPECT_EQ(got, want) << what;
  }
}

class GoldenNonFiniteActivationTest
    : public ::testing::TestWithParam<std::tuple<NonFiniteCase, bool>> {};

TEST_P(GoldenNonFiniteActivationTest, MatchesJax) {
  const auto& [c, fused] = GetParam();
  const std::string act = "activation { function: " + std::string(c.function) +
                          " alpha: " + std::to_string(c.alpha) + " }";
  // Fused: after a Linear with weight 1 and bias 0 (x * 1 + 0 keeps NaN and
  // +-Inf), where the activation becomes a oneDNN post-op when it can.
  const std::string text =
      fused ? "input_shape: 1 layers { linear { out_size: 1 w_init { "
              "constant { value: 1 } } } } layers { " +
                  act + " }"
            : "input_shape: 1 layers { " + act + " }";
  auto model = Model::Create(ParseSpec(text), 0);
  ASSERT_TRUE(model.ok()) << text << ": " << model.status();
  // Finite neighbours in the same pass check nothing leaks across rows.
  const std::vector<float> x = {kNaN, kInf, -kInf, 1.0f};
  const std::vector<float> y = RunForward(**model, x, 4);
  const std::string what =
      std::string(c.function) + (fused ? " fused" : " standalone");
  ExpectSame(y[0], c.want_nan, what + " at NaN");
  ExpectSame(y[1], c.want_pos_inf, what + " at +Inf");
  ExpectSame(y[2], c.want_neg_inf, what + " at -Inf");
  EXPECT_TRUE(std::isfinite(y[3])) << what << " at 1";
}

INSTANTIATE_TEST_SUITE_P(
    Functions, GoldenNonFiniteActivationTest,
    ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
    [](const auto& info) {
      const NonFiniteCase& c = std::get<0>(info.param);
      return std::string(c.function) + "_alpha" +
             std::to_string(static_cast<int>(c.alpha * 10)) +
             (std::get<1>(info.param) ? "_fused" : "_standalone");
    });

// A dense layer: a NaN or Inf input reaches every output of its own row
// (NaN * w propagates; Inf * w with w of both signs sums to Inf - Inf = NaN
// in some output or stays +-Inf), and never another row's outputs.
TEST(GoldenNonFiniteDenseTest, NaNStaysInItsRow) {
  auto model = Model::Create(
      ParseSpec("input_shape: 2 layers { linear { out_size: 3 } } "
                "layers { activation { function: RELU } }"),
      7);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<float> x = {kNaN, 1.0f, 0.5f, -0.5f};
  const std::vector<float> y = RunForward(**model, x, 2);
  // Row 0: NaN * w + ... = NaN, and relu(NaN) = NaN (jnp.maximum).
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isnan(y[i])) << "row 0 [" << i << "]";
  for (int i = 3; i < 6; ++i) EXPECT_TRUE(std::isfinite(y[i])) << "row 1 [" << i << "]";
}

}  // namespace
}  // namespace brainserve::engine::testing
