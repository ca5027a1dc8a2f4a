#include "tests/bench/engine_bench_workloads.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"

namespace brainserve::bench {
namespace {

using brainserve::engine::DenseTensor;
using brainserve::engine::ParameterUpdate;
using brainserve::engine::UpdateMode;

// W1: the tiny MLP whose time is mostly per-call overhead.
constexpr char kW1[] = R"pb(
  input_shape: 64
  layers {
    name: "fc1"
    linear { out_size: 64 }
  }
  layers {
    name: "ln"
    layer_norm {}
  }
  layers {
    name: "relu"
    activation { function: RELU }
  }
  layers {
    name: "fc2"
    linear { out_size: 10 }
  }
)pb";

// W2: 1024-wide MLP dominated by three matmuls (~4 MiB weights each).
constexpr char kW2[] = R"pb(
  input_shape: 1024
  layers {
    name: "ws1"
    scaled_ws_linear { out_size: 1024 }
  }
  layers {
    name: "ln"
    layer_norm {}
  }
  layers {
    name: "relu"
    activation { function: RELU }
  }
  layers {
    name: "signed"
    signed_w_linear { out_size: 1024 }
  }
  layers {
    name: "fc"
    linear { out_size: 256 }
  }
)pb";

// W3: channels-last conv stack; SAME padding (2, 2) then (0, 1) for stride 2.
constexpr char kW3[] = R"pb(
  input_shape: [ 128, 64 ]
  layers {
    name: "conv1"
    scaled_ws_conv1d { out_channels: 64 kernel_size: 5 }
  }
  layers {
    name: "ln"
    layer_norm {}
  }
  layers {
    name: "relu"
    activation { function: RELU }
  }
  layers {
    name: "conv2"
    scaled_ws_conv1d { out_channels: 64 kernel_size: 3 stride: 2 }
  }
  layers {
    name: "fc"
    linear { out_size: 16 }
  }
)pb";

constexpr char kPlainLinear[] = R"pb(
  input_shape: 1024
  layers {
    name: "fc"
    linear { out_size: 1024 }
  }
)pb";

constexpr char kWsLinear[] = R"pb(
  input_shape: 1024
  layers {
    name: "fc"
    scaled_ws_linear { out_size: 1024 }
  }
)pb";

constexpr char kSignedLinear[] = R"pb(
  input_shape: 1024
  layers {
    name: "fc"
    signed_w_linear { out_size: 1024 }
  }
)pb";

const char* SpecText(absl::string_view name) {
  if (name == "W1") return kW1;
  if (name == "W2") return kW2;
  if (name == "W3") return kW3;
  if (name == "plain_linear") return kPlainLinear;
  if (name == "ws_linear") return kWsLinear;
  if (name == "signed_linear") return kSignedLinear;
  return nullptr;
}

}  // namespace

const std::vector<Workload>& AllWorkloads() {
  static const auto* workloads = new std::vector<Workload>{
      {"W1", {1}},
      {"W2", {1, 8, 64}},
      {"W3", {1, 8}},
      {"plain_linear", {1, 64}},
      {"ws_linear", {1, 64}},
      {"signed_linear", {1, 64}},
  };
  return *workloads;
}

absl::StatusOr<brainserve::v1::ModelSpec> WorkloadSpec(absl::string_view name) {
  const char* text = SpecText(name);
  if (text == nullptr) {
    return absl::NotFoundError(absl::StrCat("no workload '", name, "'"));
  }
  brainserve::v1::ModelSpec spec;
  if (!google::protobuf::TextFormat::ParseFromString(text, &spec)) {
    return absl::InternalError(absl::StrCat("workload '", name, "' spec"));
  }
  return spec;
}

absl::Status RandomizeConstantParameters(brainserve::engine::Model& model,
                                         uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> offset(-0.2f, 0.2f);
  std::uniform_real_distribution<float> factor(0.5f, 1.5f);
  std::vector<ParameterUpdate> updates;
  for (const auto& info : model.parameter_infos()) {
    const bool is_offset = info.name == "bias";
    const bool is_factor = info.name == "gain" || info.name == "scale";
    if (!is_offset && !is_factor) continue;
    ParameterUpdate update;
    update.layer = info.layer;
    update.name = info.name;
    update.mode = UpdateMode::kReplace;
    update.value.shape = info.shape;
    update.value.data.resize(update.value.num_elements());
    for (float& v : update.value.data)
      v = is_offset ? offset(rng) : factor(rng);
    updates.push_back(std::move(update));
  }
  if (updates.empty()) return absl::OkStatus();
  return model.Update(updates, std::nullopt).status();
}

std::vector<float> RandomValues(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

}  // namespace brainserve::bench
