// Shared state of the engine benchmarks: for one workload and one OpenMP
// thread count, an engine Model, the raw oneDNN chain with the same derived
// weights, deterministic inputs, and a one-time check that engine and raw
// chain compute the same output. Everything is built lazily and cached for
// the life of the process, outside any timed region.
//
// Thread safety: none. Google Benchmark runs the registered benchmarks one
// at a time on the main thread, which is the only caller.
#ifndef BRAINSERVE_TESTS_BENCH_ENGINE_BENCH_FIXTURE_H_
#define BRAINSERVE_TESTS_BENCH_ENGINE_BENCH_FIXTURE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/model.h"
#include "tests/bench/raw_onednn_chain.h"

namespace brainserve::bench {

class WorkloadFixture {
 public:
  // The cached fixture of (`workload`, `threads`, `precision`), created on
  // first use: Model::Create (seed 42, EngineOptions::num_threads = threads,
  // EngineOptions::precision = precision) followed by
  // RandomizeConstantParameters. The raw chain is float32 whatever the
  // precision (the reference Verify() compares with).
  static absl::StatusOr<WorkloadFixture*> Get(
      const std::string& workload, int threads,
      brainserve::engine::Precision precision =
          brainserve::engine::Precision::kFp32);

  brainserve::engine::Model& model() { return *model_; }
  int threads() const { return threads_; }

  // Deterministic input of `batch` samples.
  const std::vector<float>& Input(int64_t batch);

  // The raw chain for `batch`, built from the snapshot current at fixture
  // creation with omp_set_num_threads(threads()).
  absl::StatusOr<RawOnednnChain*> Raw(int64_t batch);

  // Runs engine and raw chain once on Input(batch) and returns the largest
  // |engine - raw|; FAILED_PRECONDITION if any element differs by more than
  // 1e-3 * (|raw| + rms(raw)) (2^-5 * (|raw| + rms(raw)) for a BF16 model,
  // the golden tests' tolerance). Cached.
  absl::StatusOr<double> Verify(int64_t batch);

 private:
  WorkloadFixture(brainserve::v1::ModelSpec spec,
                  std::unique_ptr<brainserve::engine::Model> model,
                  int threads);

  brainserve::v1::ModelSpec spec_;
  std::unique_ptr<brainserve::engine::Model> model_;
  int threads_;
  std::map<int64_t, std::vector<float>> inputs_;
  std::map<int64_t, std::unique_ptr<RawOnednnChain>> raw_;
  std::map<int64_t, absl::StatusOr<double>> verified_;
};

}  // namespace brainserve::bench

#endif  // BRAINSERVE_TESTS_BENCH_ENGINE_BENCH_FIXTURE_H_
