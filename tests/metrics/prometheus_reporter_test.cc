#include "server/metrics/prometheus_reporter.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/metrics/exposition.h"

namespace brainserve::metrics {
namespace {

using ::brainserve::metrics::testing::HasModelSeries;
using ::brainserve::metrics::testing::Sample;
using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

std::unique_ptr<PrometheusReporter> NewReporter(std::string version = "0.1.0") {
  PrometheusReporterOptions options;
  options.listen_address = "";  // Scrape() only.
  options.version = std::move(version);
  auto reporter = PrometheusReporter::Create(options);
  EXPECT_TRUE(reporter.ok()) << reporter.status();
  return *std::move(reporter);
}

std::string Requests(const std::string& model, const std::string& method,
                     const std::string& code) {
  return absl::StrCat("brainserve_requests_total{model=\"", model,
                      "\",method=\"", method, "\",code=\"", code, "\"}");
}

std::string ModelSeries(const std::string& name, const std::string& model,
                        const std::string& extra_labels = "") {
  return absl::StrCat(name, "{model=\"", model, "\"", extra_labels, "}");
}

TEST(PrometheusReporterTest, CountsRequestsByModelMethodAndCode) {
  auto reporter = NewReporter();
  auto mlp = reporter->AddModel("mlp");
  for (int i = 0; i < 3; ++i) {
    mlp->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.002);
  }
  mlp->RecordRequest(Method::kForward, absl::StatusCode::kInvalidArgument,
                     0.00002);
  mlp->RecordRequest(Method::kGetModel, absl::StatusCode::kOk, 0.0001);
  const std::string text = reporter->Scrape();

  EXPECT_THAT(Sample(text, Requests("mlp", "Forward", "OK")), Optional(3.0));
  EXPECT_THAT(Sample(text, Requests("mlp", "Forward", "INVALID_ARGUMENT")),
              Optional(1.0));
  EXPECT_THAT(Sample(text, Requests("mlp", "GetModel", "OK")), Optional(1.0));
  // Series are created on first use only.
  EXPECT_EQ(Sample(text, Requests("mlp", "GetModel", "INVALID_ARGUMENT")),
            std::nullopt);
  EXPECT_EQ(Sample(text, Requests("mlp", "DeleteModel", "OK")), std::nullopt);

  const std::string forward = ",method=\"Forward\"";
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_count",
                               "mlp", forward)),
      Optional(4.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_sum", "mlp",
                               forward)),
      Optional(DoubleNear(3 * 0.002 + 0.00002, 1e-12)));
  // 2e-5 falls in le=2.5e-5; the three 2 ms requests in le=0.0025.
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_bucket",
                               "mlp", forward + ",le=\"1e-05\"")),
      Optional(0.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_bucket",
                               "mlp", forward + ",le=\"2.5e-05\"")),
      Optional(1.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_bucket",
                               "mlp", forward + ",le=\"0.001\"")),
      Optional(1.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_bucket",
                               "mlp", forward + ",le=\"0.0025\"")),
      Optional(4.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_bucket",
                               "mlp", forward + ",le=\"+Inf\"")),
      Optional(4.0));
}

