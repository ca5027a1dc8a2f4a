// The small, fixed models and limits the request-path fuzz targets run
// against, and the invariant check they share.
//
// Models are built once per process (Model::Create with one OpenMP thread)
// and never updated, so a target's verdict on an input depends on that input
// only and a crash reproduces from the saved input alone.
#ifndef BRAINSERVE_TESTS_FUZZ_FUZZ_MODELS_H_
#define BRAINSERVE_TESTS_FUZZ_FUZZ_MODELS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/model.h"
#include "server/admission/admission.h"

namespace brainserve::fuzz {

// Engine options of every fuzzed model: one thread, and a parameter cap
// small enough that no fuzzed spec can allocate much.
engine::EngineOptions FuzzEngineOptions();

// Admission limits far below the server's defaults (a few MiB), so an
// admitted request is cheap to run and the fuzzer never nears its RSS limit.
server::admission::AdmissionLimits FuzzAdmissionLimits();

// The spec of a fixed model by name, nullptr for an unknown name:
//   "mlp":  [4] -> linear(5), relu, layer_norm "norm", scaled_ws_linear(3),
//           gelu, signed_w_linear(2)
//   "conv": [6, 2] -> scaled_ws_conv1d(3, k=3) "conv", layer_norm "norm"
//           over both axes, tanh
const v1::ModelSpec* FixedSpec(absl::string_view name);

// The fixed model named `name` (built on first use), nullptr if unknown.
const engine::Model* FixedModel(absl::string_view name);

// Layer names as the server derives them (ServedModel::layer_names()).
std::vector<std::string> LayerNamesOf(const v1::ModelSpec& spec);

// Aborts with `what` and `status` unless `ok`: a broken invariant, which
// the fuzzer reports as a crash.
void Require(bool ok, absl::string_view what,
             const absl::Status& status = absl::OkStatus());

// True if the floats are bitwise equal, treating any two NaNs as equal.
bool SameFloats(const float* a, const float* b, size_t n);

}  // namespace brainserve::fuzz

#endif  // BRAINSERVE_TESTS_FUZZ_FUZZ_MODELS_H_
