// Copy-on-write snapshots (issue 11): an update copies only the parameters
// it touches and re-derives only the weights of their layers (a bias-only
// change not even the packed weight); everything else is the same storage
// in the old and the new snapshot. The old snapshot stays readable and
// unchanged. A REPLACE passed by rvalue moves its storage into the snapshot.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/snapshot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_models.h"
#include "tests/engine/test_util.h"

namespace brainserve::engine::testing {
namespace {

using ::testing::HasSubstr;

// Every layer kind that derives weights: the three dense variants and
// LayerNorm here, the ScaledWSConv1d below.
constexpr char kDenseSpec[] = R"pb(
  input_shape: 6
  layers {
    name: "ws"
    scaled_ws_linear { out_size: 5 }
  }
  layers {
    name: "norm"
    layer_norm {}
  }
  layers {
    name: "act"
    activation { function: RELU }
  }
  layers {
    name: "signed"
    signed_w_linear { out_size: 4 }
  }
  layers {
    name: "head"
    linear { out_size: 3 }
  }
)pb";

constexpr char kConvSpec[] = R"pb(
  input_shape: [ 10, 3 ]
  layers {
    name: "conv"
    scaled_ws_conv1d {
      out_channels: 4
      kernel_size: 3
      b_init { constant { value: 0.5 } }
    }
  }
  layers {
    name: "head"
    linear { out_size: 2 }
  }
)pb";

const SnapshotImpl& Impl(const ParameterSnapshot& snapshot) {
  return dynamic_cast<const SnapshotImpl&>(snapshot);
}

int ParamIndex(const Model& model, const std::string& layer,
               const std::string& name) {
  const std::vector<ParameterInfo>& infos = model.parameter_infos();
  for (size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].layer == layer && infos[i].name == name) return i;
  }
  return -1;
}

ParameterUpdate Replace(const Model& model, const std::string& layer,
                        const std::string& name, float base) {
  const int i = ParamIndex(model, layer, name);
  ParameterUpdate update{layer, name, UpdateMode::kReplace, {}};
  update.value.shape = model.parameter_infos()[i].shape;
  update.value.data.resize(update.value.num_elements());
  for (size_t e = 0; e < update.value.data.size(); ++e) {
    update.value.data[e] = base + 0.01f * static_cast<float>(e % 17);
  }
  return update;
}

std::vector<float> ForwardWith(const Model& model,
                               const ParameterSnapshot& snapshot) {
  std::vector<float> input(model.input_sample_size());
  for (size_t i = 0; i < input.size(); ++i) input[i] = 0.3f * i - 0.7f;
  std::vector<float> output(model.output_sample_size());
  EXPECT_TRUE(
      model.Forward(snapshot, input.data(), 1, MaskMap(), output.data()).ok());
  return output;
}

bool BitwiseEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Index of the layer named `name` in the spec's layer order.
size_t LayerIndex(const brainserve::v1::ModelSpec& spec,
                  const std::string& name) {
  for (int i = 0; i < spec.layers_size(); ++i) {
    if (spec.layers(i).name() == name) return i;
  }
  return spec.layers_size();
}

// Checks the sharing between `before` and `after` when exactly the
// parameters `changed` (indices) were updated, in layer `changed_layer`.
void ExpectSharedExcept(const Model& model,
                        const brainserve::v1::ModelSpec& spec,
                        const ParameterSnapshot& before,
                        const ParameterSnapshot& after,
                        const std::vector<int>& changed,
                        const std::string& changed_layer) {
  for (size_t p = 0; p < before.values().size(); ++p) {
    const bool is_changed = std::find(changed.begin(), changed.end(),
                                      static_cast<int>(p)) != changed.end();
    if (is_changed) {
      EXPECT_NE(before.values()[p].get(), after.values()[p].get()) << p;
      EXPECT_NE(before.value(p).data.data(), after.value(p).data.data()) << p;
    } else {
      EXPECT_EQ(before.values()[p].get(), after.values()[p].get())
          << model.parameter_infos()[p].layer << "/"
          << model.parameter_infos()[p].name;
    }
  }
  const size_t changed_index = LayerIndex(spec, changed_layer);
  const auto& old_weights = Impl(before).all_layer_weights();
  const auto& new_weights = Impl(after).all_layer_weights();
  ASSERT_EQ(old_weights.size(), new_weights.size());
  for (size_t i = 0; i < old_weights.size(); ++i) {
    if (i == changed_index) {
      EXPECT_NE(old_weights[i].get(), new_weights[i].get());
    } else {
      EXPECT_EQ(old_weights[i].get(), new_weights[i].get())
          << "layer " << spec.layers(i).name();
    }
  }
}

