// Cost of brainserve's metrics on the request path, in ns per call.
//
// The baseline is the null reporter (metrics off: virtual calls only), run in
// the same binary, so "metrics on" minus "metrics off" is the overhead a
// request pays. BM_ForwardPath* do everything the server records for one
// Forward call that runs as a batch of one (the worst case: the per-batch
// records are not shared with other requests).
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "benchmark/benchmark.h"
#include "server/metrics/prometheus_reporter.h"
#include "server/metrics/reporter.h"

namespace brainserve::metrics {
namespace {

std::unique_ptr<Reporter> NewReporter(bool enabled) {
  if (!enabled) return NewNullReporter();
  PrometheusReporterOptions options;
  options.listen_address = "";  // The exposer is off the request path.
  return *PrometheusReporter::Create(options);
}

// Shared across the threads of one benchmark run.
Reporter* shared_reporter = nullptr;
std::shared_ptr<ModelReporter>* shared_model = nullptr;

void SetUp(const benchmark::State& state) {
  shared_reporter = NewReporter(state.range(0) != 0).release();
  shared_model =
      new std::shared_ptr<ModelReporter>(shared_reporter->AddModel("mlp"));
}

void TearDown(const benchmark::State&) {
  delete shared_model;
  delete shared_reporter;
}

void BM_RecordRequest(benchmark::State& state) {
  ModelReporter& model = **shared_model;
  for (auto _ : state) {
    model.RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.00123);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_UnattributedRecordRequest(benchmark::State& state) {
  for (auto _ : state) {
    shared_reporter->RecordRequest(Method::kGetModel,
                                   absl::StatusCode::kNotFound, 0.00005);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ForwardPath(benchmark::State& state) {
  Reporter& reporter = *shared_reporter;
  ModelReporter& model = **shared_model;
  int64_t i = 0;
  for (auto _ : state) {
    reporter.IncInflight();
    model.SetQueueDepth(i & 7);         // Enqueue.
    model.RecordQueueSeconds(0.00021);  // Batch starts.
    model.RecordBatchRows(1 + (i & 15));
    model.RecordComputeSeconds(0.0009);
    model.SetQueueDepth(0);
    model.RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.00123);
    reporter.DecInflight();
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

// Arg 0 = metrics off (null reporter), 1 = PrometheusReporter.
BENCHMARK(BM_RecordRequest)
    ->ArgName("enabled")
    ->Arg(0)
    ->Arg(1)
    ->Setup(SetUp)
    ->Teardown(TearDown)
    ->Threads(1)
    ->Threads(2);
BENCHMARK(BM_UnattributedRecordRequest)
    ->ArgName("enabled")
    ->Arg(0)
    ->Arg(1)
    ->Setup(SetUp)
    ->Teardown(TearDown)
    ->Threads(1)
    ->Threads(2);
BENCHMARK(BM_ForwardPath)
    ->ArgName("enabled")
    ->Arg(0)
    ->Arg(1)
    ->Setup(SetUp)
    ->Teardown(TearDown)
    ->Threads(1)
    ->Threads(2);

// A scrape of 16 models with traffic on every method (off the request path).
void BM_Scrape(benchmark::State& state) {
  PrometheusReporterOptions options;
  options.listen_address = "";
  auto reporter = *PrometheusReporter::Create(options);
  std::vector<std::shared_ptr<ModelReporter>> models;
  for (int m = 0; m < 16; ++m) {
    models.push_back(reporter->AddModel("model_" + std::to_string(m)));
    for (int method = 0; method < kNumMethods; ++method) {
      models.back()->RecordRequest(static_cast<Method>(method),
                                   absl::StatusCode::kOk, 0.001);
    }
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = reporter->Scrape();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Scrape)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace brainserve::metrics

BENCHMARK_MAIN();
