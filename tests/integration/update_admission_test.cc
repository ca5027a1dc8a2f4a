// Issue 12, item 2: an update's peak memory is counted before it is
// prepared. Unit tests of the estimate (admission/update_cost.h) and of the
// registry's hold on --max_total_parameter_bytes, then the whole path in a
// real server on port 0: refused with RESOURCE_EXHAUSTED naming the flag and
// the cost, and the model keeps serving its old version.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/admission/update_cost.h"
#include "server/model_registry.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kWidth = 512;  // [512] -> linear(512): a 1 MiB weight
constexpr int64_t kWeightBytes = kWidth * kWidth * 4;
constexpr int64_t kBiasBytes = kWidth * 4;
// Holds the model (~1 MiB of parameters) and a bias update, not the 2 MiB
// more of a weight REPLACE.
constexpr int64_t kTotalLimit = int64_t{5} << 19;  // 2.5 MiB

v1::UpdateParametersRequest OneUpdate(const std::string& name,
                                      v1::ParameterUpdate::Mode mode) {
  v1::UpdateParametersRequest request;
  request.set_model("m");
  v1::ParameterUpdate* update = request.add_updates();
  update->set_layer("fc");
  update->set_name(name);
  update->set_mode(mode);
  const int64_t count = name == "weight" ? kWidth * kWidth : kWidth;
  *update->mutable_value() =
      name == "weight"
          ? RawTensor({kWidth, kWidth}, std::vector<float>(count, 0.5f))
          : RawTensor({kWidth}, std::vector<float>(count, 0.5f));
  return request;
}

std::unique_ptr<engine::Model> WideModel() {
  auto request = CreateRequestFromJson(absl::StrCat(
      R"({"name": "m", "spec": {"input_shape": [)", kWidth,
      R"(], "layers": [{"name": "fc", "linear": {"out_size": )", kWidth,
      "}}]}}"));
  auto model = engine::Model::Create(request.spec(), 1);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *std::move(model) : nullptr;
}

TEST(UpdateCostTest, CountsDecodedValuesNewValuesAndDerivedWeights) {
  auto model = WideModel();
  ASSERT_NE(model, nullptr);
  // A bias REPLACE moved into the snapshot: the decoded bias, and the
  // bias's packed copy (the packed weight is shared).
  auto bias = server::admission::EstimateUpdateCost(
      *model, OneUpdate("bias", v1::ParameterUpdate::REPLACE), true);
  EXPECT_EQ(bias.decoded_bytes, kBiasBytes);
  EXPECT_EQ(bias.value_bytes, 0);
  EXPECT_EQ(bias.derived_bytes, kBiasBytes);
  // An ADD copies the current value too.
  auto add = server::admission::EstimateUpdateCost(
      *model, OneUpdate("bias", v1::ParameterUpdate::ADD), true);
  EXPECT_EQ(add.value_bytes, kBiasBytes);
  // A weight REPLACE re-packs the weight (at least its size) and the bias;
  // without the move (a shared store) the value is copied as well.
  auto weight = server::admission::EstimateUpdateCost(
      *model, OneUpdate("weight", v1::ParameterUpdate::REPLACE), false);
  EXPECT_EQ(weight.decoded_bytes, kWeightBytes);
  EXPECT_EQ(weight.value_bytes, kWeightBytes);
  EXPECT_GE(weight.derived_bytes, kWeightBytes + kBiasBytes);
  EXPECT_LT(weight.derived_bytes, 2 * kWeightBytes);
  EXPECT_EQ(weight.total_bytes(), weight.decoded_bytes + weight.value_bytes +
                                      weight.derived_bytes);
  // Unknown names cost nothing (validation refuses them next).
  auto unknown = server::admission::EstimateUpdateCost(
      *model, OneUpdate("nope", v1::ParameterUpdate::REPLACE), true);
  EXPECT_EQ(unknown.total_bytes(), 0);
}

