// brainserve-cli, the real binary, against the real brainserve-server started
// on port 0 with the bundled examples/models.json.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/host_tensor.h"
#include "client/json_tensor.h"
#include "client/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace brainserve::client {
namespace {

using ::brainserve::testing::ProcessResult;
using ::brainserve::testing::RunProcess;
using ::brainserve::testing::ServerProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class CliIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(
            BRAINSERVE_SERVER_PATH,
            {"--metrics_listen=", "--models_file=" BRAINSERVE_MODELS_FILE});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }

  static void TearDownTestSuite() {
    if (server_ == nullptr) return;
    const int code = server_->Stop();
    EXPECT_EQ(code, 0) << "brainserve-server did not exit cleanly on SIGTERM: "
                       << code << "\n"
                       << server_->log();
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat(
               "cli_integration_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }

  // Runs brainserve-cli --server=<server> args...
  ProcessResult Cli(const std::vector<std::string>& args,
                    const std::string& stdin_data = "",
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {BRAINSERVE_CLI_PATH,
                                     "--server=" + server_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<ProcessResult> result = RunProcess(argv, stdin_data, env);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ProcessResult{};
  }

  std::string Path(const std::string& name) const { return dir_ / name; }

  std::string Write(const std::string& name, const std::string& contents) {
    std::ofstream(Path(name), std::ios::binary) << contents;
    return Path(name);
  }

  static std::string Read(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  // Creates `name`: input [3] -> Linear(2) with W = 0.5, b = 0.
  void CreateLinearModel(const std::string& name) {
    const std::string spec =
        Write("linear.json", absl::StrCat(R"({"name": ")", name, R"(", "spec": {
          "input_shape": [3],
          "layers": [{"name": "fc", "linear": {"out_size": 2,
            "w_init": {"constant": {"value": 0.5}},
            "b_init": {"constant": {"value": 0}}}}]}})"));
    ProcessResult created = Cli({"create", "--spec", spec});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  // Forwards [[1, 2, 3]] through `model`; returns the output and version.
  std::pair<std::vector<float>, uint64_t> ForwardOnes(
      const std::string& model) {
    ProcessResult result =
        Cli({"--json", "forward", model, "--output", Path("out.json")},
            "[[1, 2, 3]]");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    absl::StatusOr<HostTensor> output = ParseJsonTensor(Read(Path("out.json")));
    EXPECT_TRUE(output.ok()) << output.status();
    // --json prints {"output":{...},"version":"N"}.
    uint64_t version = 0;
    const size_t at = result.out.find("\"version\":\"");
    EXPECT_NE(at, std::string::npos) << result.out;
    if (at != std::string::npos) {
      EXPECT_TRUE(absl::SimpleAtoi(
          result.out.substr(at + 11, result.out.find('"', at + 11) - at - 11),
          &version));
    }
    return {output.ok() ? output->values : std::vector<float>{}, version};
  }

  static ServerProcess* server_;
  std::filesystem::path dir_;
};

ServerProcess* CliIntegrationTest::server_ = nullptr;

TEST_F(CliIntegrationTest, ListShowsTheBundledModels) {
  ProcessResult result = Cli({"list"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("NAME"));
  EXPECT_THAT(result.out,
              MatchesRegex("(.|\n)*\nconv +1 +\\[128, 64\\](.|\n)*"));
  EXPECT_THAT(
      result.out,
      MatchesRegex("(.|\n)*\nidentity +1 +\\[64\\] +\\[64\\] +0 +0\n(.|\n)*"));
  EXPECT_THAT(result.out,
              MatchesRegex("(.|\n)*\nmlp +[0-9]+ +\\[64\\] +\\[10\\] (.|\n)*"));

  ProcessResult json = Cli({"list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"name\":\"identity\""));
}

TEST_F(CliIntegrationTest, GetDescribesAModel) {
  ProcessResult result = Cli({"get", "mlp"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("name:          mlp\n"));
  EXPECT_THAT(result.out, HasSubstr("input shape:   [64]\n"));
  EXPECT_THAT(result.out, HasSubstr("output shape:  [10]\n"));
  EXPECT_THAT(result.out, HasSubstr("precision:     FP32\n"));
  EXPECT_THAT(result.out, HasSubstr("linear"));
  EXPECT_THAT(result.out, HasSubstr("layer_norm"));
  EXPECT_THAT(result.out, HasSubstr("weight  [64, 64]  4096"));
}

TEST_F(CliIntegrationTest, CreateGetDelete) {
  const std::string spec = Write("spec.json", R"({"name": "from-file",
      "seed": 7, "precision": "BF16", "spec": {"inputShape": [5], "layers": [
        {"name": "fc", "linear": {"out_size": 4}},
        {"activation": {"function": "TANH"}}]}})");
  ProcessResult created = Cli({"create", "--spec", spec, "--name", "cli-made"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("created cli-made\n"));
  EXPECT_THAT(created.out, HasSubstr("output shape:  [4]\n"));
  EXPECT_THAT(created.out, HasSubstr("precision:     BF16\n"));

  ProcessResult again = Cli({"create", "--spec", spec, "--name", "cli-made"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("error: ALREADY_EXISTS: "));

  ProcessResult got = Cli({"get", "cli-made"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("version:       1\n"));

  ProcessResult deleted = Cli({"delete", "cli-made"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "deleted cli-made\n");

  ProcessResult gone = Cli({"get", "cli-made"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("error: NOT_FOUND: "));
  EXPECT_EQ(Cli({"delete", "cli-made"}).exit_code, 1);
}

TEST_F(CliIntegrationTest, ForwardJsonThroughIdentity) {
  std::vector<std::string> row;
  for (int i = 0; i < 64; ++i) row.push_back(absl::StrCat(i * 0.25 - 3));
  const std::string input = absl::StrCat("[[", absl::StrJoin(row, ","), "]]");
  ProcessResult result = Cli({"forward", "identity"}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("version 1, output shape [1, 64]\n"));
  EXPECT_THAT(result.out, HasSubstr("[[-3.00, -2.75, -2.50,"));

  for (const char* encoding : {"raw", "values"}) {
    ProcessResult saved = Cli({"forward", "identity", "--encoding", encoding,
                               "--input=-", "--output", Path("id.json")},
                              input);
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    absl::StatusOr<HostTensor> output = ParseJsonTensor(Read(Path("id.json")));
    ASSERT_TRUE(output.ok()) << output.status();
    EXPECT_THAT(output->shape, ElementsAre(1, 64));
    for (int i = 0; i < 64; ++i) EXPECT_EQ(output->values[i], i * 0.25f - 3);
  }
}

TEST_F(CliIntegrationTest, NpyRoundTripMatchesJsonForward) {
  HostTensor input{{3, 64}, {}};
  for (int i = 0; i < 3 * 64; ++i) input.values.push_back(std::sin(i * 0.37f));
  Write("x.npy", SerializeNpy(input));
  Write("x.json", FormatJsonTensor(input));

  ProcessResult npy = Cli(
      {"forward", "mlp", "--input", Path("x.npy"), "--output", Path("y.npy")});
  ASSERT_EQ(npy.exit_code, 0) << npy.err;
  EXPECT_THAT(npy.out, MatchesRegex("version [0-9]+, output shape \\[3, 10\\], "
                                    "written to .*y.npy\n"));
  ProcessResult json = Cli({"forward", "mlp", "--encoding", "values", "--input",
                            Path("x.json"), "--output", Path("y.json")});
  ASSERT_EQ(json.exit_code, 0) << json.err;

  absl::StatusOr<HostTensor> from_npy = ParseNpy(Read(Path("y.npy")));
  ASSERT_TRUE(from_npy.ok()) << from_npy.status();
  absl::StatusOr<HostTensor> from_json = ParseJsonTensor(Read(Path("y.json")));
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_THAT(from_npy->shape, ElementsAre(3, 10));
  EXPECT_EQ(from_npy->shape, from_json->shape);
  ASSERT_EQ(from_npy->values.size(), 30u);
  bool all_zero = true;
  for (size_t i = 0; i < 30; ++i) {
    EXPECT_NEAR(from_npy->values[i], from_json->values[i],
                1e-6f * std::max(1.0f, std::abs(from_json->values[i])));
    all_zero = all_zero && from_npy->values[i] == 0;
  }
  EXPECT_FALSE(all_zero);

  // .npy from stdin, through the identity model, back to .npy.
  ProcessResult piped = Cli({"forward", "identity", "--output", Path("z.npy")},
                            Read(Path("x.npy")));
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  absl::StatusOr<HostTensor> echoed = ParseNpy(Read(Path("z.npy")));
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->shape, input.shape);
  EXPECT_EQ(echoed->values, input.values);
}

TEST_F(CliIntegrationTest, UpdateReplaceAddAndExpectedVersion) {
  CreateLinearModel("cli-linear");
  auto [output, version] = ForwardOnes("cli-linear");
  EXPECT_THAT(output, ElementsAre(3.0f, 3.0f));  // 0.5 * (1 + 2 + 3)
  EXPECT_EQ(version, 1u);

  const std::string bias = Write("bias.json", "[1, -1]");
  ProcessResult replaced = Cli({"update", "cli-linear", "--layer", "fc",
                                "--param", "bias", "--value", bias});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(replaced.out, "version 2\n");
  std::tie(output, version) = ForwardOnes("cli-linear");
  EXPECT_THAT(output, ElementsAre(4.0f, 2.0f));
  EXPECT_EQ(version, 2u);

  HostTensor delta{{3, 2}, {0.5f, 0, 0.5f, 0, 0.5f, 0}};
  Write("delta.npy", SerializeNpy(delta));
  ProcessResult added = Cli({"update", "cli-linear", "--layer=fc",
                             "--param=weight", "--value=" + Path("delta.npy"),
                             "--mode", "add", "--expected-version", "2"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out, "version 3\n");
  std::tie(output, version) = ForwardOnes("cli-linear");
  EXPECT_THAT(output, ElementsAre(7.0f, 2.0f));  // weight column 0 is 1.0
  EXPECT_EQ(version, 3u);

  ProcessResult stale =
      Cli({"update", "cli-linear", "--layer", "fc", "--param", "bias",
           "--value", bias, "--expected-version", "1"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_THAT(stale.err, HasSubstr("error: FAILED_PRECONDITION: "));
  EXPECT_EQ(stale.out, "");
  std::tie(output, version) = ForwardOnes("cli-linear");
  EXPECT_EQ(version, 3u);  // nothing changed
  EXPECT_THAT(output, ElementsAre(7.0f, 2.0f));

  // Several updates at once from an UpdateParametersRequest file.
  const std::string updates = Write("updates.json", R"({"updates": [
      {"layer": "fc", "name": "bias", "value": {"shape": [2], "values": [0, 0]}},
      {"layer": "fc", "name": "weight", "mode": "ADD",
       "value": {"shape": [3, 2], "values": [-0.5, 0, -0.5, 0, -0.5, 0]}}]})");
  ProcessResult both = Cli({"--json", "update", "cli-linear", "--updates",
                            updates, "--expected-version=3"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(both.out, "{\"version\":\"4\"}\n");
  std::tie(output, version) = ForwardOnes("cli-linear");
  EXPECT_THAT(output, ElementsAre(3.0f, 3.0f));
  EXPECT_EQ(version, 4u);

  ProcessResult unknown = Cli({"update", "cli-linear", "--layer", "nope",
                               "--param", "bias", "--value", bias});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("error: NOT_FOUND: "));
  EXPECT_EQ(Cli({"delete", "cli-linear"}).exit_code, 0);
}

TEST_F(CliIntegrationTest, ParamsToNpy) {
  CreateLinearModel("cli-params");
  ProcessResult saved = Cli({"params", "cli-params", "--layer", "fc", "--param",
                             "weight", "--output", Path("w.npy")});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_THAT(saved.out, HasSubstr("fc/weight shape [3, 2], written to"));
  absl::StatusOr<HostTensor> weight = ParseNpy(Read(Path("w.npy")));
  ASSERT_TRUE(weight.ok()) << weight.status();
  EXPECT_THAT(weight->shape, ElementsAre(3, 2));
  EXPECT_THAT(weight->values, ::testing::Each(0.5f));

  ProcessResult shown = Cli({"params", "cli-params"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("version 1\n"));
  EXPECT_THAT(shown.out, HasSubstr("fc/bias shape [2]\n[0, 0]\n"));

  // --output with more than one parameter selected is a usage error.
  EXPECT_EQ(
      Cli({"params", "cli-params", "--output", Path("all.npy")}).exit_code, 2);
  EXPECT_EQ(Cli({"delete", "cli-params"}).exit_code, 0);
}

TEST_F(CliIntegrationTest, Health) {
  ProcessResult overall = Cli({"health"});
  EXPECT_EQ(overall.exit_code, 0) << overall.err;
  EXPECT_EQ(overall.out, "SERVING\n");
  ProcessResult service =
      Cli({"health", "--service", "brainserve.v1.ModelService"});
  EXPECT_EQ(service.exit_code, 0) << service.err;
  EXPECT_EQ(service.out, "SERVING\n");
}

TEST_F(CliIntegrationTest, ErrorsAndExitCodes) {
  ProcessResult missing = Cli({"get", "no-such-model"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, MatchesRegex("error: NOT_FOUND: .*\n"));

  ProcessResult forward_missing = Cli({"forward", "no-such-model"}, "[[1]]");
  EXPECT_EQ(forward_missing.exit_code, 1);
  EXPECT_THAT(forward_missing.err, HasSubstr("error: NOT_FOUND: "));

  ProcessResult bad_shape = Cli({"forward", "mlp"}, "[[1, 2, 3]]");
  EXPECT_EQ(bad_shape.exit_code, 1);
  EXPECT_THAT(bad_shape.err, HasSubstr("error: INVALID_ARGUMENT: "));

  ProcessResult bad_file =
      Cli({"forward", "mlp", "--input", Path("nonexistent.npy")});
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_THAT(bad_file.err, HasSubstr("cannot open"));

  ProcessResult bad_flag = Cli({"list", "--frobnicate"});
  EXPECT_EQ(bad_flag.exit_code, 2);

  absl::StatusOr<ProcessResult> no_args = RunProcess({BRAINSERVE_CLI_PATH});
  ASSERT_TRUE(no_args.ok());
  EXPECT_EQ(no_args->exit_code, 2);
  EXPECT_THAT(no_args->err, HasSubstr("usage: brainserve-cli"));

  absl::StatusOr<ProcessResult> help =
      RunProcess({BRAINSERVE_CLI_PATH, "help"});
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->exit_code, 0);
  EXPECT_THAT(help->out, HasSubstr("usage: brainserve-cli"));
}

TEST_F(CliIntegrationTest, ServerAddressFromEnvironment) {
  absl::StatusOr<ProcessResult> result =
      RunProcess({BRAINSERVE_CLI_PATH, "health"}, "",
                 {"BRAINSERVE_SERVER=" + server_->address()});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_EQ(result->out, "SERVING\n");
}

}  // namespace
}  // namespace brainserve::client
