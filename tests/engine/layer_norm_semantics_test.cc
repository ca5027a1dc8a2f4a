// LayerNorm beyond the golden file: non-contiguous and non-trailing axes,
// feature shapes, two-pass variance and statistics masks (broadcast, NaN at
// masked-out positions, empty groups), against the naive reference.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/forward_mask.h"
#include "engine/layer_norm_kernel.h"
#include "engine/shape.h"
#include "engine/workspace.h"
#include "gtest/gtest.h"
#include "tests/engine/reference_layers.h"
#include "tests/engine/test_models.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

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
    ASSERT_TRUE((*model)->CheckMasks(MaskMap{{"norm", mask}}, batch).ok());
    dense_mask =
        BroadcastValues(mask, BatchedShape(batch, (*model)->input_shape()));
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

TEST(LayerNormSemanticsTest, FusedActivationIsBitwiseTheSeparateLayer) {
  // A LayerNorm applies the activation after it in its own kernel; the
  // result must be bitwise what the activation layer alone computes on the
  // LayerNorm's output, NaN included (an all-masked group), with one or two
  // threads (the kernel then splits its groups over the team).
  const char* functions[] = {"RELU",     "GELU",       "GELU_TANH",
                             "SIGMOID",  "TANH",       "SILU",
                             "SOFTPLUS", "LEAKY_RELU", "ELU"};
  for (int threads : {1, 2}) {
    EngineOptions options;
    options.num_threads = threads;
    auto norm = Model::Create(ParseSpec(R"pb(input_shape: [ 96, 64 ]
                                             layers {
                                               name: "norm"
                                               layer_norm {}
                                             })pb"),
                              0, options);
    ASSERT_TRUE(norm.ok()) << norm.status();
    const int64_t batch = 3;
    std::mt19937 rng(5);
    const std::vector<float> x = Random(batch * 96 * 64, rng, -1, 3);
    MaskMap masks;
    DenseTensor mask{{96, 64}, std::vector<float>(96 * 64, 1.0f)};
    for (int i = 0; i < 64; ++i) mask.data[5 * 64 + i] = 0;  // group 5: NaN
    masks["norm"] = mask;
    const std::vector<float> normalized = RunForward(**norm, x, batch, masks);
    ASSERT_TRUE(std::isnan(normalized[5 * 64]));
    for (const char* function : functions) {
      SCOPED_TRACE(std::string(function) + ", threads " +
                   std::to_string(threads));
      const std::string activation =
          std::string("activation { function: ") + function + " }";
      auto fused =
          Model::Create(ParseSpec(std::string(R"pb(input_shape: [ 96, 64 ]
                                                   layers {
                                                     name: "norm"
                                                     layer_norm {}
                                                   }
                                                   layers { name: "act")pb") +
                                  activation + "}"),
                        0, options);
      auto alone = Model::Create(
          ParseSpec(std::string("input_shape: [ 96, 64 ] layers { name: "
                                "\"act\" ") +
                    activation + "}"),
          0, options);
      ASSERT_TRUE(fused.ok()) << fused.status();
      ASSERT_TRUE(alone.ok()) << alone.status();
      const std::vector<float> want = RunForward(**alone, normalized, batch);
      const std::vector<float> got = RunForward(**fused, x, batch, masks);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(
          0, std::memcmp(got.data(), want.data(), sizeof(float) * got.size()));
    }
  }
}

TEST(LayerNormSemanticsTest, SimdAndPortableKernelsGiveTheSameBits) {
  // The kernel runs AVX-512 code where the CPU has it and portable code
  // elsewhere; a result must never depend on which. Group sizes around the
  // 16-lane width and its tails, masks with empty groups and NaN, both
  // variance formulas, with and without scale and bias.
  std::mt19937 rng(17);
  std::bernoulli_distribution keep(0.7);
  Workspace workspace;
  for (int64_t n : {1, 3, 15, 16, 17, 31, 32, 33, 64, 100, 257}) {
    for (bool fast : {true, false}) {
      for (int variant = 0; variant < 4; ++variant) {
        SCOPED_TRACE("n " + std::to_string(n) + (fast ? " fast" : " two-pass") +
                     " variant " + std::to_string(variant));
        const int64_t rows = 3;
        const Shape shape = {2, n};  // two groups per row
        LayerNormKernel best(shape, {1}, 1e-6f, fast);
        LayerNormKernel portable(shape, {1}, 1e-6f, fast,
                                 LayerNormKernel::Implementation::kPortable);
        std::vector<float> x = Random(rows * 2 * n, rng, -3, 5);
        x[0] = std::nanf("");  // row 0, group 0 is NaN unless masked out
        std::vector<float> mask(x.size());
        for (float& m : mask) m = keep(rng) ? 1.0f : 0.0f;
        mask[0] = 0.0f;
        for (int64_t i = 0; i < n; ++i) mask[2 * n + i] = 0.0f;  // empty
        const std::vector<float> scale = Random(2 * n, rng, -2, 2);
        const std::vector<float> bias = Random(2 * n, rng, -2, 2);
        const bool masked = variant & 1;
        const bool affine = variant & 2;
        std::vector<float> got(x.size()), want(x.size());
        best.Run(x.data(), got.data(), masked ? mask.data() : nullptr,
                 affine ? scale.data() : nullptr,
                 affine ? bias.data() : nullptr, nullptr, rows, workspace);
        portable.Run(x.data(), want.data(), masked ? mask.data() : nullptr,
                     affine ? scale.data() : nullptr,
                     affine ? bias.data() : nullptr, nullptr, rows, workspace);
        EXPECT_EQ(0, std::memcmp(got.data(), want.data(),
                                 sizeof(float) * got.size()));
      }
    }
  }
}

}  // namespace
}  // namespace brainserve::engine::testing
