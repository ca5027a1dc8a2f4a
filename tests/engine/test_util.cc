#include "tests/engine/test_util.h"

#include <cmath>

#include "gtest/gtest.h"

namespace brainserve::engine::testing {

std::vector<float> Random(int64_t n, std::mt19937& rng, float lo, float hi) {
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
                              int64_t batch, const MaskMap& masks) {
  std::vector<float> y(batch * model.output_sample_size());
  const absl::Status status =
      model.Forward(*model.snapshot(), x.data(), batch, masks, y.data());
  EXPECT_TRUE(status.ok()) << status;
  return y;
}

}  // namespace brainserve::engine::testing
