// Runs `promtool check metrics` (Debian package `prometheus`) over the
// exposition, both from Scrape() and as served over HTTP.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/metrics/prometheus_reporter.h"
#include "tests/metrics/exposition.h"

namespace brainserve::metrics {
namespace {

bool HavePromtool() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

struct LintResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together.
};

LintResult Lint(const std::string& exposition, const std::string& name) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/brainserve_", name, ".prom");
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << exposition;
  }
  LintResult result;
  const std::string command =
      absl::StrCat("promtool check metrics < '", path, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(path.c_str());
  return result;
}

// Two models with every kind of record, failures, a removed model and
// unattributed requests.
void GenerateTraffic(PrometheusReporter& reporter) {
  auto mlp = reporter.AddModel("mlp");
  auto conv = reporter.AddModel("conv");
  auto removed = reporter.AddModel("removed");
  for (auto* model : {mlp.get(), conv.get(), removed.get()}) {
    model->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.003);
    model->RecordRequest(Method::kForward, absl::StatusCode::kResourceExhausted,
                         0.00001);
    model->RecordRequest(Method::kCreateModel, absl::StatusCode::kOk, 0.02);
    model->RecordRequest(Method::kGetParameters, absl::StatusCode::kOk, 0.001);
    model->RecordQueueSeconds(0.0002);
    model->RecordComputeSeconds(0.004);
    model->RecordBatchRows(12);
    model->SetQueueDepth(2);
    model->SetQueueCapacity(64);
    model->SetVersion(3);
    model->RecordParameterUpdate(absl::StatusCode::kOk, 0.002);
    model->RecordParameterUpdate(absl::StatusCode::kInvalidArgument, 0.0001);
  }
  reporter.RemoveModel("removed");
  reporter.RecordRequest(Method::kListModels, absl::StatusCode::kOk, 0.0001);
  reporter.RecordRequest(Method::kGetModel, absl::StatusCode::kNotFound,
                         0.0001);
  reporter.IncInflight();
  reporter.SetModelCount(2);
}

TEST(PromtoolLintTest, ScrapeOutputIsClean) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool not installed";
  PrometheusReporterOptions options;
  options.listen_address = "";
  auto reporter = PrometheusReporter::Create(options);
  ASSERT_TRUE(reporter.ok()) << reporter.status();
  GenerateTraffic(**reporter);
  const std::string exposition = (*reporter)->Scrape();
  ASSERT_NE(exposition.find("brainserve_batch_size_bucket"), std::string::npos);
  const LintResult result = Lint(exposition, "scrape");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "");
}

TEST(PromtoolLintTest, HttpOutputIsClean) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool not installed";
  PrometheusReporterOptions options;
  options.listen_address = "127.0.0.1:0";
  auto reporter = PrometheusReporter::Create(options);
  ASSERT_TRUE(reporter.ok()) << reporter.status();
  GenerateTraffic(**reporter);
  absl::StatusOr<std::string> body =
      testing::HttpGet((*reporter)->port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  const LintResult result = Lint(*body, "http");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "");
}

}  // namespace
}  // namespace brainserve::metrics
