#include "server/metrics/reporter.h"

#include <memory>
#include <string>

namespace brainserve::metrics {
namespace {

class NullModelReporter final : public ModelReporter {
 public:
  void RecordRequest(Method, absl::StatusCode, double) override {}
  void RecordQueueSeconds(double) override {}
  void RecordComputeSeconds(double) override {}
  void RecordBatchRows(int64_t) override {}
  void SetQueueDepth(int64_t) override {}
  void SetQueueCapacity(int64_t) override {}
  void SetVersion(uint64_t) override {}
  void RecordParameterUpdate(absl::StatusCode, double) override {}
};

class NullReporter final : public Reporter {
 public:
  std::shared_ptr<ModelReporter> AddModel(const std::string&) override {
    return std::make_shared<NullModelReporter>();
  }
  void RemoveModel(const std::string&) override {}
  void RecordRequest(Method, absl::StatusCode, double) override {}
  void IncInflight() override {}
  void DecInflight() override {}
  void SetModelCount(int64_t) override {}
};

}  // namespace

absl::string_view MethodName(Method m) {
  switch (m) {
    case Method::kCreateModel:
      return "CreateModel";
    case Method::kGetModel:
      return "GetModel";
    case Method::kListModels:
      return "ListModels";
    case Method::kDeleteModel:
      return "DeleteModel";
    case Method::kForward:
      return "Forward";
    case Method::kUpdateParameters:
      return "UpdateParameters";
    case Method::kGetParameters:
      return "GetParameters";
    case Method::kModelInfer:
      return "ModelInfer";
  }
  return "Unknown";
}

absl::string_view StoreOperationName(StoreOperation op) {
  switch (op) {
    case StoreOperation::kCreateModel:
      return "create_model";
    case StoreOperation::kDeleteModel:
      return "delete_model";
    case StoreOperation::kAppendUpdate:
      return "append_update";
    case StoreOperation::kWriteSnapshot:
      return "write_snapshot";
  }
  return "unknown";
}

absl::string_view AuthDenialName(AuthDenial reason) {
  switch (reason) {
    case AuthDenial::kMissingToken:
      return "missing_token";
    case AuthDenial::kInvalidToken:
      return "invalid_token";
    case AuthDenial::kInsufficientRole:
      return "insufficient_role";
  }
  return "unknown";
}

std::unique_ptr<Reporter> NewNullReporter() {
  return std::make_unique<NullReporter>();
}

}  // namespace brainserve::metrics
