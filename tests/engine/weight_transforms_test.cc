// The vectorized WeightStandardize (and its column-parallel split) against
// the scalar implementation it replaced, bitwise; and the single-pass
// finite-checked copies of checked_copy.h.
#include "engine/weight_transforms.h"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/checked_copy.h"
#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

// The engine's WeightStandardize before issue 11 (plain loops, double
// accumulators), then the mask multiply as a separate pass: the reference
// the vectorized version must reproduce bit for bit.
std::vector<float> ScalarStandardize(const std::vector<float>& w, int64_t rows,
                                     int64_t cols, float eps, const float* gain,
                                     const float* factor) {
  std::vector<double> sum(cols, 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) sum[j] += w[i * cols + j];
  }
  std::vector<float> mean(cols);
  for (int64_t j = 0; j < cols; ++j) {
    mean[j] = static_cast<float>(sum[j] / static_cast<double>(rows));
  }
  std::vector<double> squares(cols, 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const double d = static_cast<double>(w[i * cols + j]) - mean[j];
      squares[j] += d * d;
    }
  }
  std::vector<float> out(w.size());
  const float n = static_cast<float>(rows);
  for (int64_t j = 0; j < cols; ++j) {
    const float var =
        static_cast<float>(squares[j] / static_cast<double>(rows));
    float s = 1.0f / std::sqrt(std::fmax(var * n, eps));
    if (gain != nullptr) s = gain[j] * s;
    const float shift = mean[j] * s;
    for (int64_t i = 0; i < rows; ++i) {
      out[i * cols + j] = w[i * cols + j] * s - shift;
    }
  }
  if (factor != nullptr) {
    for (size_t e = 0; e < out.size(); ++e) out[e] *= factor[e];
  }
  return out;
}

void ExpectBitwiseEqual(const std::vector<float>& got,
                        const std::vector<float>& want, int64_t rows,
                        int64_t cols) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t e = 0; e < got.size(); ++e) {
    uint32_t a, b;
    std::memcpy(&a, &got[e], 4);
    std::memcpy(&b, &want[e], 4);
    ASSERT_EQ(a, b) << "element " << e << " of [" << rows << ", " << cols
                    << "]: " << got[e] << " vs " << want[e];
  }
}

TEST(WeightStandardizeTest, BitwiseEqualToTheScalarVersion) {
  std::mt19937 rng(5);
  const int64_t sizes[][2] = {{1, 1},    {3, 2},   {7, 15},   {5, 16},
                              {9, 17},   {64, 33}, {200, 70}, {25, 129},
                              {320, 64}, {1, 1000}};
  for (const auto& size : sizes) {
    const int64_t rows = size[0], cols = size[1];
    const std::vector<float> w = Random(rows * cols, rng, -3, 5);
    const std::vector<float> gain = Random(cols, rng, 0.5f, 2);
    std::vector<float> factor = Random(rows * cols, rng, 0, 1);
    for (float& f : factor) f = f < 0.3f ? 0.0f : f;
    for (const float* g : {static_cast<const float*>(nullptr), gain.data()}) {
      for (const float* f : {static_cast<const float*>(nullptr),
                             static_cast<const float*>(factor.data())}) {
        for (float eps : {1e-4f, 10.0f}) {
          std::vector<float> out(w.size());
          WeightStandardize(w.data(), rows, cols, eps, g, f, out.data());
          ExpectBitwiseEqual(out, ScalarStandardize(w, rows, cols, eps, g, f),
                             rows, cols);
          std::vector<float> in_place = w;  // out aliasing w
          WeightStandardize(in_place.data(), rows, cols, eps, g, f,
                            in_place.data());
          ExpectBitwiseEqual(in_place, out, rows, cols);
        }
      }
    }
  }
}

TEST(WeightStandardizeTest, ColumnParallelSplitIsBitwiseEqual) {
  // Over the parallel threshold (2^22 elements), odd column count.
  std::mt19937 rng(6);
  const int64_t rows = 2050, cols = 2053;
  const std::vector<float> w = Random(rows * cols, rng, -1, 1);
  const std::vector<float> gain = Random(cols, rng, 0.5f, 2);
  const std::vector<float> want =
      ScalarStandardize(w, rows, cols, 1e-4f, gain.data(), nullptr);
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> out(w.size());
    WeightStandardize(w.data(), rows, cols, 1e-4f, gain.data(), nullptr,
                      out.data());
    ExpectBitwiseEqual(out, want, rows, cols);
  }
  omp_set_num_threads(1);
}

TEST(CheckedCopyTest, FindsEveryNonFiniteElementAtAnyPosition) {
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  for (int64_t count : {1, 7, 16, 33, 100}) {
    std::vector<float> data(count, 1.5f);
    std::vector<float> copy(count);
    EXPECT_TRUE(AllFinite(data.data(), count));
    EXPECT_TRUE(CopyIfFinite(data.data(), count, copy.data()));
    EXPECT_EQ(copy, data);
    for (int64_t at = 0; at < count; ++at) {
      for (float bad : bad_values) {
        std::vector<float> with_bad = data;
        with_bad[at] = bad;
        EXPECT_FALSE(AllFinite(with_bad.data(), count)) << count << "@" << at;
        EXPECT_FALSE(CopyIfFinite(with_bad.data(), count, copy.data()));
        EXPECT_FALSE(
            AddIfFinite(data.data(), with_bad.data(), count, copy.data()));
      }
    }
    // Largest finite values and denormals are finite.
    data[0] = std::numeric_limits<float>::max();
    data[count - 1] = std::numeric_limits<float>::denorm_min();
    EXPECT_TRUE(AllFinite(data.data(), count));
  }
}

TEST(CheckedCopyTest, AddDetectsOverflowAndAddsInFloat) {
  std::vector<float> a = {1.0f, 3e38f, -2.5f};
  std::vector<float> b = {0.25f, 1e37f, 0.5f};
  std::vector<float> sum(3);
  EXPECT_TRUE(AddIfFinite(a.data(), b.data(), 3, sum.data()));
  EXPECT_EQ(sum, (std::vector<float>{1.25f, 3e38f + 1e37f, -2.0f}));
  b[1] = 3e38f;
  EXPECT_FALSE(AddIfFinite(a.data(), b.data(), 3, sum.data()));
  // In place.
  b[1] = 0.0f;
  EXPECT_TRUE(AddIfFinite(a.data(), b.data(), 3, a.data()));
  EXPECT_EQ(a, (std::vector<float>{1.25f, 3e38f, -2.0f}));
}

}  // namespace
}  // namespace brainserve::engine::testing
