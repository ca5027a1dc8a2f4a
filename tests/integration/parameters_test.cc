// UpdateParameters and GetParameters through a real channel: REPLACE / ADD,
// versions, atomicity, expected_version (FAILED_PRECONDITION), and the
// INVALID_ARGUMENT / NOT_FOUND rows for updates and parameter selection.
#include <limits>
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

}  // namespace
}  // namespace brainserve::testing
