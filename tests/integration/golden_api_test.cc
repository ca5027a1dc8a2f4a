// Every case of tests/data/layers.json through the gRPC API, with both tensor
// encodings: CreateModel, UpdateParameters (REPLACE with the golden
// parameters), Forward (with masks), compared with
// |got - want| <= 1e-5 + 1e-4 |want|. Error cases must fail CreateModel with
// the expected code.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "protos/golden.pb.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

GoldenFile LoadGolden() {
  std::ifstream in(SourcePath("tests/data/layers.json"));
  std::stringstream text;
  text << in.rdbuf();
  GoldenFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // tolerate future annotations
  auto status =
      google::protobuf::util::JsonStringToMessage(text.str(), &file, options);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return file;
}

v1::Tensor Encode(const v1::Tensor& tensor, bool raw) {
  if (!raw) return tensor;
  return RawTensor({tensor.shape().begin(), tensor.shape().end()},
                   TensorData(tensor));
}

v1::ModelSpec SpecOf(const GoldenCase& c) {
  v1::ModelSpec spec;
  spec.mutable_input_shape()->CopyFrom(c.input_shape());
  if (c.has_layer()) {
    *spec.add_layers() = c.layer();
  } else {
    spec.mutable_layers()->CopyFrom(c.layers());
  }
  return spec;
}

std::string LayerName(const v1::ModelSpec& spec, int index) {
  const std::string& name = spec.layers(index).name();
  return name.empty() ? absl::StrCat(index) : name;
}

// "param" (one-layer case) or "layer/param".
std::pair<std::string, std::string> ParamAddress(const v1::ModelSpec& spec,
                                                 const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, '/');
  if (parts.size() == 2) return {parts[0], parts[1]};
  return {LayerName(spec, 0), key};
}

grpc::StatusCode CodeFromName(const std::string& name) {
  for (int code = 0; code <= 16; ++code) {
    if (absl::StatusCodeToString(static_cast<absl::StatusCode>(code)) == name) {
      return static_cast<grpc::StatusCode>(code);
    }
  }
  ADD_FAILURE() << "unknown code name " << name;
  return grpc::StatusCode::UNKNOWN;
}

class GoldenApiTest : public ::testing::TestWithParam<bool> {
 protected:
  void RunCase(const GoldenCase& c, bool raw) {
    SCOPED_TRACE(absl::StrCat(c.name(), raw ? " (raw)" : " (values)"));
    v1::CreateModelRequest create;
    create.set_name(absl::StrCat("g-", c.name()));
    *create.mutable_spec() = SpecOf(c);
    const grpc::Status created = CreateModel(server_->stub(), create);
    if (!c.error().empty()) {
      EXPECT_EQ(created.error_code(), CodeFromName(c.error()))
          << created.error_message();
      return;
    }
    ASSERT_TRUE(created.ok()) << created.error_message();

    v1::UpdateParametersRequest update;
    update.set_model(create.name());
    update.set_expected_version(1);
    for (const auto& [key, value] : c.params()) {
      auto [layer, name] = ParamAddress(create.spec(), key);
      v1::ParameterUpdate* u = update.add_updates();
      u->set_layer(layer);
      u->set_name(name);
      u->set_mode(v1::ParameterUpdate::REPLACE);
      *u->mutable_value() = Encode(value, raw);
    }
    v1::UpdateParametersResponse updated;
    if (update.updates_size() > 0) {
      const grpc::Status status =
          server_->stub().UpdateParameters(Context().get(), update, &updated);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(updated.version(), 2u);
    }

    v1::ForwardRequest forward;
    forward.set_model(create.name());
    *forward.mutable_input() = Encode(c.input(), raw);
    if (c.has_mask()) {
      for (int i = 0; i < create.spec().layers_size(); ++i) {
        if (create.spec().layers(i).has_layer_norm()) {
          (*forward.mutable_masks())[LayerName(create.spec(), i)] =
              Encode(c.mask(), raw);
          break;
        }
      }
    }
    for (const auto& [layer, mask] : c.masks()) {
      (*forward.mutable_masks())[layer] = Encode(mask, raw);
    }
    v1::ForwardResponse response;
    const grpc::Status status = Forward(server_->stub(), forward, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.version(), update.updates_size() > 0 ? 2u : 1u);
    EXPECT_EQ(!response.output().raw().empty(), raw) << "response encoding";
    ASSERT_EQ(std::vector<int64_t>(response.output().shape().begin(),
                                   response.output().shape().end()),
              std::vector<int64_t>(c.output().shape().begin(),
                                   c.output().shape().end()));
    const std::vector<float> got = TensorData(response.output());
    const std::vector<float> want = TensorData(c.output());
    ASSERT_EQ(got.size(), want.size());
    int bad = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double tolerance = 1e-5 + 1e-4 * std::fabs(want[i]);
      if (!(std::fabs(got[i] - want[i]) <= tolerance) && bad++ < 5) {
        ADD_FAILURE() << "output[" << i << "] = " << got[i] << ", want "
                      << want[i];
      }
    }
    EXPECT_EQ(bad, 0);

    v1::DeleteModelRequest del;
    del.set_name(create.name());
    v1::DeleteModelResponse deleted;
    EXPECT_TRUE(
        server_->stub().DeleteModel(Context().get(), del, &deleted).ok());
  }

  std::unique_ptr<TestServer> server_ = TestServer::Start();
};

TEST_P(GoldenApiTest, EveryCase) {
  ASSERT_NE(server_, nullptr);
  const GoldenFile golden = LoadGolden();
  ASSERT_GT(golden.cases_size(), 40);
  for (const GoldenCase& c : golden.cases()) RunCase(c, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Encodings, GoldenApiTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Raw" : "Values";
                         });

}  // namespace
}  // namespace brainserve::testing