TEST(CopyOnWriteTest, ABiasUpdateSharesEveryOtherValueAndThePackedWeight) {
  struct Case {
    const char* spec;
    std::string layer;
  };
  for (const Case& c : {Case{kDenseSpec, "ws"}, Case{kConvSpec, "conv"}}) {
    const brainserve::v1::ModelSpec spec = ParseSpec(c.spec);
    const std::string& layer = c.layer;
    auto model = Model::Create(spec, 3);
    ASSERT_TRUE(model.ok()) << model.status();
    const Model& m = **model;
    const auto before = m.snapshot();
    const std::vector<DenseTensor> before_values = CopyValues(*before);
    const std::vector<float> before_output = ForwardWith(m, *before);

    auto updated = (*model)->Update({Replace(m, layer, "bias", 0.5f)}, 1u);
    ASSERT_TRUE(updated.ok()) << updated.status();
    const auto& after = **updated;
    ExpectSharedExcept(m, spec, *before, after, {ParamIndex(m, layer, "bias")},
                       layer);

    // The changed layer's new derived weights keep the packed weight buffer
    // (every layout) and hold a new bias buffer.
    const size_t index = LayerIndex(spec, layer);
    const std::vector<const void*> old_handles =
        Impl(*before).all_layer_weights()[index]->DataHandles();
    const std::vector<const void*> new_handles =
        Impl(after).all_layer_weights()[index]->DataHandles();
    ASSERT_EQ(old_handles.size(), new_handles.size());
    ASSERT_GE(old_handles.size(), 2u);
    for (size_t h = 0; h + 1 < old_handles.size(); ++h) {
      EXPECT_EQ(old_handles[h], new_handles[h]) << "packed weight " << h;
    }
    EXPECT_NE(old_handles.back(), new_handles.back()) << "bias";

    // The old snapshot is untouched and still computes its version; the new
    // one computes exactly what a model built from its values computes.
    for (size_t p = 0; p < before_values.size(); ++p) {
      EXPECT_EQ(before->value(p).data, before_values[p].data) << p;
    }
    EXPECT_TRUE(BitwiseEqual(ForwardWith(m, *before), before_output));
    auto fresh = Model::Restore(spec, CopyValues(after), after.version());
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_TRUE(BitwiseEqual(ForwardWith(m, after),
                             ForwardWith(**fresh, *(*fresh)->snapshot())));
    EXPECT_FALSE(BitwiseEqual(ForwardWith(m, after), before_output));
  }
}

TEST(CopyOnWriteTest, AWeightUpdateReDerivesOnlyItsLayer) {
  const brainserve::v1::ModelSpec spec = ParseSpec(kDenseSpec);
  auto model = Model::Create(spec, 3);
  ASSERT_TRUE(model.ok()) << model.status();
  const Model& m = **model;
  for (const std::string layer : {"ws", "signed", "head"}) {
    const auto before = m.snapshot();
    auto updated = (*model)->Update({Replace(m, layer, "weight", -0.2f)}, {});
    ASSERT_TRUE(updated.ok()) << updated.status();
    ExpectSharedExcept(m, spec, *before, **updated,
                       {ParamIndex(m, layer, "weight")}, layer);
    const size_t index = LayerIndex(spec, layer);
    const std::vector<const void*> old_handles =
        Impl(*before).all_layer_weights()[index]->DataHandles();
    const std::vector<const void*> new_handles =
        Impl(**updated).all_layer_weights()[index]->DataHandles();
    ASSERT_FALSE(new_handles.empty());
    EXPECT_NE(old_handles[0], new_handles[0]) << layer;
    auto fresh = Model::Restore(spec, CopyValues(**updated), 9);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_TRUE(BitwiseEqual(ForwardWith(m, **updated),
                             ForwardWith(**fresh, *(*fresh)->snapshot())))
        << layer;
  }
}

