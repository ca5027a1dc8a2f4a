// Precision BF16 (engine/precision.h): the float32 -> bfloat16 conversion,
// the arithmetic it promises (operands rounded to bfloat16, accumulation in
// float32, so |y - exact| <= 2^-8 * sum |w * x| per output), every golden
// case within the documented tolerance, batch invariance, and updates that
// keep float32 parameters.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/bf16_convert.h"
#include "engine/model.h"
#include "engine/precision.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/engine/golden_data.h"
#include "tests/engine/reference_layers.h"
#include "tests/engine/test_models.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

std::vector<float> RandomValues(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  return Random(n, rng);
}

// The bound of one output: each product of two values rounded to bfloat16
// (relative error <= 2^-9 each) is within (2^-8 + 2^-18) |w x| of the exact
// product; float32 accumulation of K terms adds at most K * 2^-24 * sum.
double Bound(double sum_abs, int64_t terms) {
  return (std::ldexp(1.0, -8) + std::ldexp(1.0, -18) +
          static_cast<double>(terms) * std::ldexp(1.0, -24)) *
             sum_abs +
         1e-30;
}

float FromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

uint16_t Convert(float value) {
  uint16_t out;
  FloatsToBf16(&value, 1, &out);
  return out;
}

float Rounded(float value) { return Bf16ToFloat(Convert(value)); }

TEST(Bf16ConvertTest, RoundsToNearestEvenAndKeepsSpecialValues) {
  EXPECT_EQ(Convert(1.0f), 0x3f80);
  EXPECT_EQ(Convert(-2.0f), 0xc000);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even one.
  EXPECT_EQ(Convert(FromBits(0x3f808000u)), 0x3f80);
  EXPECT_EQ(Convert(FromBits(0x3f818000u)), 0x3f82);
  EXPECT_EQ(Convert(FromBits(0x3f808001u)), 0x3f81);
  EXPECT_EQ(Convert(FromBits(0x3f807fffu)), 0x3f80);
  // The largest float rounds up to infinity; infinities stay.
  EXPECT_EQ(Convert(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(Convert(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(Convert(-std::numeric_limits<float>::infinity()), 0xff80);
  // A NaN stays a NaN, quiet, with its sign (a signalling one too).
  EXPECT_EQ(Convert(FromBits(0x7fc00000u)), 0x7fc0);
  EXPECT_EQ(Convert(FromBits(0xff800001u)), 0xffc0);
  EXPECT_TRUE(std::isnan(Bf16ToFloat(Convert(FromBits(0x7f800001u)))));
  // Denormals become zeros of their sign, as VCVTNEPS2BF16 makes them.
  EXPECT_EQ(Convert(FromBits(0x00000001u)), 0x0000);
  EXPECT_EQ(Convert(FromBits(0x807fffffu)), 0x8000);
  EXPECT_EQ(Convert(std::numeric_limits<float>::min()), 0x0080);
  EXPECT_EQ(Bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(Bf16ToFloat(0xc040), -3.0f);
}

TEST(Bf16ConvertTest, VectorizedGivesThePortableBits) {
  RecordProperty("vectorized", Bf16ConvertIsVectorized() ? "yes" : "no");
  // Every bit pattern class: random words (NaNs, denormals, both signs),
  // and lengths that leave every tail size.
  std::mt19937 random(7);
  for (int64_t count : {0, 1, 15, 16, 17, 31, 1000, 65537}) {
    std::vector<float> src(count);
    for (float& value : src) value = FromBits(random());
    std::vector<uint16_t> fast(count), portable(count);
    FloatsToBf16(src.data(), count, fast.data());
    FloatsToBf16Portable(src.data(), count, portable.data());
    EXPECT_EQ(fast, portable) << count << " values";
  }
}

v1::ModelSpec ParseSpec(const std::string& text) {
  v1::ModelSpec spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec))
      << text;
  return spec;
}

std::unique_ptr<Model> CreateWith(const v1::ModelSpec& spec,
                                  Precision precision, int threads = 1,
                                  uint64_t seed = 5) {
  EngineOptions options;
  options.precision = precision;
  options.num_threads = threads;
  auto model = Model::Create(spec, seed, options);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *std::move(model) : nullptr;
}

std::vector<float> ForwardAll(Model& model, const std::vector<float>& input,
                              int64_t batch) {
  std::vector<float> output(batch * model.output_sample_size());
  const absl::Status status = model.Forward(*model.snapshot(), input.data(),
                                            batch, MaskMap(), output.data());
  EXPECT_TRUE(status.ok()) << status;
  return output;
}

const std::vector<float>& Parameter(const Model& model,
                                    const std::string& layer,
                                    const std::string& name) {
  const auto& infos = model.parameter_infos();
  for (size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].layer == layer && infos[i].name == name) {
      return model.snapshot()->value(i).data;
    }
  }
  ADD_FAILURE() << "no parameter " << layer << "/" << name;
  static const std::vector<float> kEmpty;
  return kEmpty;
}

// y = x . W + b for a Linear whose W and x are rounded to bfloat16 first:
// computed in double, with and without the rounding, and sum |w x|.
struct DenseReference {
  std::vector<double> rounded, exact, sum_abs;
};

DenseReference ReferenceDense(const std::vector<float>& x,
                              const std::vector<double>& w,
                              const std::vector<float>& bias, int64_t rows,
                              int64_t in, int64_t out) {
  DenseReference r;
  r.rounded.assign(rows * out, 0.0);
  r.exact.assign(rows * out, 0.0);
  r.sum_abs.assign(rows * out, 0.0);
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < out; ++n) {
      double rounded = bias.empty() ? 0.0 : bias[n];
      double exact = rounded, sum_abs = 0.0;
      for (int64_t k = 0; k < in; ++k) {
        const double xv = x[m * in + k];
        const double wv = w[k * out + n];
        exact += xv * wv;
        rounded += static_cast<double>(Rounded(static_cast<float>(xv))) *
                   Rounded(static_cast<float>(wv));
        sum_abs += std::fabs(xv * wv);
      }
      r.rounded[m * out + n] = rounded;
      r.exact[m * out + n] = exact;
      r.sum_abs[m * out + n] = sum_abs;
    }
  }
  return r;
}

