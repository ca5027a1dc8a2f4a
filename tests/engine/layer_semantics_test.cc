// Option combinations beyond the golden file, checked against the naive
// references in reference_layers.h with the golden tolerance
// |got - want| <= 1e-5 + 1e-4 * |want| (NaN where the reference is NaN).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/reference_layers.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

std::vector<float> Random(int64_t n, std::mt19937& rng, float lo = -2,
                          float hi = 2) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void ExpectClose(const std::vector<float>& got, const std::vector<double>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      if (!std::isnan(got[i]) && ++failures <= 5) {
        ADD_FAILURE() << what << " element " << i << ": got " << got[i]
                      << ", want NaN";
      }
      continue;
    }
    const double tolerance = 1e-5 + 1e-4 * std::fabs(want[i]);
    if (!(std::fabs(got[i] - want[i]) <= tolerance) && ++failures <= 5) {
      ADD_FAILURE() << what << " element " << i << ": got " << got[i]
                    << ", want " << want[i];
    }
  }
}

std::vector<float> RunForward(const Model& model, const std::vector<float>& x,
                              int64_t batch, const MaskMap& masks = {}) {
  std::vector<float> y(batch * model.output_sample_size());
  const absl::Status status =
      model.Forward(*model.snapshot(), x.data(), batch, masks, y.data());
  EXPECT_TRUE(status.ok()) << status;
  return y;
}

// ---------------------------------------------------------------- conv

struct ConvCase {
  const char* name;
  ConvConfig config;
  const char* mode;  // "SAME" / "VALID" / "" (explicit lo, hi)
  bool bias;
  bool mask;
};

class ConvSemanticsTest
    : public ::testing::TestWithParam<std::tuple<ConvCase, int>> {};

TEST_P(ConvSemanticsTest, MatchesReference) {
  const auto& [c, threads] = GetParam();
  ConvConfig config = c.config;
  std::mt19937 rng(17);
  brainserve::v1::ModelSpec spec;
  if (config.channel_first) {
    spec.add_input_shape(config.cin);
    spec.add_input_shape(config.length);
  } else {
    spec.add_input_shape(config.length);
    spec.add_input_shape(config.cin);
  }
  auto* layer = spec.add_layers();
  layer->set_name("conv");
  auto* conv = layer->mutable_scaled_ws_conv1d();
  conv->set_out_channels(config.cout);
  conv->set_kernel_size(config.kernel);
  conv->set_stride(config.stride);
  conv->set_lhs_dilation(config.lhs_dilation);
  conv->set_rhs_dilation(config.rhs_dilation);
  conv->set_groups(config.groups);
  conv->set_channel_first(config.channel_first);
  conv->mutable_padding()->set_mode(c.mode);
  if (std::string(c.mode).empty()) {
    conv->mutable_padding()->set_lo(config.lo);
    conv->mutable_padding()->set_hi(config.hi);
  }
  if (c.bias) conv->mutable_b_init()->mutable_constant()->set_value(0.25f);
  const int64_t cg = config.cin / config.groups;
  const int64_t weight_size = config.kernel * cg * config.cout;
  std::vector<float> mask;
  if (c.mask) {
    std::bernoulli_distribution keep(0.7);
    for (int64_t i = 0; i < weight_size; ++i)
      mask.push_back(keep(rng) ? 1.f : 0.f);
    auto* m = conv->mutable_w_mask();
    m->add_shape(config.kernel);
    m->add_shape(cg);
    m->add_shape(config.cout);
    for (float v : mask) m->add_values(v);
  }
  if (std::string(c.mode) == "SAME") {
    const int64_t ke = (config.kernel - 1) * config.rhs_dilation + 1;
    const int64_t out = (config.length + config.stride - 1) / config.stride;
    const int64_t total =
        std::max<int64_t>(0, (out - 1) * config.stride + ke - config.length);
    config.lo = total / 2;
    config.hi = total - config.lo;
  } else if (std::string(c.mode) == "VALID") {
    config.lo = config.hi = 0;
  }
  EngineOptions options;
  options.num_threads = threads;
  auto model = Model::Create(spec, 5, options);
  ASSERT_TRUE(model.ok()) << model.status();
  // Random gain and bias.
  std::vector<ParameterUpdate> updates;
  const std::vector<float> gain = Random(config.cout, rng, 0.5f, 1.5f);
  updates.push_back({"conv", "gain", UpdateMode::kReplace,
                     DenseTensor{{1, 1, config.cout}, gain}});
  std::vector<float> bias;
  if (c.bias) {
    bias = Random(config.cout, rng);
    updates.push_back({"conv", "bias", UpdateMode::kReplace,
                       DenseTensor{config.channel_first
                                       ? std::vector<int64_t>{1, config.cout, 1}
                                       : std::vector<int64_t>{1, config.cout},
                                   bias}});
  }
  ASSERT_TRUE((*model)->Update(updates, std::nullopt).ok());
  const std::vector<float>& w =
      (*model)->snapshot()->Find("conv", "weight")->data;
  std::vector<double> w_hat =
      ReferenceWS(w, config.kernel * cg, config.cout, 1e-4, &gain);
  for (size_t i = 0; i < mask.size(); ++i) w_hat[i] *= mask[i];

  const int64_t batch = 3;
  const int64_t in = (*model)->input_sample_size();
  const std::vector<float> x = Random(batch * in, rng);
  const std::vector<float> y = RunForward(**model, x, batch);
  std::vector<double> want;
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<double> yb = ReferenceConv(
        config,
        std::vector<float>(x.begin() + b * in, x.begin() + (b + 1) * in), w_hat,
        bias);
    want.insert(want.end(), yb.begin(), yb.end());
  }
  ExpectClose(y, want, c.name);
}

