// SIGTERM with --shutdown_grace_seconds=1: the brainserve-server process is
// gone within grace + 1 s although a request is queued (its batch waits
// 10 s for company), a CreateModel is warming up thousands of layers on an
// admin thread, and a Health.Watch stream stays open.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

TEST(ShutdownDeadlineTest, ExitsWithinGracePlusOneSecond) {
  const std::string models = ::testing::TempDir() + "/grace-models.json";
  std::ofstream(models) << R"([
    {"name": "held", "spec": {"input_shape": [2]},
     "batching": {"max_batch_size": 64, "max_queue_delay_us": 10000000}}])";
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY,
      {"--shutdown_grace_seconds=1", "--metrics_listen=",
       "--models_file=" + models, "--max_layers=100000",
       "--engine_threads=1"});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& process = **started;
  auto channel = grpc::CreateChannel(process.address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::ModelService::NewStub(channel);

  // An open stream: Health.Watch never ends on its own.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext watch_context;
  grpc::health::v1::HealthCheckRequest watch_request;
  auto watch = health->Watch(&watch_context, watch_request);
  grpc::health::v1::HealthCheckResponse first;
  ASSERT_TRUE(watch->Read(&first));
  std::thread watcher([&] {
    grpc::health::v1::HealthCheckResponse update;
    while (watch->Read(&update)) {
    }
  });

  // A queued Forward.
  std::thread forward([&] {
    v1::ForwardRequest request;
    request.set_model("held");
    *request.mutable_input() = ValuesTensor({1, 2}, {1, 2});
    v1::ForwardResponse response;
    Forward(*stub, request, &response);
  });
  // A CreateModel computing for many seconds (3000 layers: primitive
  // creation and warm-up of each).
  std::thread create([&] {
    std::string layers;
    for (int i = 0; i < 3000; ++i) {
      absl::StrAppend(&layers, i ? "," : "",
                      R"({"linear": {"out_size": 64}})");
    }
    auto request = CreateRequestFromJson(absl::StrCat(
        R"({"name": "deep", "spec": {"input_shape": [64], "layers": [)",
        layers, "]}}"));
    CreateModel(*stub, request);
  });
  absl::SleepFor(absl::Milliseconds(1500));

  const absl::Time signalled = absl::Now();
  process.Signal(SIGTERM);
  const int exit_code = process.Wait();
  const absl::Duration took = absl::Now() - signalled;
  const bool forced =
      process.log().find("shutdown did not finish") != std::string::npos;
  std::fprintf(stderr,
               "SIGTERM -> exit: %.3f s (exit code %d, %s)\n",
               absl::ToDoubleSeconds(took), exit_code,
               forced ? "ended by the exit deadline" : "orderly");
  EXPECT_EQ(exit_code, 0) << process.log();
  EXPECT_LT(took, absl::Seconds(2)) << process.log();
  watch_context.TryCancel();
  watcher.join();
  forward.join();
  create.join();
}

}  // namespace
}  // namespace brainserve::testing
