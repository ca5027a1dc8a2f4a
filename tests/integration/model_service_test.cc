// Every RPC of brainserve.v1.ModelService through a real channel, and every
// row of the API contract's status table that a request can provoke
// (queue-full and deadline rows live in batching_integration_test.cc).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// input [4] -> fc Linear(8) -> norm LayerNorm -> act ReLU -> head Linear(3)
constexpr char kSmallMlp[] = R"json({
  "name": "small", "seed": 5,
  "spec": {"input_shape": [4], "layers": [
    {"name": "fc", "linear": {"out_size": 8}},
    {"name": "norm", "layer_norm": {}},
    {"name": "act", "activation": {"function": "RELU"}},
    {"name": "head", "linear": {"out_size": 3}}]}})json";

class ModelServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(CreateModel(stub(), CreateRequestFromJson(kSmallMlp)).ok());
  }
  v1::ModelService::Stub& stub() { return server_->stub(); }

  grpc::Status ForwardSmall(v1::ForwardRequest request,
                            v1::ForwardResponse* response = nullptr) {
    v1::ForwardResponse local;
    if (request.model().empty()) request.set_model("small");
    return Forward(stub(), request, response ? response : &local);
  }

  static v1::ForwardRequest Input(v1::Tensor input) {
    v1::ForwardRequest request;
    request.set_model("small");
    *request.mutable_input() = std::move(input);
    return request;
  }

  grpc::Status Update(const v1::UpdateParametersRequest& request,
                      v1::UpdateParametersResponse* response = nullptr) {
    v1::UpdateParametersResponse local;
    return stub().UpdateParameters(Context().get(), request,
                                   response ? response : &local);
  }

  std::unique_ptr<TestServer> server_;
};