TEST(PrometheusReporterTest, RecordsBatchingAndParameterSeries) {
  auto reporter = NewReporter();
  auto model = reporter->AddModel("conv");
  model->RecordQueueSeconds(0.0003);
  model->RecordQueueSeconds(0.0007);
  model->RecordComputeSeconds(0.02);
  model->RecordBatchRows(3);
  model->RecordBatchRows(16);
  model->RecordBatchRows(5000);  // Beyond the last bucket: only +Inf.
  model->SetQueueDepth(5);
  model->SetVersion(42);
  model->RecordParameterUpdate(absl::StatusCode::kOk, 0.001);
  model->RecordParameterUpdate(absl::StatusCode::kOk, 0.001);
  model->RecordParameterUpdate(absl::StatusCode::kInvalidArgument, 0.0001);
  const std::string text = reporter->Scrape();

  EXPECT_THAT(
      Sample(text,
             ModelSeries("brainserve_queue_duration_seconds_count", "conv")),
      Optional(2.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_queue_duration_seconds_sum",
                                       "conv")),
              Optional(DoubleNear(0.001, 1e-12)));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_queue_duration_seconds_bucket",
                               "conv", ",le=\"0.0005\"")),
      Optional(1.0));
  EXPECT_THAT(
      Sample(text,
             ModelSeries("brainserve_compute_duration_seconds_count", "conv")),
      Optional(1.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_bucket", "conv",
                                       ",le=\"2\"")),
              Optional(0.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_bucket", "conv",
                                       ",le=\"4\"")),
              Optional(1.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_bucket", "conv",
                                       ",le=\"16\"")),
              Optional(2.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_bucket", "conv",
                                       ",le=\"1024\"")),
              Optional(2.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_bucket", "conv",
                                       ",le=\"+Inf\"")),
              Optional(3.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_sum", "conv")),
              Optional(5019.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_queue_depth", "conv")),
              Optional(5.0));
  // Capacity is exported only once set: an unset bound must not read as 0.
  EXPECT_EQ(Sample(text, ModelSeries("brainserve_queue_capacity", "conv")),
            std::nullopt);
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_model_version", "conv")),
              Optional(42.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_parameter_updates_total",
                                       "conv", ",code=\"OK\"")),
              Optional(2.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_parameter_updates_total",
                                       "conv", ",code=\"INVALID_ARGUMENT\"")),
              Optional(1.0));
  // An outcome that has not happened yet is exported at 0, an unknown one
  // is not exported.
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_parameter_updates_total",
                                       "conv", ",code=\"UNAVAILABLE\"")),
              Optional(0.0));
  EXPECT_EQ(Sample(text, ModelSeries("brainserve_parameter_updates_total",
                                     "conv", ",code=\"DATA_LOSS\"")),
            std::nullopt);
  // The update queue's series exist from the start.
  model->RecordUpdateQueueSeconds(0.002);
  model->SetPendingUpdates(3);
  const std::string queued = reporter->Scrape();
  EXPECT_THAT(Sample(queued, ModelSeries(
                                 "brainserve_update_queue_duration_seconds_count",
                                 "conv")),
              Optional(1.0));
  EXPECT_THAT(Sample(queued, ModelSeries("brainserve_pending_updates", "conv")),
              Optional(3.0));
  EXPECT_THAT(
      Sample(text,
             ModelSeries("brainserve_parameter_update_duration_seconds_count",
                         "conv")),
      Optional(3.0));

  // Gauges follow the latest value.
  model->SetQueueCapacity(128);
  model->SetQueueDepth(0);
  model->SetVersion(43);
  const std::string later = reporter->Scrape();
  EXPECT_THAT(Sample(later, ModelSeries("brainserve_queue_depth", "conv")),
              Optional(0.0));
  EXPECT_THAT(Sample(later, ModelSeries("brainserve_model_version", "conv")),
              Optional(43.0));
  EXPECT_THAT(Sample(later, ModelSeries("brainserve_queue_capacity", "conv")),
              Optional(128.0));
}

TEST(PrometheusReporterTest, UnattributedRequestsUseAnEmptyModelLabel) {
  auto reporter = NewReporter();
  reporter->RecordRequest(Method::kListModels, absl::StatusCode::kOk, 0.0001);
  reporter->RecordRequest(Method::kGetModel, absl::StatusCode::kNotFound,
                          0.0001);
  reporter->RecordRequest(Method::kGetModel, absl::StatusCode::kNotFound,
                          0.0001);
  const std::string text = reporter->Scrape();
  EXPECT_THAT(Sample(text, Requests("", "ListModels", "OK")), Optional(1.0));
  EXPECT_THAT(Sample(text, Requests("", "GetModel", "NOT_FOUND")),
              Optional(2.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_count", "",
                               ",method=\"GetModel\"")),
      Optional(2.0));
  // model="" never gets per-model batching series.
  EXPECT_EQ(Sample(text, ModelSeries("brainserve_queue_depth", "")),
            std::nullopt);
  EXPECT_EQ(Sample(text, ModelSeries("brainserve_batch_size_count", "")),
            std::nullopt);
}

