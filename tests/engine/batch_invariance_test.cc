// Batch invariance: every output row of a batch-B forward must be bitwise
// equal to the forward of that row alone, for every golden model and the
// benchmark workloads, at several batch sizes (including ones larger than a
// pass), with 1 and 2 OpenMP threads, and with LayerNorm masks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/golden_data.h"
#include "tests/engine/test_models.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

struct InvarianceResult {
  double max_abs_diff = 0;
  int64_t mismatched_elements = 0;
};

std::vector<float> RandomValues(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

// Compares each row of a `batch` forward with the row computed alone.
// `mask_layer` non-empty: a random 0/1 mask of [batch, *layer_input] is
// passed for it (row slices for the single-row forwards).
InvarianceResult CheckRows(const Model& model, int64_t batch,
                           const std::string& mask_layer,
                           const std::vector<int64_t>& mask_sample_shape,
                           std::mt19937& rng) {
  const auto snapshot = model.snapshot();
  const int64_t in = model.input_sample_size();
  const int64_t out = model.output_sample_size();
  const std::vector<float> input = RandomValues(batch * in, rng);
  MaskMap masks;
  int64_t mask_size = 0;
  if (!mask_layer.empty()) {
    DenseTensor mask;
    mask.shape = {batch};
    mask.shape.insert(mask.shape.end(), mask_sample_shape.begin(),
                      mask_sample_shape.end());
    mask_size = 1;
    for (int64_t d : mask_sample_shape) mask_size *= d;
    std::bernoulli_distribution keep(0.7);
    for (int64_t i = 0; i < batch * mask_size; ++i) {
      mask.data.push_back(keep(rng) ? 1.0f : 0.0f);
    }
    masks.emplace(mask_layer, std::move(mask));
  }
  std::vector<float> whole(batch * out);
  EXPECT_TRUE(
      model.Forward(*snapshot, input.data(), batch, masks, whole.data()).ok());
  InvarianceResult result;
  std::vector<float> alone(out);
  for (int64_t r = 0; r < batch; ++r) {
    MaskMap row_masks;
    if (!mask_layer.empty()) {
      const DenseTensor& full = masks.at(mask_layer);
      DenseTensor row;
      row.shape = full.shape;
      row.shape[0] = 1;
      row.data.assign(full.data.begin() + r * mask_size,
                      full.data.begin() + (r + 1) * mask_size);
      row_masks.emplace(mask_layer, std::move(row));
    }
    EXPECT_TRUE(model
                    .Forward(*snapshot, input.data() + r * in, 1, row_masks,
                             alone.data())
                    .ok());
    for (int64_t i = 0; i < out; ++i) {
      const float a = whole[r * out + i];
      const float b = alone[i];
      if (std::memcmp(&a, &b, sizeof(float)) != 0) {
        ++result.mismatched_elements;
        result.max_abs_diff = std::max(result.max_abs_diff,
                                       static_cast<double>(std::fabs(a - b)));
      }
    }
  }
  return result;
}

constexpr int64_t kBatchSizes[] = {1, 3, 8, 17, 64, 100};

class GoldenInvarianceTest : public ::testing::TestWithParam<int> {};

TEST_P(GoldenInvarianceTest, EveryGoldenModelIsBatchInvariant) {
  EngineOptions options;
  options.num_threads = GetParam();
  std::mt19937 rng(7);
  double max_diff = 0;
  int64_t mismatches = 0;
  int models = 0;
  for (const GoldenCase& c : LoadGoldenCases(GoldenPath())) {
    if (!c.error.empty() || !c.load_error.empty()) continue;
    std::unique_ptr<Model> model = CreateGoldenModel(c, options);
    ASSERT_NE(model, nullptr);
    ++models;
    const std::string mask_layer = c.mask.has_value() ? kGoldenMaskLayer : "";
    for (int64_t batch : kBatchSizes) {
      const InvarianceResult r =
          CheckRows(*model, batch, mask_layer, model->input_shape(), rng);
      EXPECT_EQ(r.mismatched_elements, 0)
          << c.name << " batch " << batch << ": max |diff| " << r.max_abs_diff;
      max_diff = std::max(max_diff, r.max_abs_diff);
      mismatches += r.mismatched_elements;
    }
  }
  EXPECT_EQ(models, 40);
  RecordProperty("max_abs_diff", std::to_string(max_diff));
  std::printf(
      "golden batch invariance (%d threads): %d models, max |diff| "
      "%g, %lld mismatched elements\n",
      GetParam(), models, max_diff, static_cast<long long>(mismatches));
}

TEST_P(GoldenInvarianceTest, BenchmarkWorkloadsAreBatchInvariant) {
  EngineOptions options;
  options.num_threads = GetParam();
  std::mt19937 rng(11);
  struct Workload {
    const char* name;
    brainserve::v1::ModelSpec spec;
    // LayerNorm input shape for a random mask; empty: no mask.
    std::vector<int64_t> norm_input;
  };
  const Workload workloads[] = {{"W1", W1Spec(), {64}},
                                {"W2", W2Spec(), {}},
                                {"W3", W3Spec(), {128, 64}}};
  for (const Workload& w : workloads) {
    auto model = Model::Create(w.spec, /*seed=*/3, options);
    ASSERT_TRUE(model.ok()) << w.name << ": " << model.status();
    for (int64_t batch : {1, 3, 8, 17, 64}) {
      const InvarianceResult r =
          CheckRows(**model, batch, w.norm_input.empty() ? "" : "norm",
                    w.norm_input, rng);
      EXPECT_EQ(r.mismatched_elements, 0)
          << w.name << " batch " << batch << ": max |diff| " << r.max_abs_diff;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, GoldenInvarianceTest, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "threads";
                         });

TEST(BatchInvarianceTest, AllTrueMaskEqualsNoMask) {
  // The batcher may merge masked and unmasked requests; an all-true mask must
  // then give bitwise the no-mask result.
  auto model = Model::Create(W1Spec(), 5);
  ASSERT_TRUE(model.ok());
  std::mt19937 rng(3);
  const std::vector<float> input = RandomValues(4 * 64, rng);
  std::vector<float> plain(4 * 10), masked(4 * 10);
  const auto snapshot = (*model)->snapshot();
  ASSERT_TRUE((*model)
                  ->Forward(*snapshot, input.data(), 4, MaskMap(), plain.data())
                  .ok());
  MaskMap masks;
  masks["norm"] = DenseTensor{{4, 64}, std::vector<float>(4 * 64, 1.0f)};
  ASSERT_TRUE(
      (*model)->Forward(*snapshot, input.data(), 4, masks, masked.data()).ok());
  EXPECT_EQ(0, std::memcmp(plain.data(), masked.data(),
                           sizeof(float) * plain.size()));
}

TEST(BatchInvarianceTest, SegmentsMatchEachCallAlone) {
  // The batcher runs its calls as segments of one batch, each with its own
  // masks (or none), read in place through their broadcast strides. Every
  // call's rows must be bitwise what that call computes alone.
  auto model = Model::Create(W1Spec(), 5);
  ASSERT_TRUE(model.ok());
  const int64_t in = (*model)->input_sample_size();
  const int64_t out = (*model)->output_sample_size();
  std::mt19937 rng(11);
  std::bernoulli_distribution keep(0.6);
  auto random_mask = [&](std::vector<int64_t> shape) {
    DenseTensor mask{shape, {}};
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    for (int64_t i = 0; i < count; ++i) mask.data.push_back(keep(rng) ? 1 : 0);
    return mask;
  };
  struct Call {
    int64_t rows;
    MaskMap masks;
  };
  std::vector<Call> calls;
  calls.push_back({3, {{"norm", random_mask({3, 64})}}});   // dense rows
  calls.push_back({2, {}});                                 // no mask
  calls.push_back({4, {{"norm", random_mask({64})}}});      // one row for all
  calls.push_back({1, {{"norm", random_mask({1, 1})}}});    // a scalar
  calls.push_back({70, {{"norm", random_mask({70, 1})}}});  // across passes
  int64_t batch = 0;
  for (const Call& call : calls) batch += call.rows;
  const std::vector<float> input = RandomValues(batch * in, rng);
  const auto snapshot = (*model)->snapshot();

  std::vector<CheckedMasks> checked;
  checked.reserve(calls.size());
  std::vector<ForwardSegment> segments;
  for (const Call& call : calls) {
    absl::StatusOr<CheckedMasks> masks =
        (*model)->CheckMasks(call.masks, call.rows);
    ASSERT_TRUE(masks.ok()) << masks.status();
    checked.push_back(*std::move(masks));
    segments.push_back({call.rows, &checked.back()});
  }
  std::vector<float> together(batch * out);
  ASSERT_TRUE(
      (*model)
          ->Forward(*snapshot, input.data(), batch, segments, together.data())
          .ok());
  int64_t row0 = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    std::vector<float> alone(calls[i].rows * out);
    ASSERT_TRUE((*model)
                    ->Forward(*snapshot, input.data() + row0 * in,
                              calls[i].rows, calls[i].masks, alone.data())
                    .ok());
    EXPECT_EQ(0, std::memcmp(alone.data(), together.data() + row0 * out,
                             sizeof(float) * alone.size()))
        << "call " << i;
    row0 += calls[i].rows;
  }
  // The masks change the result: without them the rows differ.
  std::vector<float> plain(batch * out);
  ASSERT_TRUE(
      (*model)
          ->Forward(*snapshot, input.data(), batch, MaskMap(), plain.data())
          .ok());
  EXPECT_NE(
      0, std::memcmp(plain.data(), together.data(), sizeof(float) * 3 * out));
}

// A model compiled for 2 threads gives the same bits whether a call runs on
// both or on one (Forward's `threads`), in both precisions, for every batch
// size: so the server may run a small batch on one thread.
TEST(ThreadInvarianceTest, OneThreadGivesTheBitsOfAllThreads) {
  struct Named {
    std::string name;
    brainserve::v1::ModelSpec spec;
  };
  std::vector<Named> models = {
      {"W1", W1Spec()}, {"W2", W2Spec()}, {"W3", W3Spec()}};
  for (const GoldenCase& c : LoadGoldenCases(GoldenPath())) {
    if (c.error.empty() && c.load_error.empty()) {
      models.push_back({c.name, c.spec});
    }
  }
  std::mt19937 rng(5);
  int64_t compared = 0;
  for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
    for (const Named& m : models) {
      EngineOptions options;
      options.num_threads = 2;
      options.precision = precision;
      auto created = Model::Create(m.spec, 3, options);
      ASSERT_TRUE(created.ok()) << m.name << ": " << created.status();
      const Model& model = **created;
      for (int64_t batch : {1, 3, 8, 17, 64, 70}) {
        const std::vector<float> x =
            Random(batch * model.input_sample_size(), rng);
        std::vector<float> y[2];
        for (int threads : {0, 1}) {
          y[threads].resize(batch * model.output_sample_size());
          const absl::Status status =
              model.Forward(*model.snapshot(), x.data(), batch, {},
                            y[threads].data(), threads);
          ASSERT_TRUE(status.ok()) << status;
        }
        EXPECT_EQ(0, std::memcmp(y[0].data(), y[1].data(),
                                 y[0].size() * sizeof(float)))
            << m.name << " " << PrecisionName(precision) << " batch " << batch;
        compared += static_cast<int64_t>(y[0].size());
      }
    }
  }
  EXPECT_GT(compared, 0);
}

TEST(ThreadInvarianceTest, OtherThreadCountsAreInvalid) {
  EngineOptions options;
  options.num_threads = 2;
  auto model = Model::Create(W1Spec(), 3, options);
  ASSERT_TRUE(model.ok());
  std::vector<float> x((*model)->input_sample_size()),
      y((*model)->output_sample_size());
  const absl::Status status =
      (*model)->Forward(*(*model)->snapshot(), x.data(), 1, {}, y.data(), 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("threads is 2"), std::string::npos) << status;
}

}  // namespace
}  // namespace brainserve::engine::testing