TEST(Bf16PrecisionTest, LinearIsRoundedOperandsAccumulatedInFloat32) {
  constexpr int64_t kIn = 97, kOut = 40, kRows = 5;
  const v1::ModelSpec spec = ParseSpec(absl::StrCat(
      "input_shape: ", kIn, " layers { name: 'fc' linear { out_size: ", kOut,
      " b_init { constant { value: 0.25 } } } }"));
  auto model = CreateWith(spec, Precision::kBf16);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->precision(), Precision::kBf16);
  const std::vector<float> x = RandomValues(kRows * kIn, 11);
  const std::vector<float>& w = Parameter(*model, "fc", "weight");
  const std::vector<float>& b = Parameter(*model, "fc", "bias");
  const std::vector<float> y = ForwardAll(*model, x, kRows);
  const DenseReference ref = ReferenceDense(
      x, std::vector<double>(w.begin(), w.end()), b, kRows, kIn, kOut);
  double worst = 0.0;
  bool differs_from_fp32 = false;
  for (size_t i = 0; i < y.size(); ++i) {
    // Against the rounded operands: only float32 accumulation error.
    EXPECT_NEAR(y[i], ref.rounded[i],
                kIn * std::ldexp(1.0, -23) * ref.sum_abs[i] + 1e-6)
        << "element " << i;
    // Against exact arithmetic: the documented bound.
    EXPECT_LE(std::fabs(y[i] - ref.exact[i]), Bound(ref.sum_abs[i], kIn))
        << "element " << i;
    worst = std::max(worst, std::fabs(y[i] - ref.exact[i]) / ref.sum_abs[i]);
    differs_from_fp32 |= std::fabs(y[i] - ref.exact[i]) > 1e-5 * ref.sum_abs[i];
  }
  // It really computed in bfloat16 (a float32 path would be within 1e-6).
  EXPECT_TRUE(differs_from_fp32);
  RecordProperty("max_error_over_sum_abs", std::to_string(worst));
}

