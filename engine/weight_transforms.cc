#include "engine/weight_transforms.h"

#include <cmath>
#include <vector>

namespace brainserve::engine {

void WeightStandardize(const float* w, int64_t rows, int64_t cols, float eps,
                       const float* gain, float* out) {
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
  std::vector<float> scale(cols);
  std::vector<float> shift(cols);
  const float n = static_cast<float>(rows);
  for (int64_t j = 0; j < cols; ++j) {
    const float var =
        static_cast<float>(squares[j] / static_cast<double>(rows));
    const float floored = std::fmax(var * n, eps);
    float s = 1.0f / std::sqrt(floored);
    if (gain != nullptr) s = gain[j] * s;
    scale[j] = s;
    shift[j] = mean[j] * s;
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      out[i * cols + j] = w[i * cols + j] * scale[j] - shift[j];
    }
  }
}

void MultiplyInPlace(float* data, const float* factor, int64_t count) {
  for (int64_t i = 0; i < count; ++i) data[i] *= factor[i];
}

void AbsInPlace(float* data, int64_t count) {
  for (int64_t i = 0; i < count; ++i) data[i] = std::fabs(data[i]);
}

}  // namespace brainserve::engine
