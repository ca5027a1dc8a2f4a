// brainserve-engine-bench: the engine against a hand-built raw oneDNN chain
// on the same workloads with the same weights, in the same process.
//
// Benchmark names (parsed by run_engine_bench.sh):
//   engine/<workload>/batch:<B>/threads:<T>   Model::Forward (snapshot load
//                                             included, as a server does)
//   engine_bf16/<workload>/batch:<B>/threads:<T>  the same, precision BF16
//                                             (skipped on a CPU without it)
//   peak/fp32_fma/threads:<T>                 the CPU's float32 FMA peak:
//                                             independent FMA chains, no
//                                             memory (its flops counter)
//   raw/<workload>/batch:<B>/threads:<T>      RawOnednnChain::Run
//   update/W2/<layer>.<param>:<mode>/threads:<T>  Model::Update (a new
//                                             snapshot with derived weights;
//                                             mode replace_move: by rvalue)
//   update_raw/W2/ws1.weight/threads:<T>      standardize + reorder, by hand
//   update_raw/W2/ws1.weight:vectorized/...   the same with the engine's
//                                             vectorized WeightStandardize
// Workloads: W1, W2, W3 (issue 2) and plain_linear / ws_linear /
// signed_linear (the weight-standardization comparison).
//
// Extra flags (before the Google Benchmark flags): --bench_threads=1,2 lists
// the OpenMP thread counts to register (default 1,2); --bench_iterations=N
// fixes every benchmark's iteration count (for callgrind; default: automatic).
#include <immintrin.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "engine/dnnl_util.h"
#include "engine/weight_transforms.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "tests/bench/engine_bench_fixture.h"
#include "tests/bench/engine_bench_workloads.h"
#include "tests/bench/raw_onednn_from_spec.h"

