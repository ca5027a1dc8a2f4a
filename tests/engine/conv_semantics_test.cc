// ScaledWSConv1d option combinations beyond the golden file (lhs / rhs
// dilation, negative and wide padding, groups, channel_first, masks, bias),
// against the naive reference, with 1 and 2 OpenMP threads.
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

}  // namespace
}  // namespace brainserve::engine::testing
