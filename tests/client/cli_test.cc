// brainserve-cli run in-process (RunCli) against FakeModelService: checks
// what each subcommand sends, what it prints, and its exit codes.
#include "client/cli.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/host_tensor.h"
#include "client/npy.h"
#include "client/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_model_service.h"

namespace brainserve::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace v1 = ::brainserve::v1;

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat(
               "cli_test_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    testing::FakeModelService::Script script;
    script.version = 9;
    v1::ModelInfo* a = script.list.add_models();
    a->set_name("zeta");
    a->set_version(2);
    a->add_input_shape(3);
    a->add_output_shape(2);
    v1::ModelInfo* b = script.list.add_models();
    b->set_name("alpha");
    b->set_version(1);
    b->add_input_shape(4);
    b->add_output_shape(4);
    script.model = *a;
    v1::LayerSpec* layer = script.model.mutable_spec()->add_layers();
    layer->set_name("fc");
    layer->mutable_linear()->set_out_size(2);
    layer->mutable_linear()->mutable_b_init()->mutable_none();
    layer->mutable_linear()->mutable_w_init()->mutable_constant()->set_value(
        0.5f);
    v1::ParameterInfo* weight = script.model.add_parameters();
    weight->set_layer("fc");
    weight->set_name("weight");
    weight->add_shape(3);
    weight->add_shape(2);
    v1::Parameter* value = script.parameters.add_parameters();
    value->set_layer("fc");
    value->set_name("weight");
    *value->mutable_value() =
        ToProto(HostTensor{{3, 2}, {1, 2, 3, 4, 5, 6}}, TensorEncoding::kRaw);
    server_.service().SetScript(script);
  }

  CliResult Run(std::vector<std::string> args,
                const std::string& stdin_text = "") {
    args.insert(args.begin(), "--server=" + server_.address());
    return RunWithoutServer(args, stdin_text);
  }

  CliResult RunWithoutServer(const std::vector<std::string>& args,
                             const std::string& stdin_text = "") {
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    const int code = RunCli(args, in, out, err);
    return {code, out.str(), err.str()};
  }

  std::string Path(const std::string& name) const { return dir_ / name; }

  std::string WriteText(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }

  testing::FakeServer server_;
  std::filesystem::path dir_;
};