TEST(PrometheusReporterTest, ServerWideGaugesAndBuildInfo) {
  auto reporter = NewReporter("9.8.7");
  reporter->IncInflight();
  reporter->IncInflight();
  reporter->IncInflight();
  reporter->DecInflight();
  reporter->SetModelCount(3);
  const std::string text = reporter->Scrape();
  EXPECT_THAT(Sample(text, "brainserve_inflight_requests"), Optional(2.0));
  EXPECT_THAT(Sample(text, "brainserve_models"), Optional(3.0));
  EXPECT_THAT(Sample(text, "brainserve_build_info{version=\"9.8.7\"}"),
              Optional(1.0));
}

TEST(PrometheusReporterTest, OutOfRangeInputsAreContained) {
  auto reporter = NewReporter();
  auto model = reporter->AddModel("m");
  model->RecordRequest(Method::kForward, static_cast<absl::StatusCode>(99),
                       0.001);
  model->RecordRequest(static_cast<Method>(99), absl::StatusCode::kOk, 0.001);
  model->RecordRequest(Method::kForward, absl::StatusCode::kOk,
                       std::numeric_limits<double>::quiet_NaN());
  model->RecordQueueSeconds(-1.0);  // A clock step: counted as 0 s.
  model->RecordBatchRows(-4);       // Ignored.
  model->RecordParameterUpdate(static_cast<absl::StatusCode>(-3), 0.001);
  const std::string text = reporter->Scrape();
  EXPECT_THAT(Sample(text, Requests("m", "Forward", "UNKNOWN")), Optional(1.0));
  EXPECT_THAT(Sample(text, Requests("m", "Forward", "OK")), Optional(1.0));
  // The NaN duration was counted but not observed.
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_request_duration_seconds_count", "m",
                               ",method=\"Forward\"")),
      Optional(1.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_queue_duration_seconds_sum", "m")),
      Optional(0.0));
  EXPECT_THAT(
      Sample(text, ModelSeries("brainserve_queue_duration_seconds_bucket", "m",
                               ",le=\"1e-05\"")),
      Optional(1.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_batch_size_count", "m")),
              Optional(0.0));
  EXPECT_THAT(Sample(text, ModelSeries("brainserve_parameter_updates_total",
                                       "m", ",code=\"UNKNOWN\"")),
              Optional(1.0));
  EXPECT_THAT(text, Not(HasSubstr("Unknown")));
}

TEST(PrometheusReporterTest, EveryFamilyHasHelpAndType) {
  auto reporter = NewReporter();
  auto model = reporter->AddModel("m");
  model->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.001);
  model->RecordParameterUpdate(absl::StatusCode::kOk, 0.001);
  model->SetQueueCapacity(64);
  const std::string text = "\n" + reporter->Scrape();
  const std::pair<const char*, const char*> kFamilies[] = {
      {"brainserve_requests_total", "counter"},
      {"brainserve_request_duration_seconds", "histogram"},
      {"brainserve_queue_duration_seconds", "histogram"},
      {"brainserve_compute_duration_seconds", "histogram"},
      {"brainserve_batch_size", "histogram"},
      {"brainserve_queue_depth", "gauge"},
      {"brainserve_queue_capacity", "gauge"},
      {"brainserve_inflight_requests", "gauge"},
      {"brainserve_models", "gauge"},
      {"brainserve_model_version", "gauge"},
      {"brainserve_parameter_updates_total", "counter"},
      {"brainserve_parameter_update_duration_seconds", "histogram"},
      {"brainserve_update_queue_duration_seconds", "histogram"},
      {"brainserve_pending_updates", "gauge"},
      {"brainserve_build_info", "gauge"},
  };
  for (const auto& [name, type] : kFamilies) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n# HELP ", name, " "))) << name;
    EXPECT_THAT(text,
                HasSubstr(absl::StrCat("\n# TYPE ", name, " ", type, "\n")))
        << name;
  }
}

TEST(PrometheusReporterTest, ModelNamesAreEscapedInLabels) {
  auto reporter = NewReporter();
  reporter->AddModel("quote\"back\\slash")->SetVersion(1);
  EXPECT_THAT(
      reporter->Scrape(),
      HasSubstr(
          "brainserve_model_version{model=\"quote\\\"back\\\\slash\"} 1"));
}

}  // namespace
}  // namespace brainserve::metrics