TEST(Bf16PrecisionTest, ScaledWSLinearAndSignedWStayWithinTheBound) {
  constexpr int64_t kIn = 64, kOut = 48, kRows = 9;
  const v1::ModelSpec spec = ParseSpec(
      "input_shape: 64 layers { name: 'ws' scaled_ws_linear { out_size: 48 } }"
      " layers { name: 'signed' signed_w_linear { out_size: 48 } }");
  auto model = CreateWith(spec, Precision::kBf16);
  ASSERT_NE(model, nullptr);
  // The first layer alone: a model of just it, with the same parameters.
  const v1::ModelSpec first = ParseSpec(
      "input_shape: 64 layers { name: 'ws' scaled_ws_linear { out_size: 48 } "
      "}");
  auto ws_only = CreateWith(first, Precision::kBf16);
  ASSERT_NE(ws_only, nullptr);
  const std::vector<float> x = RandomValues(kRows * kIn, 12);
  const std::vector<float>& w = Parameter(*ws_only, "ws", "weight");
  const std::vector<float>& gain = Parameter(*ws_only, "ws", "gain");
  const std::vector<double> w_hat = ReferenceWS(w, kIn, kOut, 1e-4, &gain);
  const std::vector<float> y = ForwardAll(*ws_only, x, kRows);
  const DenseReference ref = ReferenceDense(
      x, w_hat, Parameter(*ws_only, "ws", "bias"), kRows, kIn, kOut);
  for (size_t i = 0; i < y.size(); ++i) {
    // The standardized weight is computed in float32 before its rounding:
    // one more float32 rounding per weight, far inside the bound.
    EXPECT_LE(std::fabs(y[i] - ref.exact[i]), Bound(ref.sum_abs[i], kIn))
        << "element " << i;
  }
  // The two-layer model: the signed layer's input is the first layer's
  // bfloat16 result, so compare with float32 end to end, loosely.
  auto fp32 = CreateWith(spec, Precision::kFp32);
  ASSERT_NE(fp32, nullptr);
  const std::vector<float> got = ForwardAll(*model, x, kRows);
  const std::vector<float> want = ForwardAll(*fp32, x, kRows);
  double scale = 0.0;
  for (float v : want) scale = std::max(scale, std::fabs(double{v}));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], std::ldexp(1.0, -6) * scale) << i;
  }
}

TEST(Bf16PrecisionTest, ConvolutionStaysWithinTheBound) {
  // Channels-last, padding, rhs dilation and groups; bias kept at 0 so the
  // bound needs only sum |w x|.
  const ConvConfig c{/*length=*/33,      /*cin=*/8,
                     /*cout=*/12,        /*kernel=*/3,
                     /*stride=*/1,       /*lhs_dilation=*/1,
                     /*rhs_dilation=*/2,
                     /*groups=*/2,       /*lo=*/2,
                     /*hi=*/2,           /*channel_first=*/false};
  for (int threads : {1, 2}) {
    const v1::ModelSpec spec = ParseSpec(
        "input_shape: [33, 8] layers { name: 'conv' scaled_ws_conv1d {"
        " out_channels: 12 kernel_size: 3 rhs_dilation: 2 groups: 2"
        " padding { lo: 2 hi: 2 } } }");
    auto model = CreateWith(spec, Precision::kBf16, threads);
    ASSERT_NE(model, nullptr);
    const std::vector<float>& w = Parameter(*model, "conv", "weight");
    const std::vector<float>& gain = Parameter(*model, "conv", "gain");
    const std::vector<double> w_hat =
        ReferenceWS(w, c.kernel * c.cin / c.groups, c.cout, 1e-4, &gain);
    std::vector<double> w_abs(w_hat.size());
    for (size_t i = 0; i < w_hat.size(); ++i) w_abs[i] = std::fabs(w_hat[i]);
    constexpr int64_t kRows = 3;
    const int64_t in_size = c.length * c.cin;
    const std::vector<float> x = RandomValues(kRows * in_size, 13);
    const std::vector<float> y = ForwardAll(*model, x, kRows);
    const int64_t out_size = model->output_sample_size();
    bool differs = false;
    for (int64_t s = 0; s < kRows; ++s) {
      const std::vector<float> xs(x.begin() + s * in_size,
                                  x.begin() + (s + 1) * in_size);
      std::vector<float> xs_abs(xs.size());
      for (size_t i = 0; i < xs.size(); ++i) xs_abs[i] = std::fabs(xs[i]);
      const std::vector<double> exact = ReferenceConv(c, xs, w_hat, {});
      const std::vector<double> sum_abs = ReferenceConv(c, xs_abs, w_abs, {});
      ASSERT_EQ(static_cast<int64_t>(exact.size()), out_size);
      for (int64_t i = 0; i < out_size; ++i) {
        const double got = y[s * out_size + i];
        EXPECT_LE(std::fabs(got - exact[i]),
                  Bound(sum_abs[i], c.kernel * c.cin / c.groups))
            << threads << " threads, sample " << s << ", element " << i;
        differs |= std::fabs(got - exact[i]) > 1e-5 * sum_abs[i];
      }
    }
    EXPECT_TRUE(differs) << "a float32 path would be within 1e-5";
  }
}

