// Model series lifecycle: removal, handles that outlive removal, re-adding,
// and recording from many threads while models come and go.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics/prometheus_reporter.h"
#include "tests/metrics/exposition.h"

namespace brainserve::metrics {
namespace {

using ::brainserve::metrics::testing::HasModelSeries;
using ::brainserve::metrics::testing::Sample;
using ::testing::Optional;

std::unique_ptr<PrometheusReporter> NewReporter() {
  PrometheusReporterOptions options;
  options.listen_address = "";
  auto reporter = PrometheusReporter::Create(options);
  EXPECT_TRUE(reporter.ok()) << reporter.status();
  return *std::move(reporter);
}

std::string ForwardOk(const std::string& model) {
  return absl::StrCat("brainserve_requests_total{model=\"", model,
                      "\",method=\"Forward\",code=\"OK\"}");
}

// Calls every ModelReporter method once.
void RecordEverything(ModelReporter& model) {
  model.RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.001);
  model.RecordRequest(Method::kGetParameters, absl::StatusCode::kNotFound,
                      0.001);
  model.RecordQueueSeconds(0.0001);
  model.RecordComputeSeconds(0.001);
  model.RecordBatchRows(8);
  model.SetQueueDepth(3);
  model.SetQueueCapacity(16);
  model.SetVersion(2);
  model.RecordParameterUpdate(absl::StatusCode::kAborted, 0.001);
}

TEST(LifecycleTest, RemoveModelDropsOnlyThatModelsSeries) {
  auto reporter = NewReporter();
  auto a = reporter->AddModel("a");
  auto b = reporter->AddModel("b");
  RecordEverything(*a);
  RecordEverything(*b);
  ASSERT_TRUE(HasModelSeries(reporter->Scrape(), "a"));

  reporter->RemoveModel("a");
  const std::string text = reporter->Scrape();
  EXPECT_FALSE(HasModelSeries(text, "a"));
  EXPECT_TRUE(HasModelSeries(text, "b"));
  EXPECT_THAT(Sample(text, ForwardOk("b")), Optional(1.0));
}

TEST(LifecycleTest, RecordingThroughARemovedHandleIsSafeAndNotExported) {
  auto reporter = NewReporter();
  std::shared_ptr<ModelReporter> handle = reporter->AddModel("gone");
  reporter->RemoveModel("gone");
  for (int i = 0; i < 100; ++i) RecordEverything(*handle);
  EXPECT_FALSE(HasModelSeries(reporter->Scrape(), "gone"));
}

TEST(LifecycleTest, HandleOutlivesTheReporter) {
  std::shared_ptr<ModelReporter> handle;
  {
    auto reporter = NewReporter();
    handle = reporter->AddModel("m");
  }
  RecordEverything(*handle);
}

TEST(LifecycleTest, ReAddingARemovedNameStartsFresh) {
  auto reporter = NewReporter();
  std::shared_ptr<ModelReporter> old_handle = reporter->AddModel("m");
  for (int i = 0; i < 5; ++i) RecordEverything(*old_handle);
  reporter->RemoveModel("m");

  std::shared_ptr<ModelReporter> new_handle = reporter->AddModel("m");
  EXPECT_NE(new_handle, old_handle);
  std::string text = reporter->Scrape();
  EXPECT_EQ(Sample(text, ForwardOk("m")), std::nullopt);
  EXPECT_THAT(Sample(text, "brainserve_model_version{model=\"m\"}"),
              Optional(0.0));

  new_handle->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.001);
  // The stale handle writes to its own detached storage only.
  for (int i = 0; i < 10; ++i) RecordEverything(*old_handle);
  old_handle.reset();  // Dropping it must not disturb the new series.
  text = reporter->Scrape();
  EXPECT_THAT(Sample(text, ForwardOk("m")), Optional(1.0));
  EXPECT_THAT(Sample(text, "brainserve_model_version{model=\"m\"}"),
              Optional(0.0));
  EXPECT_THAT(Sample(text, "brainserve_batch_size_count{model=\"m\"}"),
              Optional(0.0));
}

