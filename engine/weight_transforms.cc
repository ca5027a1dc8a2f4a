#include "engine/weight_transforms.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace brainserve::engine {
namespace {

// Below this many elements (16 MiB) a weight is standardized on the calling
// thread alone: single-threaded that takes a few ms, and a team of threads
// on the update path would only compete harder with the forwards' OpenMP
// teams for the same cores. Above it (a 1 GiB layer takes seconds) the
// column blocks are spread over the calling thread's OpenMP team.
constexpr int64_t kParallelMinElements = int64_t{1} << 22;
// Column blocks handed to threads are multiples of this (one cache line of
// floats, and whole AVX-512 vectors).
constexpr int64_t kColumnAlign = 16;

// Standardizes columns [j0, j1) of the [rows, cols] weight. Each column's
// statistics are sums over i in increasing order: vectorizing across j
// changes nothing numerically, so every clone gives the same bits.
__attribute__((target_clones("avx512f", "avx2", "default"))) void
StandardizeColumns(const float* w, int64_t rows, int64_t cols, int64_t j0,
                   int64_t j1, float eps, const float* gain,
                   const float* factor, float* out) {
  const int64_t width = j1 - j0;
  std::unique_ptr<double[]> sum(new double[width]());
  std::unique_ptr<double[]> squares(new double[width]());
  std::unique_ptr<float[]> mean(new float[width]);
  std::unique_ptr<float[]> scale(new float[width]);
  std::unique_ptr<float[]> shift(new float[width]);
  double* const sum_p = sum.get();
  double* const squares_p = squares.get();
  float* const mean_p = mean.get();
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = w + i * cols + j0;
    for (int64_t j = 0; j < width; ++j) sum_p[j] += row[j];
  }
  for (int64_t j = 0; j < width; ++j) {
    mean_p[j] = static_cast<float>(sum_p[j] / static_cast<double>(rows));
  }
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = w + i * cols + j0;
    for (int64_t j = 0; j < width; ++j) {
      const double d = static_cast<double>(row[j]) - mean_p[j];
      squares_p[j] += d * d;
    }
  }
  const float n = static_cast<float>(rows);
  for (int64_t j = 0; j < width; ++j) {
    const float var =
        static_cast<float>(squares_p[j] / static_cast<double>(rows));
    const float floored = std::fmax(var * n, eps);
    float s = 1.0f / std::sqrt(floored);
    if (gain != nullptr) s = gain[j0 + j] * s;
    scale[j] = s;
    shift[j] = mean_p[j] * s;
  }
  const float* const scale_p = scale.get();
  const float* const shift_p = shift.get();
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = w + i * cols + j0;
    float* out_row = out + i * cols + j0;
    if (factor == nullptr) {
      for (int64_t j = 0; j < width; ++j) {
        out_row[j] = row[j] * scale_p[j] - shift_p[j];
      }
    } else {
      const float* factor_row = factor + i * cols + j0;
      for (int64_t j = 0; j < width; ++j) {
        const float standardized = row[j] * scale_p[j] - shift_p[j];
        out_row[j] = standardized * factor_row[j];
      }
    }
  }
}

}  // namespace

void WeightStandardize(const float* w, int64_t rows, int64_t cols, float eps,
                       const float* gain, const float* factor, float* out) {
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const int64_t blocks =
      rows * cols < kParallelMinElements
          ? 1
          : std::min<int64_t>(threads,
                              (cols + kColumnAlign - 1) / kColumnAlign);
  if (blocks <= 1) {
    StandardizeColumns(w, rows, cols, 0, cols, eps, gain, factor, out);
    return;
  }
  // Whole kColumnAlign-wide groups per block; the last takes the remainder.
  const int64_t groups = (cols + kColumnAlign - 1) / kColumnAlign;
#pragma omp parallel for num_threads(blocks) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t j0 = std::min(cols, groups * b / blocks * kColumnAlign);
    const int64_t j1 = std::min(cols, groups * (b + 1) / blocks * kColumnAlign);
    if (j0 < j1) {
      StandardizeColumns(w, rows, cols, j0, j1, eps, gain, factor, out);
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void Multiply(
    const float* data, const float* factor, int64_t count, float* out) {
  for (int64_t i = 0; i < count; ++i) out[i] = data[i] * factor[i];
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void Abs(
    const float* data, int64_t count, float* out) {
  for (int64_t i = 0; i < count; ++i) out[i] = std::fabs(data[i]);
}

}  // namespace brainserve::engine