// {length, cin, cout, kernel, stride, lhs, rhs, groups, lo, hi, channel_first}
const ConvCase kConvCases[] = {
    {"dilations_crop_groups",
     {10, 4, 6, 3, 1, 3, 2, 2, 1, -2, false},
     "",
     true,
     true},
    {"dilations_crop_groups_cf",
     {10, 4, 6, 3, 1, 3, 2, 2, 1, -2, true},
     "",
     true,
     true},
    {"depthwise_stride_crop_lo",
     {9, 3, 3, 2, 2, 1, 1, 3, -1, 0, false},
     "",
     false,
     false},
    {"padding_wider_than_kernel",
     {6, 2, 4, 3, 1, 1, 1, 1, 5, 4, false},
     "",
     true,
     false},
    {"same_stride3_rhs2",
     {11, 3, 5, 4, 3, 1, 2, 1, 0, 0, false},
     "SAME",
     false,
     true},
    {"same_channel_first",
     {13, 6, 4, 5, 2, 1, 1, 2, 0, 0, true},
     "SAME",
     true,
     false},
    {"valid_rhs3",
     {20, 2, 2, 3, 1, 1, 3, 1, 0, 0, false},
     "VALID",
     false,
     false},
    {"lhs2_crop_both_stride2",
     {8, 2, 4, 3, 2, 2, 1, 1, -3, -1, false},
     "",
     true,
     true},
    {"wide_channels",
     {32, 48, 40, 5, 1, 1, 1, 1, 0, 0, false},
     "SAME",
     true,
     false},
};

INSTANTIATE_TEST_SUITE_P(Conv, ConvSemanticsTest,
                         ::testing::Combine(::testing::ValuesIn(kConvCases),
                                            ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  "_" +
                                  std::to_string(std::get<1>(info.param)) +
                                  "threads";
                         });

// ----------------------------------------------------------- LayerNorm

struct NormCase {
  const char* name;
  std::vector<int64_t> shape;
  const char* options;           // LayerNormSpec text
  std::vector<int64_t> reduced;  // per-sample axes (reference)
  bool fast_variance;
  std::vector<int64_t> mask_shape;  // empty: no mask
};

class LayerNormSemanticsTest : public ::testing::TestWithParam<NormCase> {};