TEST(CopyOnWriteTest, AGainUpdateReDerivesTheWeightAndSharesTheRest) {
  const brainserve::v1::ModelSpec spec = ParseSpec(kDenseSpec);
  auto model = Model::Create(spec, 3);
  ASSERT_TRUE(model.ok()) << model.status();
  const Model& m = **model;
  const auto before = m.snapshot();
  auto updated = (*model)->Update({Replace(m, "ws", "gain", 1.5f)}, {});
  ASSERT_TRUE(updated.ok()) << updated.status();
  ExpectSharedExcept(m, spec, *before, **updated, {ParamIndex(m, "ws", "gain")},
                     "ws");
  const size_t index = LayerIndex(spec, "ws");
  EXPECT_NE(Impl(*before).all_layer_weights()[index]->DataHandles()[0],
            Impl(**updated).all_layer_weights()[index]->DataHandles()[0]);
  auto fresh = Model::Restore(spec, CopyValues(**updated), 9);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(BitwiseEqual(ForwardWith(m, **updated),
                           ForwardWith(**fresh, *(*fresh)->snapshot())));
}

TEST(CopyOnWriteTest, ReplaceByRvalueMovesTheStorageIntoTheSnapshot) {
  auto model = Model::Create(ParseSpec(kDenseSpec), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<ParameterUpdate> updates = {
      Replace(**model, "ws", "weight", 0.1f),
      Replace(**model, "head", "bias", 0.2f)};
  const float* weight_storage = updates[0].value.data.data();
  const float* bias_storage = updates[1].value.data.data();
  const std::vector<float> weight_value = updates[0].value.data;
  auto updated = (*model)->Update(std::move(updates), 1u);
  ASSERT_TRUE(updated.ok()) << updated.status();
  const DenseTensor* weight = (*updated)->Find("ws", "weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->data.data(), weight_storage);
  EXPECT_EQ(weight->data, weight_value);
  EXPECT_EQ((*updated)->Find("head", "bias")->data.data(), bias_storage);
}

TEST(CopyOnWriteTest, ReplaceByConstReferenceCopiesOnce) {
  auto model = Model::Create(ParseSpec(kDenseSpec), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<ParameterUpdate> updates = {
      Replace(**model, "head", "bias", 0.2f)};
  auto updated = (*model)->Update(updates, 1u);
  ASSERT_TRUE(updated.ok()) << updated.status();
  const DenseTensor* bias = (*updated)->Find("head", "bias");
  EXPECT_NE(bias->data.data(), updates[0].value.data.data());
  EXPECT_EQ(bias->data, updates[0].value.data);
}

TEST(CopyOnWriteTest, ARejectedMoveLeavesTheModelUnchangedWithTheSameErrors) {
  auto model = Model::Create(ParseSpec(kDenseSpec), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto before = (*model)->snapshot();
  ParameterUpdate bad = Replace(**model, "head", "bias", 0.2f);
  bad.value.data[2] = std::numeric_limits<float>::quiet_NaN();
  const absl::Status by_copy =
      (*model)->Update(std::vector<ParameterUpdate>{bad}, {}).status();
  std::vector<ParameterUpdate> moved = {Replace(**model, "ws", "bias", 1.0f),
                                        bad};
  const absl::Status by_move = (*model)->Update(std::move(moved), {}).status();
  EXPECT_EQ(by_copy.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(by_copy.message()),
              HasSubstr("updates[0].value: element 2 is not finite"));
  EXPECT_THAT(std::string(by_move.message()),
              HasSubstr("updates[1].value: element 2 is not finite"));
  EXPECT_EQ((*model)->snapshot(), before);
}

TEST(CopyOnWriteTest, UpdatesOfOneParameterInOneCallApplyInOrder) {
  auto model = Model::Create(ParseSpec(kDenseSpec), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  ParameterUpdate replace = Replace(**model, "head", "bias", 1.0f);
  ParameterUpdate add = Replace(**model, "head", "bias", 0.5f);
  add.mode = UpdateMode::kAdd;
  std::vector<float> want(replace.value.data.size());
  for (size_t e = 0; e < want.size(); ++e) {
    want[e] = replace.value.data[e] + add.value.data[e];
  }
  auto updated = (*model)->Update({replace, add, add}, {});
  ASSERT_TRUE(updated.ok()) << updated.status();
  for (size_t e = 0; e < want.size(); ++e) want[e] += add.value.data[e];
  EXPECT_EQ((*updated)->Find("head", "bias")->data, want);
}

}  // namespace
}  // namespace brainserve::engine::testing