void ExpectStatus(const grpc::Status& status, grpc::StatusCode code,
                  const std::string& substring) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(substring));
}

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
  for (const std::string name :
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

// ---- Forward --------------------------------------------------------------

TEST_F(ModelServiceTest, ForwardAnswersInTheRequestEncoding) {
  const std::vector<float> x = RandomValues(2 * 4, 1);
  v1::ForwardResponse by_values, by_raw;
  ASSERT_TRUE(ForwardSmall(Input(ValuesTensor({2, 4}, x)), &by_values).ok());
  ASSERT_TRUE(ForwardSmall(Input(RawTensor({2, 4}, x)), &by_raw).ok());
  EXPECT_THAT(by_values.output().shape(), ElementsAre(2, 3));
  EXPECT_THAT(by_raw.output().shape(), ElementsAre(2, 3));
  EXPECT_EQ(by_values.output().values_size(), 6);
  EXPECT_TRUE(by_values.output().raw().empty());
  EXPECT_EQ(by_raw.output().raw().size(), 6 * sizeof(float));
  EXPECT_EQ(by_raw.output().values_size(), 0);
  EXPECT_EQ(TensorData(by_values.output()), TensorData(by_raw.output()));
  EXPECT_EQ(by_values.version(), 1u);
}

TEST_F(ModelServiceTest, ForwardMalformedTensorsNameTheField) {
  struct Case {
    v1::Tensor input;
    const char* message;
  };
  v1::Tensor both = ValuesTensor({1, 4}, {1, 2, 3, 4});
  both.set_raw(std::string(16, '\0'));
  const std::vector<Case> cases = {
      {both, "input: both values and raw"},
      {ValuesTensor({1, 4}, {}), "input: neither values nor raw"},
      {ValuesTensor({1, 4}, {1, 2, 3}), "input.values: 3 elements, expected 4"},
      {RawTensor({1, 4}, {1, 2, 3}), "input.raw: 12 bytes, expected 16"},
      {ValuesTensor({1, -4}, {1, 2, 3, 4}), "input.shape[1]"},
      {ValuesTensor({4}, {1, 2, 3, 4}), "input.shape"},
      {ValuesTensor({1, 1, 4}, {1, 2, 3, 4}), "input.shape"},
      {ValuesTensor({0, 4}, {}), "input.shape[0]"},
      {ValuesTensor({2, 2}, {1, 2, 3, 4}), "expected [B, 4]"},
  };
  for (const Case& c : cases) {
    ExpectStatus(ForwardSmall(Input(c.input)),
                 grpc::StatusCode::INVALID_ARGUMENT, c.message);
  }
  v1::ForwardRequest no_input;
  no_input.set_model("small");
  ExpectStatus(ForwardSmall(no_input), grpc::StatusCode::INVALID_ARGUMENT,
               "input: missing");
}

TEST_F(ModelServiceTest, ForwardModelNameErrors) {
  v1::ForwardRequest request = Input(ValuesTensor({1, 4}, {1, 2, 3, 4}));
  request.set_model("bad name!");
  ExpectStatus(ForwardSmall(request), grpc::StatusCode::INVALID_ARGUMENT,
               "model");
  request.set_model("unknown");
  ExpectStatus(ForwardSmall(request), grpc::StatusCode::NOT_FOUND, "unknown");
}

TEST_F(ModelServiceTest, ForwardMasks) {
  const std::vector<float> x = RandomValues(2 * 4, 2);
  v1::ForwardRequest request = Input(ValuesTensor({2, 4}, x));
  v1::ForwardResponse plain, all_ones, masked;
  ASSERT_TRUE(ForwardSmall(request, &plain).ok());
  // An all-ones mask is the same as no mask.
  (*request.mutable_masks())["norm"] =
      ValuesTensor({2, 8}, std::vector<float>(16, 1.0f));
  ASSERT_TRUE(ForwardSmall(request, &all_ones).ok());
  EXPECT_EQ(TensorData(plain.output()), TensorData(all_ones.output()));
  // A broadcast mask excluding half the features changes the statistics.
  (*request.mutable_masks())["norm"] =
      ValuesTensor({8}, {1, 1, 1, 1, 0, 0, 0, 0});
  ASSERT_TRUE(ForwardSmall(request, &masked).ok());
  EXPECT_NE(TensorData(plain.output()), TensorData(masked.output()));

  struct Case {
    const char* layer;
    v1::Tensor mask;
    grpc::StatusCode code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"nope", ValuesTensor({8}, std::vector<float>(8, 1)),
       grpc::StatusCode::NOT_FOUND, "masks[\"nope\"]"},
      {"fc", ValuesTensor({4}, std::vector<float>(4, 1)),
       grpc::StatusCode::INVALID_ARGUMENT, "masks[\"fc\"]"},
      {"norm", ValuesTensor({3}, std::vector<float>(3, 1)),
       grpc::StatusCode::INVALID_ARGUMENT, "masks[\"norm\"]"},
      {"norm", ValuesTensor({8}, {1, 1}), grpc::StatusCode::INVALID_ARGUMENT,
       "masks[\"norm\"].values"},
  };
  for (const Case& c : cases) {
    v1::ForwardRequest bad = Input(ValuesTensor({2, 4}, x));
    (*bad.mutable_masks())[c.layer] = c.mask;
    ExpectStatus(ForwardSmall(bad), c.code, c.message);
  }
}

// ---- UpdateParameters / GetParameters ---------------------------------------

v1::UpdateParametersRequest BiasUpdate(v1::ParameterUpdate::Mode mode,
                                       std::vector<float> value) {
  v1::UpdateParametersRequest request;
  request.set_model("small");
  v1::ParameterUpdate* update = request.add_updates();
  update->set_layer("head");
  update->set_name("bias");
  update->set_mode(mode);
  *update->mutable_value() = ValuesTensor({3}, std::move(value));
  return request;
}

std::vector<float> GetHeadBias(v1::ModelService::Stub& stub,
                               uint64_t* version = nullptr) {
  v1::GetParametersRequest request;
  request.set_model("small");
  request.set_layer("head");
  request.set_name("bias");
  v1::GetParametersResponse response;
  EXPECT_TRUE(stub.GetParameters(Context().get(), request, &response).ok());
  if (version != nullptr) *version = response.version();
  if (response.parameters_size() != 1) return {};
  return TensorData(response.parameters(0).value());
}

