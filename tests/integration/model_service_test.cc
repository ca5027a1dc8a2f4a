// CreateModel, GetModel, ListModels and DeleteModel through a real channel,
// with their rows of the contract's status table: INVALID_ARGUMENT (name,
// spec, batching options), NOT_FOUND, ALREADY_EXISTS, RESOURCE_EXHAUSTED
// (max_models, max_model_parameter_bytes, max_total_parameter_bytes).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/small_model_fixture.h"

namespace brainserve::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- CreateModel / GetModel / ListModels / DeleteModel --------------------

TEST_F(ModelServiceTest, CreateModelReportsShapesParametersAndBatching) {
  v1::ModelInfo info;
  auto request = CreateRequestFromJson(kSmallMlp);
  request.set_name("small2");
  request.mutable_batching()->set_max_batch_size(8);
  ASSERT_TRUE(CreateModel(stub(), request, &info).ok());
  EXPECT_EQ(info.name(), "small2");
  EXPECT_THAT(info.input_shape(), ElementsAre(4));
  EXPECT_THAT(info.output_shape(), ElementsAre(3));
  EXPECT_EQ(info.version(), 1u);
  EXPECT_EQ(info.spec().layers_size(), 4);
  ASSERT_EQ(info.parameters_size(), 6);  // fc w,b; norm scale,bias; head w,b
  EXPECT_EQ(info.parameters(0).layer(), "fc");
  EXPECT_EQ(info.parameters(0).name(), "weight");
  EXPECT_THAT(info.parameters(0).shape(), ElementsAre(4, 8));
  // Effective batching: the requested field plus the server defaults.
  EXPECT_EQ(info.batching().max_batch_size(), 8);
  const server::ModelBatchingOptions defaults;
  EXPECT_EQ(info.batching().max_queue_delay_us(), defaults.max_queue_delay_us);
  EXPECT_EQ(info.batching().max_queue_size(), defaults.max_queue_size);
  EXPECT_EQ(info.batching().num_batch_workers(), defaults.num_batch_workers);
}

TEST_F(ModelServiceTest, SameSpecAndSeedGiveSameParameters) {
  auto request = CreateRequestFromJson(kSmallMlp);
  request.set_name("twin");
  ASSERT_TRUE(CreateModel(stub(), request).ok());
  v1::GetParametersRequest get;
  v1::GetParametersResponse a, b;
  get.set_model("small");
  ASSERT_TRUE(stub().GetParameters(Context().get(), get, &a).ok());
  get.set_model("twin");
  ASSERT_TRUE(stub().GetParameters(Context().get(), get, &b).ok());
  ASSERT_EQ(a.parameters_size(), b.parameters_size());
  for (int i = 0; i < a.parameters_size(); ++i) {
    EXPECT_EQ(TensorData(a.parameters(i).value()),
              TensorData(b.parameters(i).value()));
  }
}

TEST_F(ModelServiceTest, CreateModelInvalidNames) {
  for (const std::string& name :
       {std::string(""), std::string("-lead"), std::string("has space"),
        std::string("sl/ash"), std::string(129, 'a')}) {
    auto request = CreateRequestFromJson(kSmallMlp);
    request.set_name(name);
    ExpectStatus(CreateModel(stub(), request),
                 grpc::StatusCode::INVALID_ARGUMENT, "name");
  }
  auto request = CreateRequestFromJson(kSmallMlp);
  request.set_name(std::string(128, 'a'));
  EXPECT_TRUE(CreateModel(stub(), request).ok()) << "128 characters is legal";
  request.set_name("a._-9");
  EXPECT_TRUE(CreateModel(stub(), request).ok());
}

TEST_F(ModelServiceTest, CreateModelMalformedSpecNamesLayerAndField) {
  ExpectStatus(CreateModel(stub(), CreateRequestFromJson(R"({"name": "x"})")),
               grpc::StatusCode::INVALID_ARGUMENT, "spec");
  ExpectStatus(
      CreateModel(stub(), CreateRequestFromJson(R"({"name": "x", "spec": {
          "input_shape": [4], "layers": [{"name": "fc", "linear": {}}]}})")),
      grpc::StatusCode::INVALID_ARGUMENT, "out_size");
  const grpc::Status padding =
      CreateModel(stub(), CreateRequestFromJson(R"({"name": "x", "spec": {
          "input_shape": [8, 2], "layers": [{"name": "c", "scaled_ws_conv1d":
          {"out_channels": 2, "kernel_size": 3, "padding": {"mode": "same"}}}]}})"));
  ExpectStatus(padding, grpc::StatusCode::INVALID_ARGUMENT, "padding");
  EXPECT_THAT(padding.error_message(), HasSubstr("\"c\""));
}

TEST_F(ModelServiceTest, CreateModelInvalidBatchingOptionsNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (const Case& c : {
           Case{R"({"max_batch_size": 0})", "batching.max_batch_size"},
           Case{R"({"max_queue_delay_us": -1})", "batching.max_queue_delay_us"},
           Case{R"({"max_queue_size": 0})", "batching.max_queue_size"},
           Case{R"({"num_batch_workers": 0})", "batching.num_batch_workers"},
           Case{R"({"num_batch_workers": 100000})",
                "batching.num_batch_workers"},
       }) {
    auto request = CreateRequestFromJson(
        absl::StrCat(R"({"name": "b", "spec": {"input_shape": [4]},
                       "batching": )",
                     c.json, "}"));
    ExpectStatus(CreateModel(stub(), request),
                 grpc::StatusCode::INVALID_ARGUMENT, c.field);
  }
}

