// brainserve-onnx-export: writes the engine benchmark's workloads (W1, W2,
// W3, with the fixture's seeds, so the same weights) as ONNX models, plus for
// each benchmarked batch size the benchmark's input and the engine's output,
// so a peer runtime can check that it computes the same function before it is
// timed (tests/bench/ort/ort_bench.mjs, tests/bench/run_ort_compare.sh).
//
// Usage: brainserve-onnx-export --out_dir=DIR [--workloads=W1,W2,W3]
// Writes into DIR:
//   <W>.onnx                      the model (onnx_export.h)
//   <W>.batch<B>.input.f32        input [B, *input_shape], float32 LE
//   <W>.batch<B>.expected.f32     the engine's output for it
//   manifest.json                 [{workload, model, input_shape,
//                                   output_shape, batches}]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/forward_mask.h"
#include "tests/bench/engine_bench_fixture.h"
#include "tests/bench/engine_bench_workloads.h"
#include "tests/bench/onnx/onnx_export.h"
#include "tests/bench/raw_onednn_from_spec.h"

namespace brainserve::bench {
namespace {

absl::Status WriteFile(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WriteFloats(const std::string& path,
                         const std::vector<float>& values) {
  return WriteFile(path, values.data(), values.size() * sizeof(float));
}

std::string JsonInts(const std::vector<int64_t>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

// Exports one workload; returns its manifest entry.
absl::StatusOr<std::string> Export(const Workload& workload,
                                   const std::string& dir) {
  auto fixture = WorkloadFixture::Get(workload.name, /*threads=*/1);
  if (!fixture.ok()) return fixture.status();
  brainserve::engine::Model& model = (*fixture)->model();
  auto spec = WorkloadSpec(workload.name);
  if (!spec.ok()) return spec.status();
  auto steps = RawStepsFromSpec(*spec, *model.snapshot());
  if (!steps.ok()) return steps.status();
  const std::vector<int64_t> input_shape(model.input_shape().begin(),
                                         model.input_shape().end());
  auto onnx_model = OnnxModelFromRawSteps(*steps, input_shape, workload.name);
  if (!onnx_model.ok()) return onnx_model.status();
  const std::string file = workload.name + ".onnx";
  const std::string bytes = onnx_model->SerializeAsString();
  absl::Status status = WriteFile(dir + "/" + file, bytes.data(), bytes.size());
  if (!status.ok()) return status;

  for (int64_t batch : workload.batches) {
    // The raw chain is built from the same steps: agreeing with the engine
    // here means the steps (hence the ONNX graph's weights) are the model's.
    auto verified = (*fixture)->Verify(batch);
    if (!verified.ok()) return verified.status();
    const std::vector<float>& input = (*fixture)->Input(batch);
    std::vector<float> output(batch * model.output_sample_size());
    status = model.Forward(*model.snapshot(), input.data(), batch,
                           brainserve::engine::MaskMap(), output.data());
    if (!status.ok()) return status;
    const std::string stem =
        absl::StrCat(dir, "/", workload.name, ".batch", batch);
    status = WriteFloats(stem + ".input.f32", input);
    if (!status.ok()) return status;
    status = WriteFloats(stem + ".expected.f32", output);
    if (!status.ok()) return status;
  }
  const std::vector<int64_t> output_shape(model.output_shape().begin(),
                                          model.output_shape().end());
  return absl::StrCat("  {\"workload\": \"", workload.name, "\", \"model\": \"",
                      file, "\", \"input_shape\": ", JsonInts(input_shape),
                      ", \"output_shape\": ", JsonInts(output_shape),
                      ", \"batches\": ", JsonInts(workload.batches), "}");
}

int Main(int argc, char** argv) {
  std::string dir;
  std::vector<std::string> names = {"W1", "W2", "W3"};
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg.substr(0, 10) == "--out_dir=") {
      dir = std::string(arg.substr(10));
    } else if (arg.substr(0, 12) == "--workloads=") {
      names = absl::StrSplit(arg.substr(12), ',', absl::SkipEmpty());
    } else {
      std::fprintf(stderr,
                   "usage: %s --out_dir=DIR [--workloads=W1,W2,W3]\n"
                   "unknown argument: %s\n",
                   argv[0], argv[i]);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr, "%s: --out_dir is required\n", argv[0]);
    return 2;
  }
  std::vector<std::string> entries;
  for (const std::string& name : names) {
    const Workload* workload = nullptr;
    for (const Workload& w : AllWorkloads()) {
      if (w.name == name) workload = &w;
    }
    if (workload == nullptr) {
      std::fprintf(stderr, "no workload '%s'\n", name.c_str());
      return 2;
    }
    auto entry = Export(*workload, dir);
    if (!entry.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(),
                   entry.status().ToString().c_str());
      return 1;
    }
    entries.push_back(*entry);
  }
  const std::string manifest =
      absl::StrCat("[\n", absl::StrJoin(entries, ",\n"), "\n]\n");
  absl::Status status =
      WriteFile(dir + "/manifest.json", manifest.data(), manifest.size());
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("wrote %zu models to %s\n", entries.size(), dir.c_str());
  return 0;
}

}  // namespace
}  // namespace brainserve::bench

int main(int argc, char** argv) { return brainserve::bench::Main(argc, argv); }
