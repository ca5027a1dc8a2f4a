// Runs every case of tests/data/layers.json through the engine: single
// layers, small sequential models and the specs that must be rejected.
// Each element must satisfy |got - want| <= 1e-5 + 1e-4 * |want|.
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/engine/golden_data.h"

namespace brainserve::engine::testing {
namespace {

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesReference) {
  const GoldenCase& c = GetParam();
  ASSERT_TRUE(c.load_error.empty()) << c.name << ": " << c.load_error;
  if (!c.error.empty()) {
    auto model = Model::Create(c.spec, 0);
    ASSERT_FALSE(model.ok()) << c.name << ": the spec must be rejected";
    EXPECT_EQ(absl::StatusCodeToString(model.status().code()), c.error)
        << c.name << ": " << model.status();
    EXPECT_NE(model.status().message().find("layers[0]"), std::string::npos)
        << c.name << ": the message must name the layer: " << model.status();
    return;
  }
  std::unique_ptr<Model> model = CreateGoldenModel(c);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->output_shape(), c.output_sample_shape) << c.name;
  ASSERT_GE(c.input.shape.size(), 1u);
  const int64_t batch = c.input.shape[0];
  ASSERT_EQ(static_cast<int64_t>(c.input.data.size()),
            batch * model->input_sample_size())
      << c.name;
  ASSERT_EQ(static_cast<int64_t>(c.output.data.size()),
            batch * model->output_sample_size())
      << c.name;
  MaskMap masks;
  if (c.mask.has_value()) masks.emplace(kGoldenMaskLayer, *c.mask);
  ASSERT_TRUE(masks.empty() || model->CheckMasks(masks, batch).ok()) << c.name;
  std::vector<float> got(c.output.data.size());
  const auto snapshot = model->snapshot();
  ASSERT_EQ(snapshot->version(), 2u);
  ASSERT_TRUE(
      model->Forward(*snapshot, c.input.data.data(), batch, masks, got.data())
          .ok())
      << c.name;
  int failures = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const float want = c.output.data[i];
    const float tolerance = 1e-5f + 1e-4f * std::fabs(want);
    if (!(std::fabs(got[i] - want) <= tolerance)) {
      if (++failures <= 10) {
        ADD_FAILURE() << "case " << c.name << ", element " << i << ": got "
                      << got[i] << ", want " << want << " (|diff| "
                      << std::fabs(got[i] - want) << " > " << tolerance << ")";
      }
    }
  }
  EXPECT_EQ(failures, 0) << "case " << c.name << ": " << failures
                         << " elements out of tolerance";
}

std::string CaseName(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string name = info.param.name.empty()
                         ? "case" + std::to_string(info.index)
                         : info.param.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(LayersJson, GoldenTest,
                         ::testing::ValuesIn(LoadGoldenCases(GoldenPath())),
                         CaseName);

TEST(GoldenFileTest, HasEveryKindOfCase) {
  const std::vector<GoldenCase> cases = LoadGoldenCases(GoldenPath());
  int errors = 0;
  int models = 0;
  for (const GoldenCase& c : cases) {
    ASSERT_TRUE(c.load_error.empty()) << c.name << ": " << c.load_error;
    if (!c.error.empty()) ++errors;
    if (c.spec.layers_size() > 1) ++models;
  }
  EXPECT_GE(cases.size(), 48u);
  EXPECT_GE(errors, 8);
  EXPECT_GE(models, 2);
}

}  // namespace
}  // namespace brainserve::engine::testing