TEST_F(ModelServiceTest, CreateModelNameInUseIsAlreadyExists) {
  ExpectStatus(CreateModel(stub(), CreateRequestFromJson(kSmallMlp)),
               grpc::StatusCode::ALREADY_EXISTS, "small");
}

TEST_F(ModelServiceTest, GetListAndDeleteModel) {
  v1::ModelInfo info;
  v1::GetModelRequest get;
  get.set_name("small");
  ASSERT_TRUE(stub().GetModel(Context().get(), get, &info).ok());
  EXPECT_EQ(info.name(), "small");
  EXPECT_EQ(info.version(), 1u);

  auto second = CreateRequestFromJson(R"({"name": "a-first",
      "spec": {"input_shape": [2]}})");
  ASSERT_TRUE(CreateModel(stub(), second).ok());
  v1::ListModelsResponse list;
  ASSERT_TRUE(
      stub().ListModels(Context().get(), v1::ListModelsRequest(), &list).ok());
  ASSERT_EQ(list.models_size(), 2);
  EXPECT_EQ(list.models(0).name(), "a-first");  // ordered by name
  EXPECT_EQ(list.models(1).name(), "small");

  v1::DeleteModelRequest del;
  v1::DeleteModelResponse deleted;
  del.set_name("small");
  ASSERT_TRUE(stub().DeleteModel(Context().get(), del, &deleted).ok());
  ExpectStatus(stub().GetModel(Context().get(), get, &info),
               grpc::StatusCode::NOT_FOUND, "small");
  ExpectStatus(stub().DeleteModel(Context().get(), del, &deleted),
               grpc::StatusCode::NOT_FOUND, "small");
  ExpectStatus(ForwardSmall(Input(ValuesTensor({1, 4}, {1, 2, 3, 4}))),
               grpc::StatusCode::NOT_FOUND, "small");
  list.Clear();
  ASSERT_TRUE(
      stub().ListModels(Context().get(), v1::ListModelsRequest(), &list).ok());
  ASSERT_EQ(list.models_size(), 1);
  // The name is free again.
  EXPECT_TRUE(CreateModel(stub(), CreateRequestFromJson(kSmallMlp)).ok());
}

TEST_F(ModelServiceTest, GetAndDeleteWithInvalidOrUnknownName) {
  v1::ModelInfo info;
  v1::GetModelRequest get;
  get.set_name("no such");
  ExpectStatus(stub().GetModel(Context().get(), get, &info),
               grpc::StatusCode::INVALID_ARGUMENT, "name");
  get.set_name("absent");
  ExpectStatus(stub().GetModel(Context().get(), get, &info),
               grpc::StatusCode::NOT_FOUND, "absent");
  v1::DeleteModelRequest del;
  v1::DeleteModelResponse deleted;
  del.set_name("");
  ExpectStatus(stub().DeleteModel(Context().get(), del, &deleted),
               grpc::StatusCode::INVALID_ARGUMENT, "name");
}

// ---- Limits ---------------------------------------------------------------

constexpr char kWide[] = R"json({"name": "%s", "spec": {"input_shape": [64],
    "layers": [{"linear": {"out_size": 64}}]}})json";
// 16640 parameter bytes + 4096 of workspace (one step: no activation buffer,
// the scratchpad allowance) = 20736 bytes held against the model limits.

v1::CreateModelRequest Wide(const std::string& name) {
  std::string json = kWide;
  json.replace(json.find("%s"), 2, name);
  return CreateRequestFromJson(json);
}

TEST(ModelLimitsTest, MaxModels) {
  auto options = TestServerOptions();
  options.limits.max_models = 2;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(CreateModel(server->stub(), Wide("a")).ok());
  ASSERT_TRUE(CreateModel(server->stub(), Wide("b")).ok());
  ExpectStatus(CreateModel(server->stub(), Wide("c")),
               grpc::StatusCode::RESOURCE_EXHAUSTED, "max_models");
  v1::DeleteModelRequest del;
  v1::DeleteModelResponse deleted;
  del.set_name("a");
  ASSERT_TRUE(server->stub().DeleteModel(Context().get(), del, &deleted).ok());
  EXPECT_TRUE(CreateModel(server->stub(), Wide("c")).ok());
}

TEST(ModelLimitsTest, ParameterBytesPerModelAndTotal) {
  auto options = TestServerOptions();
  // Limits count parameters and one pass of workspace (kWide: 20736).
  options.limits.max_model_parameter_bytes = 24000;
  options.limits.max_total_parameter_bytes = 48000;
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  auto big = CreateRequestFromJson(R"({"name": "big", "spec": {
      "input_shape": [128], "layers": [{"linear": {"out_size": 64}}]}})");
  ExpectStatus(CreateModel(server->stub(), big),
               grpc::StatusCode::RESOURCE_EXHAUSTED,
               "max_model_parameter_bytes");
  ASSERT_TRUE(CreateModel(server->stub(), Wide("a")).ok());
  ASSERT_TRUE(CreateModel(server->stub(), Wide("b")).ok());
  ExpectStatus(CreateModel(server->stub(), Wide("c")),
               grpc::StatusCode::RESOURCE_EXHAUSTED,
               "max_total_parameter_bytes");
  // A failed creation leaves no trace: the name is free, deletion frees bytes.
  v1::DeleteModelRequest del;
  v1::DeleteModelResponse deleted;
  del.set_name("a");
  ASSERT_TRUE(server->stub().DeleteModel(Context().get(), del, &deleted).ok());
  EXPECT_TRUE(CreateModel(server->stub(), Wide("c")).ok());
}

}  // namespace
}  // namespace brainserve::testing