TEST_F(ModelServiceTest, UpdateReplaceAddAndVersions) {
  v1::UpdateParametersResponse response;
  ASSERT_TRUE(
      Update(BiasUpdate(v1::ParameterUpdate::REPLACE, {1, 2, 3}), &response)
          .ok());
  EXPECT_EQ(response.version(), 2u);
  ASSERT_TRUE(
      Update(BiasUpdate(v1::ParameterUpdate::ADD, {0.5, 0.5, -1}), &response)
          .ok());
  EXPECT_EQ(response.version(), 3u);
  uint64_t version = 0;
  EXPECT_THAT(GetHeadBias(stub(), &version), ElementsAre(1.5f, 2.5f, 2.0f));
  EXPECT_EQ(version, 3u);
  // Raw values work for updates too.
  auto raw = BiasUpdate(v1::ParameterUpdate::REPLACE, {});
  *raw.mutable_updates(0)->mutable_value() = RawTensor({3}, {7, 8, 9});
  ASSERT_TRUE(Update(raw, &response).ok());
  EXPECT_THAT(GetHeadBias(stub()), ElementsAre(7, 8, 9));
  // Forward reports the version that computed it.
  v1::ForwardResponse forward;
  ASSERT_TRUE(
      ForwardSmall(Input(ValuesTensor({1, 4}, {1, 2, 3, 4})), &forward).ok());
  EXPECT_EQ(forward.version(), 4u);
  v1::ModelInfo info;
  v1::GetModelRequest get;
  get.set_name("small");
  ASSERT_TRUE(stub().GetModel(Context().get(), get, &info).ok());
  EXPECT_EQ(info.version(), 4u);
}

TEST_F(ModelServiceTest, UpdateIsAtomicAcrossItsUpdates) {
  // The second update is invalid: nothing of the request applies.
  auto request = BiasUpdate(v1::ParameterUpdate::REPLACE, {1, 2, 3});
  v1::ParameterUpdate* bad = request.add_updates();
  bad->set_layer("fc");
  bad->set_name("bias");
  *bad->mutable_value() = ValuesTensor({3}, {1, 2, 3});  // shape is [8]
  ExpectStatus(Update(request), grpc::StatusCode::INVALID_ARGUMENT,
               "updates[1].value.shape");
  uint64_t version = 0;
  EXPECT_THAT(GetHeadBias(stub(), &version), ElementsAre(0, 0, 0));
  EXPECT_EQ(version, 1u);
}

TEST_F(ModelServiceTest, UpdateExpectedVersion) {
  auto request = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  request.set_expected_version(1);
  v1::UpdateParametersResponse response;
  ASSERT_TRUE(Update(request, &response).ok());
  EXPECT_EQ(response.version(), 2u);
  // Stale expectation: FAILED_PRECONDITION and nothing changes.
  ExpectStatus(Update(request), grpc::StatusCode::FAILED_PRECONDITION,
               "expected_version");
  uint64_t version = 0;
  EXPECT_THAT(GetHeadBias(stub(), &version), ElementsAre(1, 1, 1));
  EXPECT_EQ(version, 2u);
  request.set_expected_version(2);
  ASSERT_TRUE(Update(request, &response).ok());
  EXPECT_EQ(response.version(), 3u);
}

