// The brainserve-server binary as a subprocess: flags, the ready file, the
// start-up log line, serving the bundled examples, graceful exit 0 on
// SIGTERM with a request still queued, and exit 1 on a bad models file.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ServerProcess {
 public:
  // Starts the binary with `flags`; stderr goes to a temp file.
  explicit ServerProcess(const std::vector<std::string>& flags) {
    const std::string dir = ::testing::TempDir();
    const std::string tag = absl::StrCat(getpid(), "-", counter_++);
    ready_file_ = absl::StrCat(dir, "/ready-", tag, ".json");
    stderr_file_ = absl::StrCat(dir, "/stderr-", tag, ".txt");
    std::vector<std::string> args = {BRAINSERVE_SERVER_BINARY,
                                     "--ready_file=" + ready_file_};
    args.insert(args.end(), flags.begin(), flags.end());
    pid_ = fork();
    if (pid_ == 0) {
      const int fd =
          open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits for the ready file; false if the process exited first.
  bool WaitReady() {
    return WaitFor(
               [&] {
                 std::string text = ReadFile(ready_file_);
                 if (text.empty()) return !Running();
                 google::protobuf::Struct ports;
                 if (!google::protobuf::util::JsonStringToMessage(text, &ports)
                          .ok()) {
                   return false;
                 }
                 grpc_port_ = static_cast<int>(
                     ports.fields().at("grpc_port").number_value());
                 metrics_port_ = static_cast<int>(
                     ports.fields().at("metrics_port").number_value());
                 return true;
               },
               absl::Seconds(60)) &&
           grpc_port_ > 0;
  }
  bool Running() {
    if (exited_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_status_ = status;
      return false;
    }
    return true;
  }
  // Exit code after the process ends (-1 if killed by a signal).
  int Wait() {
    if (!exited_) {
      waitpid(pid_, &exit_status_, 0);
      exited_ = true;
    }
    return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
  }
  void Signal(int signal_number) { kill(pid_, signal_number); }
  std::string Stderr() { return ReadFile(stderr_file_); }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_status_ = 0;
  std::string ready_file_, stderr_file_;
  int grpc_port_ = 0, metrics_port_ = 0;
};

TEST(ServerBinaryTest, ServesExamplesAndExitsZeroOnSigtermAfterDraining) {
  const std::string models = ::testing::TempDir() + "/binary-models.json";
  std::ofstream(models) << R"([
    {"name": "held", "spec": {"input_shape": [2]},
     "batching": {"max_batch_size": 8, "max_queue_delay_us": 500000}}])";
  ServerProcess process({"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                         "--models_file=" + models, "--engine_threads=1"});
  ASSERT_TRUE(process.WaitReady()) << process.Stderr();
  ASSERT_GT(process.metrics_port(), 0);
  EXPECT_THAT(process.Stderr(),
              HasSubstr(absl::StrCat("brainserve-server: serving gRPC on "
                                     "127.0.0.1:",
                                     process.grpc_port(), ", metrics on ")));
  auto stub = v1::ModelService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", process.grpc_port()),
                          grpc::InsecureChannelCredentials()));

  // A request held in the queue (the batch waits 500 ms for company) when
  // SIGTERM arrives still completes.
  grpc::Status status;
  v1::ForwardResponse response;
  std::thread client([&] {
    v1::ForwardRequest request;
    request.set_model("held");
    *request.mutable_input() = ValuesTensor({1, 2}, {3, 4});
    status = Forward(*stub, request, &response);
  });
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(HttpGet(process.metrics_port(), "/metrics"),
                       "brainserve_queue_depth", {{"model", "held"}}) == 1;
  }));
  process.Signal(SIGTERM);
  client.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(TensorData(response.output()), std::vector<float>({3, 4}));
  EXPECT_EQ(process.Wait(), 0) << process.Stderr();
  EXPECT_THAT(process.Stderr(), HasSubstr("SIGTERM"));
}

TEST(ServerBinaryTest, BundledExamplesServeAndSigintExitsZero) {
  ServerProcess process(
      {"--listen=127.0.0.1:0", "--metrics_listen=",
       "--models_file=" + SourcePath("examples/models.json")});
  ASSERT_TRUE(process.WaitReady()) << process.Stderr();
  EXPECT_EQ(process.metrics_port(), 0);
  auto stub = v1::ModelService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", process.grpc_port()),
                          grpc::InsecureChannelCredentials()));
  v1::ListModelsResponse list;
  ASSERT_TRUE(
      stub->ListModels(Context().get(), v1::ListModelsRequest(), &list).ok());
  EXPECT_EQ(list.models_size(), 3);
  // gRPC's graceful GOAWAY waits up to ~5 s for idle clients to acknowledge;
  // a client that has gone away does not hold the exit up.
  stub.reset();
  process.Signal(SIGINT);
  EXPECT_EQ(process.Wait(), 0) << process.Stderr();
}

TEST(ServerBinaryTest, BadModelsFileExitsOneNamingTheFile) {
  const std::string models = ::testing::TempDir() + "/binary-bad.json";
  std::ofstream(models) << R"([{"name": "ok", "spec": {"input_shape": [2]}},
                              {"name": "x", "spec": {"input_shape": [2],
                               "layers": [{"linear": {}}]}}])";
  ServerProcess process(
      {"--listen=127.0.0.1:0", "--metrics_listen=", "--models_file=" + models});
  EXPECT_EQ(process.Wait(), 1);
  EXPECT_THAT(process.Stderr(), HasSubstr(models));
  EXPECT_THAT(process.Stderr(), HasSubstr("element [1]"));
}

TEST(ServerBinaryTest, InvalidFlagValueExitsOne) {
  ServerProcess process({"--listen=127.0.0.1:0",
                         "--metrics_listen=", "--default_max_batch_size=0"});
  EXPECT_EQ(process.Wait(), 1);
  EXPECT_THAT(process.Stderr(), HasSubstr("max_batch_size"));
}

}  // namespace
}  // namespace brainserve::testing