// Every golden case (brainstate's float32 outputs) at BF16, within
// |got - want| <= 2^-5 * (|want| + rms(want)) + 1e-5: relative to the
// case's own scale, since an output near 0 may be a sum of large terms.
TEST(Bf16PrecisionTest, GoldenCasesWithinTheDocumentedTolerance) {
  const std::vector<GoldenCase> cases = LoadGoldenCases(GoldenPath());
  ASSERT_FALSE(cases.empty());
  EngineOptions options;
  options.precision = Precision::kBf16;
  double worst = 0.0;
  std::string worst_case;
  int ran = 0;
  for (const GoldenCase& c : cases) {
    if (!c.error.empty() || !c.load_error.empty()) continue;
    std::unique_ptr<Model> model = CreateGoldenModel(c, options);
    ASSERT_NE(model, nullptr) << c.name;
    const int64_t batch = c.input.shape[0];
    MaskMap masks;
    if (c.mask.has_value()) masks.emplace(kGoldenMaskLayer, *c.mask);
    std::vector<float> got(c.output.data.size());
    ASSERT_TRUE(model
                    ->Forward(*model->snapshot(), c.input.data.data(), batch,
                              masks, got.data())
                    .ok())
        << c.name;
    double sum_sq = 0.0;
    for (float v : c.output.data) {
      if (std::isfinite(v)) sum_sq += double{v} * v;
    }
    const double rms =
        std::sqrt(sum_sq / std::max<size_t>(1, c.output.data.size()));
    for (size_t i = 0; i < got.size(); ++i) {
      const double want = c.output.data[i];
      if (!std::isfinite(want)) {  // NaN stays NaN, an infinity itself
        EXPECT_TRUE(std::isnan(want) ? std::isnan(got[i]) : got[i] == want)
            << c.name << ", element " << i << ": got " << got[i];
        continue;
      }
      const double scale = std::fabs(want) + rms;
      const double error = std::fabs(got[i] - want);
      EXPECT_LE(error, std::ldexp(1.0, -5) * scale + 1e-5)
          << c.name << ", element " << i << ": got " << got[i] << ", want "
          << want;
      if (scale > 0 && error / scale > worst) {
        worst = error / scale;
        worst_case = c.name;
      }
    }
    ++ran;
  }
  EXPECT_GT(ran, 20);
  RecordProperty("cases", ran);
  RecordProperty("max_error_over_scale", std::to_string(worst));
  RecordProperty("worst_case", worst_case);
  std::cout << "bf16 golden: " << ran << " cases, max |got - want| / "
            << "(|want| + rms) = " << worst << " (" << worst_case << ")\n";
}