TEST(LifecycleTest, AddingALiveModelReturnsItsExistingHandle) {
  auto reporter = NewReporter();
  auto first = reporter->AddModel("m");
  auto second = reporter->AddModel("m");
  EXPECT_EQ(first, second);
  first->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.001);
  second->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.001);
  EXPECT_THAT(Sample(reporter->Scrape(), ForwardOk("m")), Optional(2.0));
}

TEST(LifecycleTest, RemovingAnUnknownModelIsANoOp) {
  auto reporter = NewReporter();
  reporter->AddModel("kept")->SetVersion(1);
  reporter->RemoveModel("never-added");
  reporter->RemoveModel("");
  EXPECT_TRUE(HasModelSeries(reporter->Scrape(), "kept"));
}

// Recorders hammer one model while another model is added, recorded through
// and removed over and over, and a scraper collects concurrently. Run under
// ASan (build-metrics-asan) this also checks that no freed metric is touched.
TEST(LifecycleTest, ConcurrentRecordingChurnAndScrapes) {
  auto reporter = NewReporter();
  std::shared_ptr<ModelReporter> hot = reporter->AddModel("hot");
  constexpr int kRecorders = 4;
  constexpr int kRequestsPerRecorder = 20000;
  std::atomic<bool> done{false};

  std::thread churner([&] {
    std::vector<std::shared_ptr<ModelReporter>> stale;
    for (int i = 0; !done.load(); ++i) {
      auto churn = reporter->AddModel("churn");
      RecordEverything(*churn);
      reporter->RemoveModel("churn");
      RecordEverything(*churn);  // After removal.
      stale.push_back(std::move(churn));
      if (stale.size() > 8) stale.erase(stale.begin());
      reporter->SetModelCount(i % 3);
    }
  });
  std::thread scraper([&] {
    while (!done.load()) {
      const std::string text = reporter->Scrape();
      ASSERT_FALSE(text.empty());
    }
  });
  std::vector<std::thread> recorders;
  for (int t = 0; t < kRecorders; ++t) {
    recorders.emplace_back([&, t] {
      for (int i = 0; i < kRequestsPerRecorder; ++i) {
        reporter->IncInflight();
        hot->RecordRequest(Method::kForward,
                           i % 10 == 0 ? absl::StatusCode::kResourceExhausted
                                       : absl::StatusCode::kOk,
                           1e-4 * (i % 7));
        hot->RecordQueueSeconds(1e-5);
        hot->RecordBatchRows(1 + t);
        reporter->RecordRequest(Method::kListModels, absl::StatusCode::kOk,
                                1e-5);
        reporter->DecInflight();
      }
    });
  }
  for (auto& recorder : recorders) recorder.join();
  done.store(true);
  churner.join();
  scraper.join();

  const std::string text = reporter->Scrape();
  constexpr double kTotal = kRecorders * kRequestsPerRecorder;
  EXPECT_THAT(Sample(text, ForwardOk("hot")), Optional(kTotal * 9 / 10));
  EXPECT_THAT(Sample(text,
                     "brainserve_requests_total{model=\"hot\",method="
                     "\"Forward\",code=\"RESOURCE_EXHAUSTED\"}"),
              Optional(kTotal / 10));
  EXPECT_THAT(Sample(text,
                     "brainserve_request_duration_seconds_count{model="
                     "\"hot\",method=\"Forward\"}"),
              Optional(kTotal));
  EXPECT_THAT(Sample(text,
                     "brainserve_queue_duration_seconds_count{model="
                     "\"hot\"}"),
              Optional(kTotal));
  EXPECT_THAT(Sample(text, "brainserve_batch_size_sum{model=\"hot\"}"),
              Optional(kRequestsPerRecorder * (1 + 2 + 3 + 4)));
  EXPECT_THAT(Sample(text,
                     "brainserve_requests_total{model=\"\",method="
                     "\"ListModels\",code=\"OK\"}"),
              Optional(kTotal));
  EXPECT_THAT(Sample(text, "brainserve_inflight_requests"), Optional(0.0));
  EXPECT_FALSE(HasModelSeries(text, "churn"));
}

}  // namespace
}  // namespace brainserve::metrics
