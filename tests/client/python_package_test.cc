// The Python client package (client/python) as a user gets it: installed
// with pip into a fresh virtual environment created with
// --system-site-packages (offline: --no-index --no-build-isolation, Debian's
// python3-grpcio, python3-protobuf and python3-numpy), then its own tests,
// a client written only from the Open Inference Protocol's proto, and every
// HTTP/REST route with urllib, all against one real brainserve-server. Also
// checks that the committed stubs match proto/.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace brainserve::client {
namespace {

namespace fs = std::filesystem;
using ::brainserve::testing::ProcessResult;
using ::brainserve::testing::RunProcess;
using ::brainserve::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kPython[] = "/usr/bin/python3";

class PythonPackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(BRAINSERVE_SERVER_PATH,
                             {"--metrics_listen=",
                              "--max_min_version_wait_ms=300"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    std::string dir = absl::StrCat(::testing::TempDir(), "/brainserve-py-",
                                   getpid(), "-XXXXXX");
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = new std::string(fs::path(dir).lexically_normal().string());
    // Install from a copy, so the build leaves nothing in the source tree
    // and no earlier in-tree build is reused.
    const fs::path package = fs::path(dir) / "package";
    fs::copy(BRAINSERVE_PYTHON_PACKAGE_DIR, package,
             fs::copy_options::recursive);
    fs::remove_all(package / "build");
    fs::remove_all(package / "brainserve.egg-info");
    install_ = new ProcessResult(Run(
        {kPython, "-m", "venv", "--system-site-packages", Venv()}));
    if (install_->exit_code == 0) {
      *install_ = Run({VenvPython(), "-m", "pip", "install", "--no-index",
                       "--no-build-isolation", package.string()});
    }
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr) EXPECT_EQ(server_->Stop(), 0) << server_->log();
    delete server_;
    delete install_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_EQ(install_->exit_code, 0) << install_->out << install_->err;
  }

  static std::string Venv() { return *dir_ + "/venv"; }
  static std::string VenvPython() { return Venv() + "/bin/python"; }

  // Runs in the temp dir (not the source tree, so `import brainserve` can
  // only find the installed package) with the server's addresses.
  static ProcessResult Run(const std::vector<std::string>& argv) {
    std::vector<std::string> command = {"/usr/bin/env", "-C", *dir_};
    command.insert(command.end(), argv.begin(), argv.end());
    std::vector<std::string> env = {"PYTHONDONTWRITEBYTECODE=1", "PYTHONPATH",
                                    "PIP_NO_INPUT=1"};
    if (server_ != nullptr) {
      env.push_back("BRAINSERVE_SERVER=" + server_->address());
      env.push_back("BRAINSERVE_HTTP=" + server_->http_url());
    }
    env.push_back(absl::StrCat("BRAINSERVE_PROTO_DIR=", BRAINSERVE_PROTO_DIR));
    absl::StatusOr<ProcessResult> result = RunProcess(command, "", env);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ProcessResult();
  }

  static ServerProcess* server_;
  static std::string* dir_;
  static ProcessResult* install_;
};

ServerProcess* PythonPackageTest::server_ = nullptr;
std::string* PythonPackageTest::dir_ = nullptr;
ProcessResult* PythonPackageTest::install_ = nullptr;

void ExpectUnittestPassed(const ProcessResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  // unittest reports on stderr: "Ran N tests ... OK".
  EXPECT_THAT(result.err, HasSubstr("\nOK")) << result.err;
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("skipped"))) << result.err;
}

TEST_F(PythonPackageTest, ImportsTheInstalledPackage) {
  ProcessResult result = Run(
      {VenvPython(), "-c",
       "import brainserve, grpc, numpy; print(brainserve.__file__); "
       "print(grpc.__file__)"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith(Venv() + "/lib/"));
  // grpcio comes from Debian's python3-grpcio (the system site packages).
  EXPECT_THAT(result.out, HasSubstr("\n/usr/lib/python3/dist-packages/grpc/"));
}

TEST_F(PythonPackageTest, PackageTestsPassAgainstTheServer) {
  ExpectUnittestPassed(Run({VenvPython(), "-m", "unittest", "discover", "-s",
                            BRAINSERVE_PYTHON_PACKAGE_DIR "/tests", "-v"}));
}

TEST_F(PythonPackageTest, ProtocolOnlyGrpcClient) {
  ExpectUnittestPassed(
      Run({VenvPython(), BRAINSERVE_PYTHON_TEST_DIR "/oip_grpc_test.py", "-v"}));
}

TEST_F(PythonPackageTest, EveryRestRouteWithUrllib) {
  ExpectUnittestPassed(
      Run({kPython, BRAINSERVE_PYTHON_TEST_DIR "/rest_test.py", "-v"}));
}

TEST_F(PythonPackageTest, ExampleRunsOnThePackage) {
  ProcessResult result =
      Run({VenvPython(), BRAINSERVE_PYTHON_PACKAGE_DIR "/example.py",
           "--server", server_->address(), "--model", "venv-example"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("every output matched"));
}

TEST(PythonStubsTest, CommittedStubsMatchTheProtos) {
  absl::StatusOr<ProcessResult> result = RunProcess(
      {kPython, BRAINSERVE_PYTHON_PACKAGE_DIR "/generate_stubs.py", "--check"},
      "", {"PYTHONDONTWRITEBYTECODE=1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
  EXPECT_THAT(result->out, HasSubstr("stubs current"));
}

}  // namespace
}  // namespace brainserve::client
