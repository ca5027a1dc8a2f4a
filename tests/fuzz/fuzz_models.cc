#include "tests/fuzz/fuzz_models.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"

namespace brainserve::fuzz {
namespace {

// protobuf logs every string field with invalid UTF-8 it parses; the fuzzer
// makes millions of them. Discard protobuf's log output.
const bool kQuietProtobuf = [] {
  google::protobuf::SetLogHandler(nullptr);
  return true;
}();

constexpr char kMlpSpec[] = R"pb(
  input_shape: 4
  layers { name: "fc1" linear { out_size: 5 } }
  layers { name: "act" activation { function: RELU } }
  layers { name: "norm" layer_norm {} }
  layers { name: "ws" scaled_ws_linear { out_size: 3 } }
  layers { activation { function: GELU } }
  layers { name: "head" signed_w_linear { out_size: 2 } }
)pb";

constexpr char kConvSpec[] = R"pb(
  input_shape: [ 6, 2 ]
  layers {
    name: "conv"
    scaled_ws_conv1d { out_channels: 3 kernel_size: 3 b_init { constant { value: 0.5 } } }
  }
  layers { name: "norm" layer_norm { reduction_axes: [ -2, -1 ] } }
  layers { name: "act" activation { function: TANH } }
)pb";

struct Fixed {
  v1::ModelSpec spec;
  std::unique_ptr<engine::Model> model;
};

Fixed* Build(const char* text) {
  auto* fixed = new Fixed;
  Require(google::protobuf::TextFormat::ParseFromString(text, &fixed->spec),
          "fixed model spec parses");
  absl::StatusOr<std::unique_ptr<engine::Model>> model =
      engine::Model::Create(fixed->spec, /*seed=*/42, FuzzEngineOptions());
  Require(model.ok(), "fixed model builds", model.status());
  fixed->model = *std::move(model);
  return fixed;
}

const Fixed* Find(absl::string_view name) {
  static Fixed* const mlp = Build(kMlpSpec);
  static Fixed* const conv = Build(kConvSpec);
  if (name == "mlp") return mlp;
  if (name == "conv") return conv;
  return nullptr;
}

}  // namespace

engine::EngineOptions FuzzEngineOptions() {
  engine::EngineOptions options;
  options.num_threads = 1;
  options.max_rows_per_pass = 8;
  options.max_parameter_bytes = int64_t{256} << 10;
  return options;
}

server::admission::AdmissionLimits FuzzAdmissionLimits() {
  server::admission::AdmissionLimits limits;
  limits.max_request_memory_bytes = int64_t{4} << 20;
  limits.max_response_bytes = int64_t{1} << 20;
  limits.max_layers = 16;
  return limits;
}

const v1::ModelSpec* FixedSpec(absl::string_view name) {
  const Fixed* fixed = Find(name);
  return fixed == nullptr ? nullptr : &fixed->spec;
}

const engine::Model* FixedModel(absl::string_view name) {
  const Fixed* fixed = Find(name);
  return fixed == nullptr ? nullptr : fixed->model.get();
}

std::vector<std::string> LayerNamesOf(const v1::ModelSpec& spec) {
  std::vector<std::string> names;
  for (int i = 0; i < spec.layers_size(); ++i) {
    const std::string& name = spec.layers(i).name();
    names.push_back(name.empty() ? absl::StrCat(i) : name);
  }
  return names;
}

void Require(bool ok, absl::string_view what, const absl::Status& status) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s (%s)\n",
               static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::abort();
}

bool SameFloats(const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return false;
  }
  return true;
}

}  // namespace brainserve::fuzz
