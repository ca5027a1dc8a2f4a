#include "tests/bench/engine_bench_fixture.h"

#include <omp.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/bench/engine_bench_workloads.h"
#include "tests/bench/raw_onednn_from_spec.h"

namespace brainserve::bench {
namespace {

constexpr uint64_t kModelSeed = 42;
constexpr uint64_t kParameterSeed = 7;
constexpr uint64_t kInputSeed = 1000;
constexpr double kRelativeTolerance = 1e-3;
constexpr double kBf16RelativeTolerance = 1.0 / 32;

}  // namespace

WorkloadFixture::WorkloadFixture(
    brainserve::v1::ModelSpec spec,
    std::unique_ptr<brainserve::engine::Model> model, int threads)
    : spec_(std::move(spec)), model_(std::move(model)), threads_(threads) {}

absl::StatusOr<WorkloadFixture*> WorkloadFixture::Get(
    const std::string& workload, int threads,
    brainserve::engine::Precision precision) {
  static auto* cache =
      new std::map<std::string, std::unique_ptr<WorkloadFixture>>();
  const std::string key =
      absl::StrCat(workload, "/threads:", threads, "/",
                   brainserve::engine::PrecisionName(precision));
  auto it = cache->find(key);
  if (it != cache->end()) return it->second.get();

  auto spec = WorkloadSpec(workload);
  if (!spec.ok()) return spec.status();
  brainserve::engine::EngineOptions options;
  options.num_threads = threads;
  options.precision = precision;
  auto model = brainserve::engine::Model::Create(*spec, kModelSeed, options);
  if (!model.ok()) return model.status();
  absl::Status randomized =
      RandomizeConstantParameters(**model, kParameterSeed);
  if (!randomized.ok()) return randomized;
  auto* fixture =
      new WorkloadFixture(*std::move(spec), *std::move(model), threads);
  (*cache)[key].reset(fixture);
  return fixture;
}

const std::vector<float>& WorkloadFixture::Input(int64_t batch) {
  auto& input = inputs_[batch];
  if (input.empty()) {
    input =
        RandomValues(batch * model_->input_sample_size(), kInputSeed + batch);
  }
  return input;
}

absl::StatusOr<RawOnednnChain*> WorkloadFixture::Raw(int64_t batch) {
  auto it = raw_.find(batch);
  if (it != raw_.end()) return it->second.get();
  auto steps = RawStepsFromSpec(spec_, *model_->snapshot());
  if (!steps.ok()) return steps.status();
  // oneDNN sizes its parallel decomposition at primitive creation.
  omp_set_num_threads(threads_);
  std::vector<int64_t> input_shape(model_->input_shape());
  auto chain = RawOnednnChain::Create(*steps, input_shape, batch);
  if (!chain.ok()) return chain.status();
  if ((*chain)->output_size() != batch * model_->output_sample_size()) {
    return absl::InternalError("raw chain and engine output sizes differ");
  }
  RawOnednnChain* raw = chain->get();
  raw_[batch] = *std::move(chain);
  return raw;
}

absl::StatusOr<double> WorkloadFixture::Verify(int64_t batch) {
  auto it = verified_.find(batch);
  if (it != verified_.end()) return it->second;
  auto compute = [&]() -> absl::StatusOr<double> {
    auto raw = Raw(batch);
    if (!raw.ok()) return raw.status();
    const std::vector<float>& input = Input(batch);
    const int64_t size = batch * model_->output_sample_size();
    std::vector<float> want(size), got(size);
    absl::Status status = (*raw)->Run(input.data(), want.data());
    if (!status.ok()) return status;
    status = model_->Forward(*model_->snapshot(), input.data(), batch,
                             brainserve::engine::MaskMap(), got.data());
    if (!status.ok()) return status;
    double sum_squares = 0;
    for (float w : want) sum_squares += static_cast<double>(w) * w;
    const double rms = std::sqrt(sum_squares / size);
    const double tolerance =
        model_->precision() == brainserve::engine::Precision::kBf16
            ? kBf16RelativeTolerance
            : kRelativeTolerance;
    double max_diff = 0;
    for (int64_t i = 0; i < size; ++i) {
      const double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
      max_diff = std::max(max_diff, diff);
      if (!(diff <= tolerance * (std::fabs(want[i]) + rms))) {
        return absl::FailedPreconditionError(absl::StrCat(
            "engine and raw chain differ at element ", i, ": engine ", got[i],
            " raw ", want[i], " (batch ", batch, ")"));
      }
    }
    return max_diff;
  };
  auto result = compute();
  verified_.emplace(batch, result);
  return result;
}

}  // namespace brainserve::bench
