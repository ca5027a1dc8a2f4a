#include "server/metrics/reporter.h"

#include <memory>

#include "gtest/gtest.h"

namespace brainserve::metrics {
namespace {

TEST(MethodNameTest, NamesEveryRpcOfTheService) {
  EXPECT_EQ(MethodName(Method::kCreateModel), "CreateModel");
  EXPECT_EQ(MethodName(Method::kGetModel), "GetModel");
  EXPECT_EQ(MethodName(Method::kListModels), "ListModels");
  EXPECT_EQ(MethodName(Method::kDeleteModel), "DeleteModel");
  EXPECT_EQ(MethodName(Method::kForward), "Forward");
  EXPECT_EQ(MethodName(Method::kUpdateParameters), "UpdateParameters");
  EXPECT_EQ(MethodName(Method::kGetParameters), "GetParameters");
  EXPECT_EQ(MethodName(Method::kModelInfer), "ModelInfer");
  EXPECT_EQ(MethodName(static_cast<Method>(kNumMethods)), "Unknown");
  EXPECT_EQ(MethodName(static_cast<Method>(-1)), "Unknown");
}

TEST(NullReporterTest, AcceptsEveryCallAndHandsOutUsableHandles) {
  std::unique_ptr<Reporter> reporter = NewNullReporter();
  ASSERT_NE(reporter, nullptr);
  std::shared_ptr<ModelReporter> model = reporter->AddModel("m");
  ASSERT_NE(model, nullptr);
  reporter->IncInflight();
  reporter->RecordRequest(Method::kListModels, absl::StatusCode::kOk, 0.1);
  reporter->SetModelCount(1);
  reporter->RemoveModel("m");
  reporter->RemoveModel("never-added");
  reporter->DecInflight();
  reporter.reset();
  // The handle outlives its reporter.
  model->RecordRequest(Method::kForward, absl::StatusCode::kOk, 0.1);
  model->RecordQueueSeconds(0.1);
  model->RecordComputeSeconds(0.1);
  model->RecordBatchRows(4);
  model->SetQueueDepth(2);
  model->SetQueueCapacity(8);
  model->SetVersion(3);
  model->RecordParameterUpdate(absl::StatusCode::kOk, 0.1);
}

}  // namespace
}  // namespace brainserve::metrics