namespace brainserve::bench {
namespace {

using brainserve::engine::MaskMap;
using brainserve::engine::ParameterUpdate;
using brainserve::engine::Precision;
using brainserve::engine::UpdateMode;

constexpr int64_t kW2Width = 1024;
constexpr uint64_t kUpdateSeed = 99;
constexpr uint64_t kUpdateModelSeed = 42;

// The fixture for the state's workload, verified for `batch`; nullptr (and
// the benchmark marked as failed) on any error.
WorkloadFixture* VerifiedFixture(benchmark::State& state,
                                 const std::string& workload, int64_t batch,
                                 int threads,
                                 Precision precision = Precision::kFp32) {
  auto fixture = WorkloadFixture::Get(workload, threads, precision);
  if (!fixture.ok()) {
    state.SkipWithError(fixture.status().ToString().c_str());
    return nullptr;
  }
  auto diff = (*fixture)->Verify(batch);
  if (!diff.ok()) {
    state.SkipWithError(diff.status().ToString().c_str());
    return nullptr;
  }
  state.counters["max_abs_diff"] = *diff;
  return *fixture;
}

void SetForwardCounters(benchmark::State& state, double flops, int64_t batch) {
  state.counters["flops"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.SetItemsProcessed(state.iterations() * batch);
}

void EngineForward(benchmark::State& state, const std::string& workload,
                   int64_t batch, int threads, Precision precision) {
  WorkloadFixture* fixture =
      VerifiedFixture(state, workload, batch, threads, precision);
  if (fixture == nullptr) return;
  auto& model = fixture->model();
  const std::vector<float>& input = fixture->Input(batch);
  std::vector<float> output(batch * model.output_sample_size());
  const MaskMap no_masks;
  for (auto _ : state) {
    auto snapshot = model.snapshot();
    absl::Status status =
        model.Forward(*snapshot, input.data(), batch, no_masks, output.data());
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  SetForwardCounters(state, (*fixture->Raw(batch))->flops(), batch);
}

void RawForward(benchmark::State& state, const std::string& workload,
                int64_t batch, int threads) {
  WorkloadFixture* fixture = VerifiedFixture(state, workload, batch, threads);
  if (fixture == nullptr) return;
  RawOnednnChain* chain = *fixture->Raw(batch);
  const std::vector<float>& input = fixture->Input(batch);
  std::vector<float> output(chain->output_size());
  omp_set_num_threads(threads);
  for (auto _ : state) {
    absl::Status status = chain->Run(input.data(), output.data());
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  SetForwardCounters(state, chain->flops(), batch);
}

// Floats one FmaChains() call computes 2 flops on (accumulators x lanes x
// steps).
constexpr int64_t kFmaSteps = 16384;
constexpr int kFmaAccumulators = 16;

// kFmaAccumulators independent chains of vfmadd231ps, so the FMA pipes never
// wait for a result (latency 4 x 2 pipes needs 8 chains; 16 leaves margin).
// Returns the floats it covered (lanes x chains x steps).
#if defined(__x86_64__)
__attribute__((target("avx512f"))) int64_t FmaChainsAvx512(float* sink) {
  __m512 acc[kFmaAccumulators];
  for (int i = 0; i < kFmaAccumulators; ++i)
    acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  for (int64_t step = 0; step < kFmaSteps; ++step) {
#pragma GCC unroll 16  // keeps every accumulator in a register
    for (int i = 0; i < kFmaAccumulators; ++i) {
      acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kFmaAccumulators; ++i) sum = _mm512_add_ps(sum, acc[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  *sink = lanes[0];
  return int64_t{16} * kFmaAccumulators * kFmaSteps;
}

__attribute__((target("avx2,fma"))) int64_t FmaChainsAvx2(float* sink) {
  __m256 acc[kFmaAccumulators];
  for (int i = 0; i < kFmaAccumulators; ++i)
    acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  for (int64_t step = 0; step < kFmaSteps; ++step) {
#pragma GCC unroll 16  // keeps every accumulator in a register
    for (int i = 0; i < kFmaAccumulators; ++i) {
      acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
  }
  __m256 sum = acc[0];
  for (int i = 1; i < kFmaAccumulators; ++i) sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  *sink = lanes[0];
  return int64_t{8} * kFmaAccumulators * kFmaSteps;
}
#endif

// The float32 FMA peak of `threads` threads (each runs the chains; flops is
// their sum per second). The widest FMA the CPU has: AVX-512, else AVX2.
void FmaPeak(benchmark::State& state, int threads) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !__builtin_cpu_supports("fma")) {
    state.SkipWithError("no FMA instructions on this CPU");
    return;
  }
  int64_t floats = 0;
  for (auto _ : state) {
    int64_t covered = 0;
#pragma omp parallel num_threads(threads) reduction(+ : covered)
    {
      float sink = 0.0f;
      covered += avx512 ? FmaChainsAvx512(&sink) : FmaChainsAvx2(&sink);
      benchmark::DoNotOptimize(sink);
    }
    floats += covered;
  }
  state.counters["flops"] = benchmark::Counter(
      2.0 * static_cast<double>(floats), benchmark::Counter::kIsRate);
  state.SetLabel(avx512 ? "avx512f" : "avx2");
#else
  state.SkipWithError("x86-64 only");
#endif
}

// Two alternating update batches, so consecutive updates really change the
// parameter (REPLACE: two different values; ADD: +delta then -delta).
std::vector<std::vector<ParameterUpdate>> AlternatingUpdates(
    const brainserve::engine::Model& model, const std::string& layer,
    const std::string& name, UpdateMode mode) {
  std::vector<std::vector<ParameterUpdate>> result(2);
  for (const auto& info : model.parameter_infos()) {
    if (info.layer != layer || info.name != name) continue;
    for (int k = 0; k < 2; ++k) {
      ParameterUpdate update{layer, name, mode, {info.shape, {}}};
      update.value.data =
          RandomValues(update.value.num_elements(),
                       kUpdateSeed + (mode == UpdateMode::kAdd ? 0 : k));
      if (mode == UpdateMode::kAdd) {
        for (float& v : update.value.data) v *= (k == 0 ? 1e-3f : -1e-3f);
      }
      result[k].push_back(std::move(update));
    }
  }
  return result;
}

// `move`: the updates are passed by rvalue (as the server does with a
// non-shared store), so a REPLACE's buffer moves into the snapshot; each
// iteration's copy of the request is made outside the timed region.
void EngineUpdate(benchmark::State& state, const std::string& layer,
                  const std::string& name, UpdateMode mode, int threads,
                  bool move) {
  // A model of its own: updating the shared fixture would make the forward
  // benchmarks' engine and raw chain drift apart.
  auto spec = WorkloadSpec("W2");
  if (!spec.ok()) {
    state.SkipWithError(spec.status().ToString().c_str());
    return;
  }
  brainserve::engine::EngineOptions options;
  options.num_threads = threads;
  auto created =
      brainserve::engine::Model::Create(*spec, kUpdateModelSeed, options);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  auto& model = **created;
  auto updates = AlternatingUpdates(model, layer, name, mode);
  if (updates[0].empty()) {
    state.SkipWithError("no such parameter");
    return;
  }
  int64_t bytes = 0;
  for (const auto& update : updates[0]) {
    bytes += update.value.num_elements() * sizeof(float);
  }
  size_t i = 0;
  for (auto _ : state) {
    std::vector<ParameterUpdate> request;
    if (move) {
      state.PauseTiming();
      request = updates[i & 1];
      state.ResumeTiming();
    }
    auto snapshot = move ? model.Update(std::move(request), std::nullopt)
                         : model.Update(updates[i & 1], std::nullopt);
    ++i;
    if (!snapshot.ok()) {
      state.SkipWithError(snapshot.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(snapshot->get());
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}

// What any correct implementation must do for a REPLACE of W2's ws1.weight:
// copy the value in, standardize it and reorder it into the layout the
// batch-64 matmul prefers.
//
// `vectorized` standardizes with the engine's own WeightStandardize (AVX-512
// / AVX2) instead of the plain loops of raw_onednn_from_spec.cc, so the
// engine's overhead is also measured against a minimum with the same kernel.
void RawUpdate(benchmark::State& state, int threads, bool vectorized) {
  try {
    omp_set_num_threads(threads);
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream strm(eng);
    dnnl::memory::desc src_md({64, kW2Width}, dt::f32, tag::ab);
    dnnl::memory::desc any_md({kW2Width, kW2Width}, dt::f32, tag::any);
    dnnl::memory::desc user_md({kW2Width, kW2Width}, dt::f32, tag::ab);
    dnnl::memory::desc dst_md({64, kW2Width}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_md, dst_md),
                                    eng);
    dnnl::memory wanted(pd.weights_desc(), eng);
    const std::vector<float> request =
        RandomValues(kW2Width * kW2Width, kUpdateSeed);
    const std::vector<float> gain(kW2Width, 1.0f);
    for (auto _ : state) {
      std::vector<float> value = request;  // the copy out of the request
      std::vector<float> derived;
      if (vectorized) {
        derived.resize(value.size());
        brainserve::engine::WeightStandardize(value.data(), kW2Width, kW2Width,
                                              1e-4f, gain.data(), nullptr,
                                              derived.data());
      } else {
        derived = StandardizeWeight(value, kW2Width, gain, 1e-4f);
      }
      dnnl::memory user(user_md, eng, derived.data());
      dnnl::reorder(user, wanted).execute(strm, user, wanted);
      strm.wait();
      benchmark::DoNotOptimize(wanted.get_data_handle());
    }
    state.SetBytesProcessed(state.iterations() * kW2Width * kW2Width *
                            sizeof(float));
  } catch (const dnnl::error& e) {
    state.SkipWithError(e.what());
  }
}

// --bench_iterations=N: a fixed iteration count (for callgrind runs whose
// instruction counts are then comparable); 0 = Google Benchmark decides.
int64_t g_fixed_iterations = 0;

void Configure(benchmark::internal::Benchmark* b) {
  b->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
  if (g_fixed_iterations > 0) b->Iterations(g_fixed_iterations);
}

void RegisterAll(const std::vector<int>& thread_counts) {
  for (int threads : thread_counts) {
    for (const Workload& workload : AllWorkloads()) {
      for (int64_t batch : workload.batches) {
        const std::string suffix =
            absl::StrCat(workload.name, "/batch:", batch, "/threads:", threads);
        Configure(benchmark::RegisterBenchmark(
            absl::StrCat("engine/", suffix).c_str(), EngineForward,
            workload.name, batch, threads, Precision::kFp32));
        Configure(benchmark::RegisterBenchmark(
            absl::StrCat("engine_bf16/", suffix).c_str(), EngineForward,
            workload.name, batch, threads, Precision::kBf16));
        Configure(benchmark::RegisterBenchmark(
            absl::StrCat("raw/", suffix).c_str(), RawForward, workload.name,
            batch, threads));
      }
    }
    const std::string t = absl::StrCat("/threads:", threads);
    Configure(benchmark::RegisterBenchmark(("peak/fp32_fma" + t).c_str(),
                                           FmaPeak, threads));
    Configure(benchmark::RegisterBenchmark(
        ("update/W2/ws1.weight:replace" + t).c_str(), EngineUpdate, "ws1",
        "weight", UpdateMode::kReplace, threads, false));
    Configure(benchmark::RegisterBenchmark(
        ("update/W2/ws1.weight:replace_move" + t).c_str(), EngineUpdate, "ws1",
        "weight", UpdateMode::kReplace, threads, true));
    Configure(benchmark::RegisterBenchmark(
        ("update/W2/ws1.weight:add" + t).c_str(), EngineUpdate, "ws1", "weight",
        UpdateMode::kAdd, threads, false));
    Configure(benchmark::RegisterBenchmark(
        ("update/W2/signed.weight:replace" + t).c_str(), EngineUpdate, "signed",
        "weight", UpdateMode::kReplace, threads, false));
    Configure(benchmark::RegisterBenchmark(
        ("update/W2/fc.bias:replace" + t).c_str(), EngineUpdate, "fc", "bias",
        UpdateMode::kReplace, threads, false));
    Configure(benchmark::RegisterBenchmark(
        ("update_raw/W2/ws1.weight" + t).c_str(), RawUpdate, threads, false));
    Configure(benchmark::RegisterBenchmark(
        ("update_raw/W2/ws1.weight:vectorized" + t).c_str(), RawUpdate, threads,
        true));
  }
}

// Removes --bench_threads=... and --bench_iterations=... from argv; returns
// the thread counts and sets g_fixed_iterations.
std::vector<int> TakeOwnFlags(int* argc, char** argv) {
  constexpr char kThreads[] = "--bench_threads=";
  constexpr char kIterations[] = "--bench_iterations=";
  std::vector<int> counts = {1, 2};
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp(argv[i], kThreads, sizeof(kThreads) - 1) == 0) {
      counts.clear();
      for (absl::string_view part :
           absl::StrSplit(argv[i] + sizeof(kThreads) - 1, ',')) {
        int n = 0;
        if (absl::SimpleAtoi(part, &n) && n > 0) counts.push_back(n);
      }
    } else if (std::strncmp(argv[i], kIterations, sizeof(kIterations) - 1) ==
               0) {
      if (!absl::SimpleAtoi(argv[i] + sizeof(kIterations) - 1,
                            &g_fixed_iterations)) {
        g_fixed_iterations = 0;
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return counts;
}

}  // namespace
}  // namespace brainserve::bench

int main(int argc, char** argv) {
  using namespace brainserve::bench;  // NOLINT(build/namespaces)
  const std::vector<int> thread_counts = TakeOwnFlags(&argc, argv);
  const dnnl::version_t* v = dnnl::version();
  benchmark::AddCustomContext(
      "onednn", absl::StrCat(v->major, ".", v->minor, ".", v->patch));
  benchmark::AddCustomContext("onednn_isa", brainserve::engine::CpuIsaName(
                                                dnnl::get_effective_cpu_isa()));
  RegisterAll(thread_counts);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
