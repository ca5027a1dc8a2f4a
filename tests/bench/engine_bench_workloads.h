// The benchmark workloads of issue 2 (W1, W2, W3) plus single-layer models for
// the weight-standardization comparison, as ModelSpecs, and helpers that give
// every parameter a non-trivial value so the engine-versus-raw check exercises
// all of them. Stateless; thread-safe.
#ifndef BRAINSERVE_TESTS_BENCH_ENGINE_BENCH_WORKLOADS_H_
#define BRAINSERVE_TESTS_BENCH_ENGINE_BENCH_WORKLOADS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/model.h"

namespace brainserve::bench {

// A named model the benchmark runs, and the batch sizes it runs it at.
struct Workload {
  std::string name;
  std::vector<int64_t> batches;
};

// W1, W2, W3 (issue 2) and the weight-standardization trio: "plain_linear"
// (Linear 1024->1024), "ws_linear" (ScaledWSLinear 1024->1024) and
// "signed_linear" (SignedWLinear 1024->1024).
const std::vector<Workload>& AllWorkloads();

// The spec of a workload in AllWorkloads(); NOT_FOUND otherwise.
absl::StatusOr<brainserve::v1::ModelSpec> WorkloadSpec(absl::string_view name);

// Replaces every bias, WS gain and LayerNorm scale/bias (which initialize to
// constants 0 or 1) with deterministic random values in one Update(), so a
// wrong use of any of them shows up in the engine-versus-raw comparison.
absl::Status RandomizeConstantParameters(brainserve::engine::Model& model,
                                         uint64_t seed);

// `count` deterministic values uniform in [-1, 1).
std::vector<float> RandomValues(int64_t count, uint64_t seed);

}  // namespace brainserve::bench

#endif  // BRAINSERVE_TESTS_BENCH_ENGINE_BENCH_WORKLOADS_H_
