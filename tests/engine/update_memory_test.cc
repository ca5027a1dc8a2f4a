// Peak memory of a bias update on a large model (issue 11): at most twice
// the bias plus the derived weights of its layer. Before copy-on-write it
// was the whole model again plus a re-derived weight (3x the weight here),
// so this test fails on that engine.
//
// Measured as the peak resident set (VmHWM, reset through
// /proc/self/clear_refs) above the resident set before the update: that
// counts oneDNN's own allocations too, and only pages really touched.
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

// A /proc/self/status field in bytes (the file gives kB), or -1.
int64_t StatusBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoll(line.substr(field.size() + 1)) * 1024;
    }
  }
  return -1;
}

// Resets VmHWM to the current resident set. False where not supported.
bool ResetPeakResident() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return clear_refs.good();
}

TEST(UpdateMemoryTest, ABiasUpdateOnA256MiBLayerCostsAboutTheBias) {
  constexpr int64_t kWidth = 8192;  // 8192 x 8192 floats: 256 MiB
  const brainserve::v1::ModelSpec spec = ParseSpec(
      "input_shape: 8192 layers { name: \"fc\" linear { out_size: 8192 } }");
  EngineOptions options;
  options.max_rows_per_pass = 1;  // one primitive; memory is the point
  std::vector<DenseTensor> values(2);
  values[0] = {{kWidth, kWidth}, std::vector<float>(kWidth * kWidth, 0.01f)};
  values[1] = {{kWidth}, std::vector<float>(kWidth, 0.0f)};
  auto model = Model::Restore(spec, std::move(values), 1, options);
  ASSERT_TRUE(model.ok()) << model.status();

  const int64_t bias_bytes = kWidth * sizeof(float);
  const int64_t derived_bytes = kWidth * kWidth * sizeof(float) + bias_bytes;
  const std::vector<ParameterUpdate> updates = {
      {"fc",
       "bias",
       UpdateMode::kReplace,
       {{kWidth}, std::vector<float>(kWidth, 0.5f)}}};
  if (!ResetPeakResident()) GTEST_SKIP() << "no /proc/self/clear_refs";
  const int64_t resident_before = StatusBytes("VmRSS");
  ASSERT_GT(resident_before, 0);
  auto updated = (*model)->Update(updates, 1u);
  ASSERT_TRUE(updated.ok()) << updated.status();
  const int64_t peak_extra = StatusBytes("VmHWM") - resident_before;

  RecordProperty("peak_extra_bytes", std::to_string(peak_extra));
  EXPECT_LE(peak_extra, 2 * (bias_bytes + derived_bytes));
  // Copy-on-write goes much further: the packed weight is shared, so only
  // the bias (and allocator slack) is new.
  EXPECT_LE(peak_extra, int64_t{8} << 20) << "peak extra " << peak_extra;
  EXPECT_EQ((*model)->snapshot()->Find("fc", "bias")->data[0], 0.5f);

  // The measurement sees what an update really allocates: a weight REPLACE
  // needs the new value and its packed copy (the old ones are still
  // published while they are built).
  const std::vector<ParameterUpdate> weight_update = {
      {"fc",
       "weight",
       UpdateMode::kReplace,
       {{kWidth, kWidth}, std::vector<float>(kWidth * kWidth, 0.02f)}}};
  ASSERT_TRUE(ResetPeakResident());
  const int64_t resident_before_weight = StatusBytes("VmRSS");
  ASSERT_TRUE((*model)->Update(weight_update, 2u).ok());
  const int64_t weight_peak_extra =
      StatusBytes("VmHWM") - resident_before_weight;
  RecordProperty("weight_update_peak_extra_bytes",
                 std::to_string(weight_peak_extra));
  EXPECT_GE(weight_peak_extra, 2 * (derived_bytes - bias_bytes));

  // What admission counts before an update (issue 12): the derived weights
  // from shapes alone. A bias change costs its packed bias; a weight change
  // at least the packed weight and bias, and the estimate plus the new
  // value covers the measured peak (4 MiB of allocator slack).
  EXPECT_EQ((*model)->DerivedWeightBytes({false, true}), bias_bytes);
  const int64_t weight_derived = (*model)->DerivedWeightBytes({true, false});
  EXPECT_GE(weight_derived, derived_bytes);
  EXPECT_LE(weight_peak_extra, kWidth * kWidth * int64_t{sizeof(float)} +
                                   weight_derived + (int64_t{4} << 20));
  EXPECT_EQ((*model)->DerivedWeightBytes({false, false}), 0);
}

}  // namespace
}  // namespace brainserve::engine::testing
