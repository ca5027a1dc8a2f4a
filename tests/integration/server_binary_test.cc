// The brainserve-server binary as a subprocess: flags, the ready file, the
// start-up log line, serving the bundled examples, graceful exit 0 on
// SIGTERM with a request still queued, and exit 1 on a bad models file.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;

TEST(ServerBinaryTest, ServesExamplesAndExitsZeroOnSigtermAfterDraining) {
  const std::string models = ::testing::TempDir() + "/binary-models.json";
  std::ofstream(models) << R"([
    {"name": "held", "spec": {"input_shape": [2]},
     "batching": {"max_batch_size": 8, "max_queue_delay_us": 500000}}])";
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY,
      {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
       "--models_file=" + models, "--engine_threads=1"});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& process = **started;
  ASSERT_GT(process.metrics_port(), 0);
  ASSERT_GT(process.http_port(), 0);
  EXPECT_THAT(process.log(),
              HasSubstr(absl::StrCat("brainserve-server: serving gRPC on "
                                     "127.0.0.1:",
                                     process.grpc_port(), ", HTTP on 127.0.0.1:",
                                     process.http_port(), ", metrics on ")));
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
  EXPECT_EQ(process.Wait(), 0) << process.log();
  EXPECT_THAT(process.log(), HasSubstr("SIGTERM"));
}

TEST(ServerBinaryTest, BundledExamplesServeAndSigintExitsZero) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY,
      {"--listen=127.0.0.1:0", "--metrics_listen=",
       "--models_file=" + SourcePath("examples/models.json")});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& process = **started;
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
  EXPECT_EQ(process.Wait(), 0) << process.log();
}

TEST(ServerBinaryTest, BadModelsFileExitsOneNamingTheFile) {
  const std::string models = ::testing::TempDir() + "/binary-bad.json";
  std::ofstream(models) << R"([{"name": "ok", "spec": {"input_shape": [2]}},
                              {"name": "x", "spec": {"input_shape": [2],
                               "layers": [{"linear": {}}]}}])";
  absl::StatusOr<std::unique_ptr<ServerProcess>> launched =
      ServerProcess::Launch(BRAINSERVE_SERVER_BINARY,
                            {"--listen=127.0.0.1:0",
                             "--metrics_listen=", "--models_file=" + models});
  ASSERT_TRUE(launched.ok()) << launched.status();
  ServerProcess& process = **launched;
  EXPECT_EQ(process.Wait(), 1);
  EXPECT_THAT(process.log(), HasSubstr(models));
  EXPECT_THAT(process.log(), HasSubstr("element [1]"));
}

TEST(ServerBinaryTest, InvalidFlagValueExitsOne) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> launched =
      ServerProcess::Launch(BRAINSERVE_SERVER_BINARY,
                            {"--listen=127.0.0.1:0", "--metrics_listen=",
                             "--default_max_batch_size=0"});
  ASSERT_TRUE(launched.ok()) << launched.status();
  ServerProcess& process = **launched;
  EXPECT_EQ(process.Wait(), 1);
  EXPECT_THAT(process.log(), HasSubstr("max_batch_size"));
}

TEST(ServerBinaryTest, HttpFlags) {
  // Disabled: the ready file says http_port 0 and the log says so.
  absl::StatusOr<std::unique_ptr<ServerProcess>> disabled =
      ServerProcess::Start(BRAINSERVE_SERVER_BINARY,
                           {"--metrics_listen=", "--http_listen="});
  ASSERT_TRUE(disabled.ok()) << disabled.status();
  EXPECT_EQ((*disabled)->http_port(), 0);
  EXPECT_THAT((*disabled)->log(), HasSubstr("HTTP on (disabled)"));
  EXPECT_EQ((*disabled)->Stop(), 0);
  // A malformed address fails start-up naming the flag.
  for (const char* flag : {"--http_listen=localhost", "--http_threads=0",
                           "--http_max_body_bytes=0"}) {
    absl::StatusOr<std::unique_ptr<ServerProcess>> launched =
        ServerProcess::Launch(BRAINSERVE_SERVER_BINARY,
                              {"--metrics_listen=", flag});
    ASSERT_TRUE(launched.ok()) << launched.status();
    EXPECT_EQ((*launched)->Wait(), 1) << flag;
    const std::string name(flag, std::string(flag).find('='));
    EXPECT_THAT((*launched)->log(), HasSubstr(name)) << flag;
  }
}

}  // namespace
}  // namespace brainserve::testing
