// Many threads run Forward() while another thread keeps replacing every
// parameter. Each output must equal, bitwise, the output precomputed for the
// version of the snapshot it used: never a mix of two versions.
#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/golden_data.h"
#include "tests/engine/test_models.h"

namespace brainserve::engine::testing {
namespace {

constexpr int kParameterSets = 6;
constexpr int kUpdates = 80;
constexpr int kReaders = 4;
constexpr int64_t kBatch = 3;

// Parameter set k (1-based): the initial parameters of the model for seed k.
std::vector<ParameterUpdate> ParameterSet(const brainserve::v1::ModelSpec& spec,
                                          int k) {
  auto model = Model::Create(spec, /*seed=*/1000 + k);
  EXPECT_TRUE(model.ok());
  std::vector<ParameterUpdate> updates;
  const auto snapshot = (*model)->snapshot();
  for (const ParameterInfo& info : (*model)->parameter_infos()) {
    updates.push_back({info.layer, info.name, UpdateMode::kReplace,
                       *snapshot->Find(info.layer, info.name)});
  }
  return updates;
}

// Version 1 holds the seed's initial parameters; every version v >= 2 holds
// parameter set SetFor(v), cycling through the sets.
int SetFor(uint64_t version) {
  return static_cast<int>((version - 2) % kParameterSets) + 1;
}

class ConcurrencyTest : public ::testing::TestWithParam<
                            std::pair<const char*, brainserve::v1::ModelSpec>> {
};

TEST_P(ConcurrencyTest, ForwardsNeverSeeAHalfAppliedUpdate) {
  const brainserve::v1::ModelSpec& spec = GetParam().second;
  std::vector<std::vector<ParameterUpdate>> sets(kParameterSets + 1);
  for (int k = 1; k <= kParameterSets; ++k) sets[k] = ParameterSet(spec, k);

  auto model_or = Model::Create(spec, /*seed=*/0);
  ASSERT_TRUE(model_or.ok());
  Model& model = **model_or;
  ASSERT_TRUE(model.Update(sets[SetFor(2)], std::nullopt).ok());
  // Precompute each set's output on a second instance of the model.
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> input(kBatch * model.input_sample_size());
  for (float& v : input) v = normal(rng);
  const int64_t out_size = kBatch * model.output_sample_size();
  std::vector<std::vector<float>> expected(kParameterSets + 1);
  {
    auto reference = Model::Create(spec, /*seed=*/0);
    ASSERT_TRUE(reference.ok());
    for (int k = 1; k <= kParameterSets; ++k) {
      ASSERT_TRUE((*reference)->Update(sets[k], std::nullopt).ok());
      expected[k].resize(out_size);
      ASSERT_TRUE((*reference)
                      ->Forward(*(*reference)->snapshot(), input.data(), kBatch,
                                MaskMap(), expected[k].data())
                      .ok());
    }
  }
  // Sets must differ, or a mix could go unnoticed.
  for (int k = 2; k <= kParameterSets; ++k) {
    ASSERT_NE(expected[k], expected[k - 1]);
  }
  std::atomic<bool> done{false};
  std::atomic<int64_t> forwards{0};
  std::atomic<int64_t> wrong{0};
  std::atomic<uint64_t> max_seen{0};
  auto reader = [&] {
    std::vector<float> output(out_size);
    while (!done.load()) {
      const auto snapshot = model.snapshot();
      const uint64_t version = snapshot->version();
      if (!model
               .Forward(*snapshot, input.data(), kBatch, MaskMap(),
                        output.data())
               .ok()) {
        ++wrong;
        continue;
      }
      const std::vector<float>& want = expected[SetFor(version)];
      if (std::memcmp(output.data(), want.data(), sizeof(float) * out_size)) {
        ++wrong;
      }
      // The snapshot's values are those of its version, too.
      const ParameterUpdate& first = sets[SetFor(version)][0];
      if (snapshot->Find(first.layer, first.name)->data != first.value.data) {
        ++wrong;
      }
      uint64_t seen = max_seen.load();
      while (version > seen && !max_seen.compare_exchange_weak(seen, version)) {
      }
      ++forwards;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) readers.emplace_back(reader);
  for (int u = 0; u < kUpdates; ++u) {
    const uint64_t current = model.snapshot()->version();
    auto updated = model.Update(sets[SetFor(current + 1)], current);
    ASSERT_TRUE(updated.ok()) << updated.status();
    ASSERT_EQ((*updated)->version(), current + 1);
    // Let the readers run a little between updates.
    const int64_t target = forwards.load() + kReaders;
    while (forwards.load() < target) std::this_thread::yield();
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(model.snapshot()->version(), 2u + kUpdates);
  EXPECT_GT(max_seen.load(), 2u + kUpdates / 2);
  EXPECT_GE(forwards.load(), kUpdates * kReaders);
}

TEST_P(ConcurrencyTest, AnOldSnapshotKeepsComputingItsVersion) {
  const brainserve::v1::ModelSpec& spec = GetParam().second;
  auto model = Model::Create(spec, 1);
  ASSERT_TRUE(model.ok());
  const auto old_snapshot = (*model)->snapshot();
  std::vector<float> input((*model)->input_sample_size(), 0.25f);
  std::vector<float> before((*model)->output_sample_size());
  std::vector<float> after(before.size());
  ASSERT_TRUE(
      (*model)
          ->Forward(*old_snapshot, input.data(), 1, MaskMap(), before.data())
          .ok());
  ASSERT_TRUE((*model)->Update(ParameterSet(spec, 2), 1u).ok());
  ASSERT_TRUE(
      (*model)
          ->Forward(*old_snapshot, input.data(), 1, MaskMap(), after.data())
          .ok());
  EXPECT_EQ(before, after);
  ASSERT_TRUE((*model)
                  ->Forward(*(*model)->snapshot(), input.data(), 1, MaskMap(),
                            after.data())
                  .ok());
  EXPECT_NE(before, after);
  // The snapshot outlives its model.
  model->reset();
  EXPECT_EQ(old_snapshot->version(), 1u);
  EXPECT_FALSE(old_snapshot->values().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Models, ConcurrencyTest,
    ::testing::Values(
        std::make_pair("W1", W1Spec()),
        std::make_pair("Conv", ParseSpec(R"pb(
                         input_shape: [ 12, 4 ]
                         layers {
                           name: "conv1"
                           scaled_ws_conv1d { out_channels: 8 kernel_size: 3 }
                         }
                         layers {
                           name: "norm"
                           layer_norm {}
                         }
                         layers {
                           name: "conv2"
                           scaled_ws_conv1d {
                             out_channels: 8
                             kernel_size: 3
                             stride: 2
                             groups: 2
                             b_init { constant { value: 0.5 } }
                           }
                         }
                         layers {
                           name: "act"
                           activation { function: GELU }
                         }
                         layers {
                           name: "head"
                           linear { out_size: 3 }
                         }
                       )pb"))),
    [](const auto& info) { return std::string(info.param.first); });

}  // namespace
}  // namespace brainserve::engine::testing