TEST(Bf16PrecisionTest, ARowIsTheSameInEveryBatchAndThreadCount) {
  const v1::ModelSpec mlp = ParseSpec(
      "input_shape: 256 layers { name: 'ws' scaled_ws_linear { out_size: 256 } "
      "}"
      " layers { name: 'ln' layer_norm {} }"
      " layers { name: 'relu' activation { function: RELU } }"
      " layers { name: 'fc' linear { out_size: 64 } }");
  for (const v1::ModelSpec& spec : {mlp, W3Spec()}) {
    constexpr int64_t kBatch = 37;
    std::vector<float> reference;
    std::vector<float> x;
    for (int threads : {1, 2}) {
      EngineOptions options;
      options.precision = Precision::kBf16;
      options.num_threads = threads;
      options.max_rows_per_pass = 16;
      auto created = Model::Create(spec, 3, options);
      ASSERT_TRUE(created.ok()) << created.status();
      Model& model = **created;
      const int64_t in = model.input_sample_size();
      const int64_t out = model.output_sample_size();
      if (x.empty()) x = RandomValues(kBatch * in, 21);
      const std::vector<float> all = ForwardAll(model, x, kBatch);
      if (reference.empty()) reference = all;
      EXPECT_EQ(all, reference) << threads << " threads, input size " << in;
      for (int64_t row = 0; row < kBatch; row += 6) {
        const std::vector<float> one(x.begin() + row * in,
                                     x.begin() + (row + 1) * in);
        const std::vector<float> alone = ForwardAll(model, one, 1);
        EXPECT_TRUE(
            std::equal(alone.begin(), alone.end(), all.begin() + row * out))
            << "row " << row << " alone differs, " << threads
            << " threads, input size " << in;
      }
    }
  }
}

TEST(Bf16PrecisionTest, UpdatesChangeFloat32ParametersAndTheOutput) {
  const v1::ModelSpec spec =
      ParseSpec("input_shape: 32 layers { name: 'fc' linear { out_size: 8 } }");
  auto model = CreateWith(spec, Precision::kBf16);
  ASSERT_NE(model, nullptr);
  const std::vector<float> x = RandomValues(2 * 32, 31);
  const std::vector<float> before = ForwardAll(*model, x, 2);
  // A delta far below bfloat16's resolution of the weights: the float32
  // parameter keeps it exactly (no rounding of what is stored).
  std::vector<float> weight = Parameter(*model, "fc", "weight");
  ParameterUpdate add{"fc", "weight", UpdateMode::kAdd, {{32, 8}, {}}};
  add.value.data.assign(32 * 8, 1e-6f);
  ASSERT_TRUE(model->Update({add}, std::nullopt).ok());
  const std::vector<float>& after_add = Parameter(*model, "fc", "weight");
  for (size_t i = 0; i < weight.size(); ++i) {
    ASSERT_EQ(after_add[i], weight[i] + 1e-6f) << i;
  }
  // A REPLACE re-derives the bfloat16 weights: doubling W doubles x.W
  // exactly (a power of two commutes with the rounding).
  ParameterUpdate twice{"fc", "weight", UpdateMode::kReplace, {{32, 8}, {}}};
  for (float& w : weight) w *= 2.0f;
  twice.value.data = weight;
  ASSERT_TRUE(model->Update({twice}, std::nullopt).ok());
  const std::vector<float> after = ForwardAll(*model, x, 2);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i], 2.0f * before[i]) << i;  // bias is 0
  }
}

TEST(Bf16PrecisionTest, Fp32IsTheDefaultAndReportsItself) {
  const v1::ModelSpec spec =
      ParseSpec("input_shape: 4 layers { name: 'fc' linear { out_size: 2 } }");
  auto created = Model::Create(spec, 1);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ((*created)->precision(), Precision::kFp32);
  EXPECT_STREQ(PrecisionName(Precision::kFp32), "FP32");
  EXPECT_STREQ(PrecisionName(Precision::kBf16), "BF16");
  EXPECT_TRUE(CheckPrecisionSupported(Precision::kFp32).ok());
}

}  // namespace
}  // namespace brainserve::engine::testing