TEST_F(ModelServiceTest, UpdateErrors) {
  auto unknown_model = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  unknown_model.set_model("absent");
  ExpectStatus(Update(unknown_model), grpc::StatusCode::NOT_FOUND, "absent");
  auto unknown_layer = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  unknown_layer.mutable_updates(0)->set_layer("nope");
  ExpectStatus(Update(unknown_layer), grpc::StatusCode::NOT_FOUND,
               "updates[0].layer");
  auto unknown_param = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  unknown_param.mutable_updates(0)->set_name("gain");
  ExpectStatus(Update(unknown_param), grpc::StatusCode::NOT_FOUND,
               "updates[0].name");
  auto activation = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  activation.mutable_updates(0)->set_layer("act");
  ExpectStatus(Update(activation), grpc::StatusCode::NOT_FOUND, "'act'");

  v1::UpdateParametersRequest empty;
  empty.set_model("small");
  ExpectStatus(Update(empty), grpc::StatusCode::INVALID_ARGUMENT, "updates");
  auto bad_shape = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  *bad_shape.mutable_updates(0)->mutable_value() =
      ValuesTensor({1, 3}, {1, 1, 1});
  ExpectStatus(Update(bad_shape), grpc::StatusCode::INVALID_ARGUMENT,
               "updates[0].value.shape: [1, 3], expected [3]");
  auto bad_raw = BiasUpdate(v1::ParameterUpdate::ADD, {});
  *bad_raw.mutable_updates(0)->mutable_value() = RawTensor({3}, {1, 1});
  ExpectStatus(Update(bad_raw), grpc::StatusCode::INVALID_ARGUMENT,
               "updates[0].value.raw: 8 bytes, expected 12");
  auto bad_mode = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  bad_mode.mutable_updates(0)->set_mode(
      static_cast<v1::ParameterUpdate::Mode>(7));
  ExpectStatus(Update(bad_mode), grpc::StatusCode::INVALID_ARGUMENT,
               "updates[0].mode");
  auto missing_value = BiasUpdate(v1::ParameterUpdate::ADD, {});
  missing_value.mutable_updates(0)->clear_value();
  ExpectStatus(Update(missing_value), grpc::StatusCode::INVALID_ARGUMENT,
               "updates[0].value");
  auto non_finite = BiasUpdate(v1::ParameterUpdate::REPLACE,
                               {1, std::numeric_limits<float>::quiet_NaN(), 1});
  EXPECT_EQ(Update(non_finite).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto twice = BiasUpdate(v1::ParameterUpdate::ADD, {1, 1, 1});
  *twice.add_updates() = twice.updates(0);
  ExpectStatus(Update(twice), grpc::StatusCode::INVALID_ARGUMENT, "updates[1]");
  uint64_t version = 0;
  EXPECT_THAT(GetHeadBias(stub(), &version), ElementsAre(0, 0, 0));
  EXPECT_EQ(version, 1u);
}

TEST_F(ModelServiceTest, GetParametersSelection) {
  v1::GetParametersRequest request;
  v1::GetParametersResponse response;
  request.set_model("small");
  ASSERT_TRUE(stub().GetParameters(Context().get(), request, &response).ok());
  EXPECT_EQ(response.version(), 1u);
  ASSERT_EQ(response.parameters_size(), 6);
  EXPECT_EQ(response.parameters(2).layer(), "norm");
  EXPECT_EQ(response.parameters(2).name(), "scale");
  EXPECT_THAT(TensorData(response.parameters(2).value()),
              ::testing::Each(1.0f));  // LayerNorm's default scale init
  EXPECT_FALSE(response.parameters(0).value().values().empty());  // values

  request.set_layer("head");
  ASSERT_TRUE(stub().GetParameters(Context().get(), request, &response).ok());
  ASSERT_EQ(response.parameters_size(), 2);
  EXPECT_THAT(response.parameters(0).value().shape(), ElementsAre(8, 3));

  request.set_layer("");
  request.set_name("bias");  // every layer's bias
  ASSERT_TRUE(stub().GetParameters(Context().get(), request, &response).ok());
  ASSERT_EQ(response.parameters_size(), 3);

  request.set_layer("act");  // a layer without parameters
  request.set_name("");
  ASSERT_TRUE(stub().GetParameters(Context().get(), request, &response).ok());
  EXPECT_EQ(response.parameters_size(), 0);

  request.set_layer("nope");
  ExpectStatus(stub().GetParameters(Context().get(), request, &response),
               grpc::StatusCode::NOT_FOUND, "layer");
  request.set_layer("fc");
  request.set_name("gain");
  ExpectStatus(stub().GetParameters(Context().get(), request, &response),
               grpc::StatusCode::NOT_FOUND, "gain");
  request.set_model("absent");
  ExpectStatus(stub().GetParameters(Context().get(), request, &response),
               grpc::StatusCode::NOT_FOUND, "absent");
  request.set_model("");
  ExpectStatus(stub().GetParameters(Context().get(), request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "model");
}

// ---- Limits ---------------------------------------------------------------

constexpr char kWide[] = R"json({"name": "%s", "spec": {"input_shape": [64],
    "layers": [{"linear": {"out_size": 64}}]}})json";  // 16640 bytes

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
  options.limits.max_model_parameter_bytes = 20000;
  options.limits.max_total_parameter_bytes = 40000;
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
