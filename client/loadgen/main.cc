// brainserve-loadgen: measures brainserve's Forward throughput and latency
// (closed- or open-loop), optionally with UpdateParameters under load. See
// client/loadgen/README.md and `brainserve-loadgen --help`.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/loadgen/flags.h"
#include "client/loadgen/input_data.h"
#include "client/loadgen/level_report.h"
#include "client/loadgen/runner.h"

namespace {

using ::brainserve::loadgen::GrpcFrame;
using ::brainserve::loadgen::LevelReport;
using ::brainserve::loadgen::LoadgenConfig;
using ::brainserve::loadgen::ParseFlags;
using ::brainserve::loadgen::PrintTable;
using ::brainserve::loadgen::Runner;
using ::brainserve::loadgen::ToCsv;
using ::brainserve::loadgen::ToJson;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << contents;
  file.close();
  if (!file) {
    std::fprintf(stderr, "brainserve-loadgen: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool progress_set = false;
  for (const std::string& a : args) {
    progress_set |= a.rfind("--progress", 0) == 0;
  }
  absl::StatusOr<LoadgenConfig> config = ParseFlags(args);
  if (!config.ok()) {
    if (config.status().code() == absl::StatusCode::kNotFound) {
      std::cout << config.status().message();
      return 0;
    }
    std::fprintf(stderr, "brainserve-loadgen: %s\n",
                 std::string(config.status().message()).c_str());
    return kExitUsage;
  }
  if (!progress_set) config->progress = isatty(STDERR_FILENO) != 0;

  absl::StatusOr<std::unique_ptr<Runner>> runner = Runner::Create(*config);
  if (!runner.ok()) {
    std::fprintf(stderr, "brainserve-loadgen: %s\n",
                 runner.status().ToString().c_str());
    return runner.status().code() == absl::StatusCode::kInvalidArgument
               ? kExitUsage
               : kExitFailure;
  }
  if (!config->dump_request_path.empty()) {
    const std::string frame =
        GrpcFrame((*runner)->first_request().SerializeAsString());
    if (!WriteFile(config->dump_request_path, frame)) return kExitFailure;
    std::fprintf(stderr, "brainserve-loadgen: wrote %zu bytes to %s\n",
                 frame.size(), config->dump_request_path.c_str());
    return 0;
  }
  absl::StatusOr<std::vector<LevelReport>> reports = (*runner)->Run();
  if (!reports.ok()) {
    std::fprintf(stderr, "brainserve-loadgen: %s\n",
                 reports.status().ToString().c_str());
    return kExitFailure;
  }
  PrintTable(*reports, std::cout);
  if (!config->csv_path.empty() &&
      !WriteFile(config->csv_path, ToCsv(*reports))) {
    return kExitFailure;
  }
  if (!config->json_path.empty() &&
      !WriteFile(config->json_path, ToJson(*reports))) {
    return kExitFailure;
  }
  return 0;
}