TEST_F(CliTest, ListPrintsSortedTable) {
  CliResult result = Run({"list"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "NAME   VERSION  INPUT  OUTPUT  LAYERS  PARAMETERS\n"
            "alpha  1        [4]    [4]     0       0\n"
            "zeta   2        [3]    [2]     0       0\n");
}

TEST_F(CliTest, ListJson) {
  CliResult result = Run({"list", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"name\":\"zeta\""));
  EXPECT_THAT(result.out, HasSubstr("\"input_shape\":[\"3\"]"));
}

TEST_F(CliTest, GetShowsLayersAndParameters) {
  CliResult result = Run({"get", "zeta"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server_.service().last_name(), "zeta");
  EXPECT_THAT(result.out, HasSubstr("name:          zeta\n"));
  EXPECT_THAT(result.out, HasSubstr("version:       2\n"));
  EXPECT_THAT(result.out,
              HasSubstr("  fc    linear  out_size=2 "
                        "w_init(constant(value=0.5)) b_init(none)\n"));
  EXPECT_THAT(result.out, HasSubstr("  fc     weight  [3, 2]  6\n"));
}

TEST_F(CliTest, ForwardJsonStdinRawByDefault) {
  CliResult result = Run({"forward", "zeta"}, "[[1, 2, 3]]");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  v1::ForwardRequest sent = server_.service().last_forward();
  EXPECT_EQ(sent.model(), "zeta");
  EXPECT_THAT(sent.input().shape(), ElementsAre(1, 3));
  EXPECT_EQ(sent.input().raw().size(), 12u);
  EXPECT_EQ(sent.input().values_size(), 0);
  EXPECT_EQ(result.out, "version 9, output shape [1, 3]\n[[1, 2, 3]]\n");
}

TEST_F(CliTest, ForwardValuesEncodingAndJsonOutput) {
  const std::string input = WriteText("in.json", "[[0.5, -1]]");
  CliResult result =
      Run({"forward", "zeta", "--input", input, "--encoding=values", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(server_.service().last_forward().input().values(),
              ElementsAre(0.5f, -1.0f));
  EXPECT_EQ(result.out,
            "{\"output\":{\"shape\":[\"1\",\"2\"],\"values\":[0.5,-1]},"
            "\"version\":\"9\"}\n");
}

TEST_F(CliTest, ForwardNpyInOutRoundTrip) {
  const HostTensor tensor{{2, 2}, {1.5f, 2.5f, -3.0f, 4.0f}};
  ASSERT_TRUE(WriteTensor(Path("in.npy"), tensor).ok());
  CliResult result = Run({"forward", "zeta", "--input", Path("in.npy"),
                          "--output", Path("out.npy")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, absl::StrCat("version 9, output shape [2, 2], "
                                     "written to ",
                                     Path("out.npy"), "\n"));
  std::ifstream in_file(Path("out.npy"), std::ios::binary);
  absl::StatusOr<HostTensor> back = ReadTensor(Path("out.npy"), in_file);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->shape, tensor.shape);
  EXPECT_EQ(back->values, tensor.values);

  // Without the .npy suffix the output is JSON.
  result = Run({"forward", "zeta", "--input", Path("in.npy"), "--output",
                Path("out.json")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream json(Path("out.json"));
  std::string text((std::istreambuf_iterator<char>(json)), {});
  EXPECT_EQ(text, "{\"shape\":[2,2],\"values\":[1.5,2.5,-3,4]}\n");
}

TEST_F(CliTest, ForwardMasks) {
  const std::string mask = WriteText("mask.json", "[[1, 0]]");
  CliResult result =
      Run({"forward", "zeta", "--mask", "ln=" + mask, "--encoding=values"},
          "[[1, 2]]");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  v1::ForwardRequest sent = server_.service().last_forward();
  ASSERT_EQ(sent.masks().count("ln"), 1u);
  EXPECT_THAT(sent.masks().at("ln").values(), ElementsAre(1.0f, 0.0f));

  EXPECT_EQ(Run({"forward", "zeta", "--mask", "ln"}, "[1]").exit_code, 2);
  EXPECT_EQ(
      Run({"forward", "zeta", "--mask", "a=" + mask, "--mask", "a=" + mask},
          "[1]")
          .exit_code,
      2);
}

TEST_F(CliTest, ForwardBadInputIsUsageError) {
  CliResult missing =
      Run({"forward", "zeta", "--input", Path("does-not-exist.npy")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("error: cannot open"));

  CliResult ragged = Run({"forward", "zeta"}, "[[1, 2], [3]]");
  EXPECT_EQ(ragged.exit_code, 2);
  EXPECT_THAT(ragged.err, HasSubstr("ragged"));

  std::string bad_npy = SerializeNpy(HostTensor{{2}, {1, 2}});
  bad_npy.resize(bad_npy.size() - 2);
  CliResult truncated = Run({"forward", "zeta"}, bad_npy);
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_THAT(truncated.err, HasSubstr("bad .npy file"));

  EXPECT_EQ(Run({"forward", "zeta", "--encoding=base64"}, "[1]").exit_code, 2);
}

TEST_F(CliTest, UpdateSingleParameter) {
  const std::string value = WriteText("delta.json", "[0.25, 0.5]");
  CliResult result = Run({"update", "zeta", "--layer", "fc", "--param", "bias",
                          "--value", value, "--mode", "add",
                          "--expected-version", "8", "--encoding", "values"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "version 9\n");
  v1::UpdateParametersRequest sent = server_.service().last_update();
  EXPECT_EQ(sent.model(), "zeta");
  EXPECT_TRUE(sent.has_expected_version());
  EXPECT_EQ(sent.expected_version(), 8u);
  ASSERT_EQ(sent.updates_size(), 1);
  EXPECT_EQ(sent.updates(0).layer(), "fc");
  EXPECT_EQ(sent.updates(0).name(), "bias");
  EXPECT_EQ(sent.updates(0).mode(), v1::ParameterUpdate::ADD);
  EXPECT_THAT(sent.updates(0).value().values(), ElementsAre(0.25f, 0.5f));

  // Replace is the default, and no expected version is sent unless given.
  result = Run({"update", "zeta", "--layer=fc", "--param=bias", "--value=-"},
               "[1, 2]");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  sent = server_.service().last_update();
  EXPECT_EQ(sent.updates(0).mode(), v1::ParameterUpdate::REPLACE);
  EXPECT_FALSE(sent.has_expected_version());
  EXPECT_EQ(sent.updates(0).value().raw().size(), 8u);
}

TEST_F(CliTest, MinVersionIsSentByForwardGetAndParams) {
  ASSERT_EQ(Run({"forward", "zeta", "--min-version", "12"}, "[[1, 2]]").exit_code, 0);
  EXPECT_EQ(server_.service().last_forward().min_version(), 12u);
  ASSERT_EQ(Run({"get", "zeta", "--min-version=13"}).exit_code, 0);
  EXPECT_EQ(server_.service().last_get_model().min_version(), 13u);
  ASSERT_EQ(Run({"params", "zeta", "--min-version", "14"}).exit_code, 0);
  EXPECT_EQ(server_.service().last_get_parameters().min_version(), 14u);
  // Not given: not sent.
  ASSERT_EQ(Run({"get", "zeta"}).exit_code, 0);
  EXPECT_FALSE(server_.service().last_get_model().has_min_version());
  // Bad values and commands that take none are usage errors.
  CliResult bad = Run({"get", "zeta", "--min-version", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--min-version"));
  EXPECT_EQ(Run({"delete", "zeta", "--min-version", "3"}).exit_code, 2);
}

TEST_F(CliTest, UpdateFromRequestFile) {
  const std::string file = WriteText("updates.json",
                                     R"({"model": "ignored", "updates": [
           {"layer": "fc", "name": "weight", "mode": "ADD",
            "value": {"shape": [1], "values": [1]}},
           {"layer": "fc", "name": "bias", "value": {"shape": [1], "values": [2]}}
         ]})");
  CliResult result = Run({"update", "zeta", "--updates", file, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"version\":\"9\"}\n");
  v1::UpdateParametersRequest sent = server_.service().last_update();
  EXPECT_EQ(sent.model(), "zeta");
  ASSERT_EQ(sent.updates_size(), 2);
  EXPECT_EQ(sent.updates(0).mode(), v1::ParameterUpdate::ADD);
  EXPECT_EQ(sent.updates(1).name(), "bias");
}

TEST_F(CliTest, UpdateUsageErrors) {
  const std::string value = WriteText("v.json", "[1]");
  EXPECT_EQ(Run({"update", "zeta", "--layer", "fc"}).exit_code, 2);
  EXPECT_EQ(Run({"update", "zeta", "--layer", "fc", "--param", "b", "--value",
                 value, "--mode", "multiply"})
                .exit_code,
            2);
  EXPECT_EQ(Run({"update", "zeta", "--layer", "fc", "--param", "b", "--value",
                 value, "--expected-version", "-1"})
                .exit_code,
            2);
  CliResult both = Run({"update", "zeta", "--updates", value, "--layer", "fc"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("cannot be combined"));
  EXPECT_EQ(Run({"update", "zeta", "--updates", value}).exit_code, 2);
}

TEST_F(CliTest, CreateFromSpecWithNameOverride) {
  const std::string spec =
      WriteText("spec.json",
                R"({"name": "orig", "seed": "3", "spec": {"inputShape": [4],
          "layers": [{"linear": {"out_size": 2}}]}})");
  CliResult result = Run({"create", "--spec", spec, "--name", "renamed"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  v1::CreateModelRequest sent = server_.service().last_create();
  EXPECT_EQ(sent.name(), "renamed");
  EXPECT_EQ(sent.seed(), 3u);
  EXPECT_THAT(sent.spec().input_shape(), ElementsAre(4));
  EXPECT_THAT(result.out, HasSubstr("created renamed\n"));

  result = Run({"create", "--spec", spec});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server_.service().last_create().name(), "orig");

  const std::string bad = WriteText("bad.json", R"({"nmae": "x"})");
  CliResult error = Run({"create", "--spec", bad});
  EXPECT_EQ(error.exit_code, 2);
  EXPECT_THAT(error.err, HasSubstr("not a CreateModelRequest"));
  EXPECT_EQ(Run({"create"}).exit_code, 2);
}

TEST_F(CliTest, ParamsPrintAndSave) {
  CliResult result = Run({"params", "zeta", "--layer", "fc"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server_.service().last_get_parameters().layer(), "fc");
  EXPECT_EQ(
      result.out,
      "version 9\nfc/weight shape [3, 2]\n[[1, 2],\n [3, 4],\n [5, 6]]\n");

  result = Run({"params", "zeta", "--output", Path("w.npy")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream unused;
  absl::StatusOr<HostTensor> saved = ReadTensor(Path("w.npy"), unused);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_THAT(saved->shape, ElementsAre(3, 2));
  EXPECT_THAT(saved->values, ElementsAre(1, 2, 3, 4, 5, 6));

  result = Run({"params", "zeta", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"values\":[1,2,3,4,5,6]"));
}

TEST_F(CliTest, RpcErrorsExitOneWithCode) {
  testing::FakeModelService::Script script;
  script.error =
      grpc::Status(grpc::StatusCode::NOT_FOUND, "model 'nope' not found");
  server_.service().SetScript(script);
  CliResult result = Run({"get", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "error: NOT_FOUND: model 'nope' not found\n");
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(Run({"delete", "nope"}).exit_code, 1);
}

TEST_F(CliTest, Health) {
  CliResult serving = Run({"health"});
  EXPECT_EQ(serving.exit_code, 0);
  EXPECT_EQ(serving.out, "SERVING\n");
  CliResult down = Run({"health", "--service", "down"});
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_EQ(down.out, "NOT_SERVING\n");
  CliResult unknown = Run({"health", "--service", "nope", "--json"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("error: NOT_FOUND"));
  EXPECT_EQ(Run({"health", "--json"}).out, "{\"status\":\"SERVING\"}\n");
}

TEST_F(CliTest, ServerFromEnvironment) {
  setenv("BRAINSERVE_SERVER", server_.address().c_str(), 1);
  EXPECT_EQ(DefaultServerAddress(), server_.address());
  EXPECT_EQ(RunWithoutServer({"health"}).exit_code, 0);
  // --server wins over the environment.
  setenv("BRAINSERVE_SERVER", "127.0.0.1:1", 1);
  EXPECT_EQ(Run({"health"}).exit_code, 0);
  unsetenv("BRAINSERVE_SERVER");
  EXPECT_EQ(DefaultServerAddress(), "localhost:50051");
}

TEST_F(CliTest, RefusesToReadATerminal) {
  std::istringstream in("[[1, 2, 3]]");
  std::ostringstream out, err;
  const int code = RunCli({"--server=" + server_.address(), "forward", "zeta"},
                          in, out, err, /*stdin_is_terminal=*/true);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err.str(), HasSubstr("standard input, which is a terminal"));
  std::istringstream in2;
  const int with_file =
      RunCli({"--server=" + server_.address(), "forward", "zeta", "--input",
              WriteText("x.json", "[[1]]")},
             in2, out, err, /*stdin_is_terminal=*/true);
  EXPECT_EQ(with_file, 0) << err.str();
}

TEST_F(CliTest, HelpAndUsage) {
  CliResult help = RunWithoutServer({"help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: brainserve-cli"));
  for (const char* subcommand :
       {"list", "get NAME", "create --spec", "delete NAME", "forward NAME",
        "update NAME", "params NAME", "health"}) {
    EXPECT_THAT(help.out, HasSubstr(subcommand));
  }
  CliResult none = RunWithoutServer({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("usage: brainserve-cli"));
  CliResult bad = RunWithoutServer({"list", "--frobnicate"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown flag '--frobnicate'"));
}

}  // namespace
}  // namespace brainserve::client