TEST(ModelRegistryTest, UpdatesHoldBytesAgainstTheTotalLimit) {
  auto reporter = metrics::NewNullReporter();
  server::ModelRegistryLimits limits;
  limits.max_total_parameter_bytes = 1000;
  server::ModelRegistry registry(limits, reporter.get());
  ASSERT_TRUE(registry.Reserve("a").ok());
  ASSERT_TRUE(registry.ReserveBytes("a", 600).ok());
  ASSERT_TRUE(registry.HoldUpdateBytes("a", 300, "x").ok());
  EXPECT_EQ(registry.total_parameter_bytes(), 900);
  // A second update in progress does not fit beside the first.
  const absl::Status refused = registry.HoldUpdateBytes("a", 101, "why");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              HasSubstr("update of model 'a' needs 101 bytes while it is "
                        "prepared (why); with the 900 bytes"));
  EXPECT_THAT(refused.message(),
              HasSubstr("--max_total_parameter_bytes=1000"));
  // Released: it fits again, and creating a model sees the freed bytes.
  registry.ReleaseUpdateBytes(300);
  EXPECT_EQ(registry.total_parameter_bytes(), 600);
  EXPECT_TRUE(registry.HoldUpdateBytes("a", 400, "x").ok());
  registry.ReleaseUpdateBytes(400);
}

// A real server whose total byte limit holds the model (1 MiB weight plus
// workspace) but not a weight REPLACE's peak: refused naming the flag and
// the cost; a bias update fits; the model keeps its version and outputs.
TEST(UpdateAdmissionTest, AnUpdateOverTheTotalLimitIsRefusedBeforeItIsPrepared) {
  auto options = TestServerOptions();
  options.limits.max_total_parameter_bytes = kTotalLimit;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  auto create = CreateRequestFromJson(absl::StrCat(
      R"({"name": "m", "spec": {"input_shape": [)", kWidth,
      R"(], "layers": [{"name": "fc", "linear": {"out_size": )", kWidth,
      R"(}}]}, "batching": {"max_batch_size": 4}})"));
  ASSERT_TRUE(CreateModel(server->stub(), create).ok());

  v1::ForwardRequest forward;
  forward.set_model("m");
  *forward.mutable_input() = RawTensor({1, kWidth}, RandomValues(kWidth, 3));
  v1::ForwardResponse before;
  ASSERT_TRUE(Forward(server->stub(), forward, &before).ok());

  // 1 MiB decoded + >= 1 MiB packed: 2 MiB on top of the model's ~1 MiB.
  v1::UpdateParametersResponse updated;
  const grpc::Status refused = server->stub().UpdateParameters(
      Context().get(), OneUpdate("weight", v1::ParameterUpdate::REPLACE),
      &updated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("update of model 'm' needs "));
  EXPECT_THAT(refused.error_message(),
              HasSubstr(absl::StrCat("(decoded request ", kWeightBytes,
                                     ", new values 0, derived weights ")));
  EXPECT_THAT(refused.error_message(),
              HasSubstr(absl::StrCat("--max_total_parameter_bytes=",
                                     kTotalLimit)));

  // Still version 1, same outputs; a small update still fits and the hold
  // of the refused one was not leaked.
  v1::ForwardResponse after;
  ASSERT_TRUE(Forward(server->stub(), forward, &after).ok());
  EXPECT_EQ(after.version(), 1u);
  EXPECT_EQ(TensorData(after.output()), TensorData(before.output()));
  for (int i = 0; i < 3; ++i) {
    const grpc::Status bias = server->stub().UpdateParameters(
        Context().get(), OneUpdate("bias", v1::ParameterUpdate::REPLACE),
        &updated);
    ASSERT_TRUE(bias.ok()) << bias.error_message();
    EXPECT_EQ(updated.version(), 2u + i);
  }
}

}  // namespace
}  // namespace brainserve::testing
