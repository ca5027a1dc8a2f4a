// The startup model file (--models_file): the bundled examples load and
// serve, and every kind of bad file fails Start() naming the file and index.
#include "server/startup_models.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(StartupModelsTest, BundledExamplesLoadAndServe) {
  auto options = TestServerOptions();
  options.models_file = SourcePath("examples/models.json");
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  v1::ListModelsResponse list;
  ASSERT_TRUE(server->stub()
                  .ListModels(Context().get(), v1::ListModelsRequest(), &list)
                  .ok());
  ASSERT_EQ(list.models_size(), 3);
  EXPECT_EQ(list.models(0).name(), "conv");
  EXPECT_THAT(list.models(0).output_shape(), ElementsAre(64, 16));
  EXPECT_EQ(list.models(1).name(), "identity");
  EXPECT_EQ(list.models(2).name(), "mlp");
  EXPECT_THAT(list.models(2).output_shape(), ElementsAre(10));

  const std::vector<float> x = RandomValues(64, 3);
  v1::ForwardRequest request;
  request.set_model("identity");
  *request.mutable_input() = ValuesTensor({1, 64}, x);
  v1::ForwardResponse response;
  ASSERT_TRUE(Forward(server->stub(), request, &response).ok());
  EXPECT_EQ(TensorData(response.output()), x);
  request.set_model("mlp");
  ASSERT_TRUE(Forward(server->stub(), request, &response).ok());
  EXPECT_THAT(response.output().shape(), ElementsAre(1, 10));
  request.set_model("conv");
  *request.mutable_input() =
      RawTensor({2, 128, 64}, RandomValues(2 * 128 * 64, 4));
  ASSERT_TRUE(Forward(server->stub(), request, &response).ok());
  EXPECT_THAT(response.output().shape(), ElementsAre(2, 64, 16));
}

TEST(StartupModelsTest, W2BenchmarkModelLoadsWithItsBatching) {
  auto options = TestServerOptions();
  options.models_file = SourcePath("examples/w2.json");
  auto server = TestServer::Start(options);
  ASSERT_NE(server, nullptr);
  v1::GetModelRequest get;
  get.set_name("w2");
  v1::ModelInfo info;
  ASSERT_TRUE(server->stub().GetModel(Context().get(), get, &info).ok());
  EXPECT_EQ(info.batching().max_batch_size(), 64);
  EXPECT_THAT(info.input_shape(), ElementsAre(1024));
  EXPECT_THAT(info.output_shape(), ElementsAre(256));
}

void ExpectStartFails(const std::string& path,
                      const std::vector<std::string>& substrings) {
  auto options = TestServerOptions();
  options.models_file = path;
  auto server = server::Server::Create(options);
  ASSERT_TRUE(server.ok());
  const absl::Status status = (*server)->Start();
  EXPECT_FALSE(status.ok());
  for (const std::string& s : substrings) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(s));
  }
}

TEST(StartupModelsTest, BadFilesFailStartNamingFileAndIndex) {
  const std::string missing = ::testing::TempDir() + "/does-not-exist.json";
  ExpectStartFails(missing, {missing});
  const std::string malformed = WriteTemp("malformed.json", "[{\"name\": ");
  ExpectStartFails(malformed, {malformed, "malformed JSON"});
  const std::string object = WriteTemp("object.json", "{\"name\": \"x\"}");
  ExpectStartFails(object, {object, "array"});
  const std::string unknown_field =
      WriteTemp("unknown_field.json",
                R"([{"name": "ok", "spec": {"input_shape": [2]}},
          {"name": "bad", "spek": {}}])");
  ExpectStartFails(unknown_field, {unknown_field, "element [1]"});
  const std::string bad_spec =
      WriteTemp("bad_spec.json",
                R"([{"name": "broken", "spec": {"input_shape": [2],
          "layers": [{"linear": {"out_size": 0}}]}}])");
  ExpectStartFails(bad_spec, {bad_spec, "element [0]", "'broken'", "out_size"});
  const std::string duplicate =
      WriteTemp("duplicate.json",
                R"([{"name": "d", "spec": {"input_shape": [2]}},
          {"name": "d", "spec": {"input_shape": [2]}}])");
  ExpectStartFails(duplicate, {duplicate, "element [1]", "already exists"});
  const std::string not_object = WriteTemp("not_object.json", "[1]");
  ExpectStartFails(not_object, {not_object, "element [0]"});
}

TEST(StartupModelsTest, ParsesLargeSeedsExactlyAndStringsWithBrackets) {
  auto requests = server::ParseModelsJson(
      R"([{"name": "a", "seed": 18446744073709551615,
           "spec": {"input_shape": [1]}},
          {"name": "b", "seed": "12345678901234567", "spec": {"layers": [
           {"name": "x,]}[{\"", "activation": {}}], "input_shape": [1]}}])",
      "inline");
  ASSERT_TRUE(requests.ok()) << requests.status();
  ASSERT_EQ(requests->size(), 2u);
  EXPECT_EQ((*requests)[0].seed(), 18446744073709551615ull);
  EXPECT_EQ((*requests)[1].seed(), 12345678901234567ull);
  EXPECT_EQ((*requests)[1].spec().layers(0).name(), "x,]}[{\"");
  auto empty = server::ParseModelsJson(" [ ] ", "inline");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace brainserve::testing