TEST_P(LayerNormSemanticsTest, MatchesReference) {
  const NormCase& c = GetParam();
  std::mt19937 rng(23);
  std::string text = "input_shape: [";
  for (size_t i = 0; i < c.shape.size(); ++i) {
    text += (i ? ", " : " ") + std::to_string(c.shape[i]);
  }
  text += " ] layers { name: \"norm\" layer_norm { " + std::string(c.options) +
          " } }";
  auto model = Model::Create(ParseSpec(text), 0);
  ASSERT_TRUE(model.ok()) << model.status();
  // Random scale and bias of the feature shape.
  std::vector<ParameterUpdate> updates;
  std::vector<std::vector<float>> affine(2);
  const char* names[] = {"scale", "bias"};
  for (int p = 0; p < 2; ++p) {
    const DenseTensor* current = (*model)->snapshot()->Find("norm", names[p]);
    if (current == nullptr) continue;
    DenseTensor value = *current;
    value.data = Random(value.data.size(), rng, 0.5f, 1.5f);
    // Broadcast to the sample for the reference.
    const std::vector<int64_t>& fs = value.shape;
    const int64_t n = (*model)->input_sample_size();
    affine[p].resize(n);
    for (int64_t e = 0; e < n; ++e) {
      int64_t rem = e, src = 0, stride = 1;
      std::vector<int64_t> idx(c.shape.size());
      for (int64_t d = c.shape.size() - 1; d >= 0; --d) {
        idx[d] = rem % c.shape[d];
        rem /= c.shape[d];
      }
      for (int64_t d = c.shape.size() - 1; d >= 0; --d) {
        src += (fs[d] == 1 ? 0 : idx[d]) * stride;
        stride *= fs[d];
      }
      affine[p][e] = value.data[src];
    }
    updates.push_back({"norm", names[p], UpdateMode::kReplace, value});
  }
  ASSERT_TRUE((*model)->Update(updates, std::nullopt).ok());

  const int64_t batch = 4;
  const int64_t n = (*model)->input_sample_size();
  std::vector<float> x = Random(batch * n, rng, -1, 3);
  MaskMap masks;
  std::vector<float> dense_mask;  // [batch, n] for the reference
  if (!c.mask_shape.empty()) {
    DenseTensor mask;
    mask.shape = c.mask_shape;
    int64_t count = 1;
    for (int64_t d : c.mask_shape) count *= d;
    std::bernoulli_distribution keep(0.6);
    for (int64_t i = 0; i < count; ++i)
      mask.data.push_back(keep(rng) ? 2.f : 0.f);
    auto expanded = (*model)->ExpandMask("norm", mask, batch);
    ASSERT_TRUE(expanded.ok());
    dense_mask = expanded->data;
    masks["norm"] = mask;
    // A NaN at a masked-out position must not leak into the statistics.
    for (int64_t i = 0; i < batch * n; ++i) {
      if (dense_mask[i] == 0) {
        x[i] = std::nanf("");
        break;
      }
    }
  }
  const std::vector<float> y = RunForward(**model, x, batch, masks);
  std::vector<double> want;
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<float> xb(x.begin() + b * n, x.begin() + (b + 1) * n);
    std::vector<float> mb;
    if (!dense_mask.empty()) {
      mb.assign(dense_mask.begin() + b * n, dense_mask.begin() + (b + 1) * n);
    }
    const std::vector<double> yb =
        ReferenceLayerNorm(c.shape, c.reduced, xb, mb, 1e-6, c.fast_variance,
                           affine[0], affine[1]);
    want.insert(want.end(), yb.begin(), yb.end());
  }
  ExpectClose(y, want, c.name);
}

const NormCase kNormCases[] = {
    {"noncontiguous_axes_fast",
     {2, 3, 4},
     "reduction_axes: [1, 3] feature_axes: [0, 2]",
     {0, 2},
     true,
     {}},
    {"noncontiguous_axes_two_pass_masked",
     {2, 3, 4},
     "reduction_axes: [1, 3] feature_axes: [0, 2] use_fast_variance: false",
     {0, 2},
     false,
     {4, 2, 3, 4}},
    {"middle_axis_only", {3, 5}, "reduction_axes: -2", {0}, true, {}},
    {"middle_axis_masked_broadcast",
     {3, 5},
     "reduction_axes: -2 feature_axes: -2",
     {0},
     true,
     {3, 1}},
    {"two_trailing_axes_mask_per_feature",
     {4, 6},
     "reduction_axes: [-2, -1] use_bias: false",
     {0, 1},
     true,
     {6}},
    {"last_axis_masked_per_row",
     {2, 40},
     "use_fast_variance: false",
     {1},
     false,
     {4, 1, 40}},
    {"empty_mask_group_gives_nan", {2, 3}, "", {1}, true, {4, 2, 3}},
};

INSTANTIATE_TEST_SUITE_P(LayerNorm, LayerNormSemanticsTest,
                         ::testing::ValuesIn(kNormCases), [](const auto& info) {
                           return std::string(info.param.name);
                         });

TEST(LayerNormSemanticsTest, EmptyGroupIsNanOthersAreNot) {
  auto model = Model::Create(ParseSpec(R"pb(input_shape: [ 2, 3 ]
                                            layers {
                                              name: "norm"
                                              layer_norm {}
                                            })pb"),
                             0);
  ASSERT_TRUE(model.ok());
  MaskMap masks;
  masks["norm"] = DenseTensor{{2, 3}, {0, 0, 0, 1, 0, 1}};
  const std::vector<float> y =
      RunForward(**model, {1, 2, 3, 4, 5, 6}, 1, masks);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
  // Group 2 uses only 4 and 6: mean 5, var 1 -> (x - 5) / sqrt(1 + 1e-6).
  EXPECT_NEAR(y[3], -1.0, 1e-5);
  EXPECT_NEAR(y[4], 0.0, 1e-6);
  EXPECT_NEAR(y[5], 1.0, 1e-5);
}

// ---------------------------------------------------------- activations

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

// --------------------------------------------------------------- dense

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
