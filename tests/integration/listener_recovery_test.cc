// Descriptor exhaustion (issue 12): the server runs with 256 descriptors
// (prlimit --nofile), 300 plain TCP connections are held for 2 s and
// released; a new client's health check then succeeds within 10 s, in the
// same process, with every model and version intact.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "server/listener_watchdog.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

// A channel of its own (no shared subchannel), as a new client would have.
std::shared_ptr<grpc::Channel> FreshChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

bool HealthCheckOnce(const std::string& address, absl::Duration timeout) {
  auto health = grpc::health::v1::Health::NewStub(FreshChannel(address));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  auto context = Context(timeout);
  return health->Check(context.get(), request, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

TEST(ListenerRecoveryTest, NewClientsServedAfterDescriptorExhaustion) {
  // The test itself holds 300 sockets.
  struct rlimit own;
  getrlimit(RLIMIT_NOFILE, &own);
  own.rlim_cur = own.rlim_max;
  setrlimit(RLIMIT_NOFILE, &own);

  const std::string models = ::testing::TempDir() + "/flood-models.json";
  std::ofstream(models) << R"([
    {"name": "m", "spec": {"input_shape": [2],
                           "layers": [{"linear": {"out_size": 2}}]}}])";
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      BRAINSERVE_SERVER_BINARY,
      {"--metrics_listen=", "--models_file=" + models, "--engine_threads=1"});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& process = **started;
  auto stub = v1::ModelService::NewStub(FreshChannel(process.address()));
  // Version 2, to check it survives.
  v1::UpdateParametersRequest update;
  update.set_model("m");
  auto* change = update.add_updates();
  change->set_layer("0");
  change->set_name("bias");
  change->set_mode(v1::ParameterUpdate::REPLACE);
  *change->mutable_value() = ValuesTensor({2}, {0.5f, -0.5f});
  v1::UpdateParametersResponse updated;
  ASSERT_TRUE(
      stub->UpdateParameters(Context().get(), update, &updated).ok());
  ASSERT_EQ(updated.version(), 2u);

  absl::StatusOr<ProcessResult> limited = RunProcess(
      {"/usr/bin/prlimit", absl::StrCat("--pid=", process.pid()),
       "--nofile=256:256"});
  ASSERT_TRUE(limited.ok() && limited->exit_code == 0);

  // The flood: 300 connections that send nothing, held for 2 s.
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(process.grpc_port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::vector<int> flood;
  for (int i = 0; i < 300; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
    flood.push_back(fd);
  }
  absl::SleepFor(absl::Seconds(2));
  for (int fd : flood) close(fd);
  const absl::Time released = absl::Now();

  bool healthy = false;
  while (!healthy && absl::Now() - released < absl::Seconds(10)) {
    healthy = HealthCheckOnce(process.address(), absl::Seconds(1));
    if (!healthy) absl::SleepFor(absl::Milliseconds(200));
  }
  const absl::Duration took = absl::Now() - released;
  std::fprintf(stderr,
               "health check from a new client %s %.2f s after release; "
               "listener rebuilt: %s\n",
               healthy ? "succeeded" : "still failing",
               absl::ToDoubleSeconds(took),
               process.log().find("listener rebuilt") != std::string::npos
                   ? "yes"
                   : "no");
  ASSERT_TRUE(healthy) << process.log();
  EXPECT_TRUE(process.Running());

  // Same process, same models and versions.
  auto fresh = v1::ModelService::NewStub(FreshChannel(process.address()));
  v1::ListModelsResponse list;
  ASSERT_TRUE(
      fresh->ListModels(Context().get(), v1::ListModelsRequest(), &list).ok());
  ASSERT_EQ(list.models_size(), 1);
  EXPECT_EQ(list.models(0).name(), "m");
  EXPECT_EQ(list.models(0).version(), 2u);
  v1::ForwardRequest request;
  request.set_model("m");
  *request.mutable_input() = ValuesTensor({1, 2}, {0, 0});
  v1::ForwardResponse response;
  ASSERT_TRUE(Forward(*fresh, request, &response).ok());
  EXPECT_EQ(TensorData(response.output()), std::vector<float>({0.5f, -0.5f}));
}

// The probe tells a listener that accepts (a real server answers the
// HTTP/2 preface) from one that does not (a socket that listens but never
// calls accept: connections wait in the backlog, as with gRPC after EMFILE).
TEST(ListenerProbeTest, TellsAWedgedListenerFromALiveOne) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server::ProbeListener("127.0.0.1", server->server().grpc_port(),
                                    absl::Seconds(1))
                  .ok());

  const int wedged = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(wedged, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(bind(wedged, reinterpret_cast<struct sockaddr*>(&addr),
                 sizeof(addr)),
            0);
  ASSERT_EQ(listen(wedged, 16), 0);
  socklen_t length = sizeof(addr);
  getsockname(wedged, reinterpret_cast<struct sockaddr*>(&addr), &length);
  const absl::Status probe = server::ProbeListener(
      "127.0.0.1", ntohs(addr.sin_port), absl::Milliseconds(300));
  EXPECT_EQ(probe.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(probe.message()),
              ::testing::HasSubstr("connection not accepted"));
  close(wedged);
}

TEST(ListenerProbeTest, ProbesLoopbackForWildcardAddresses) {
  EXPECT_EQ(server::ProbeHostFor("0.0.0.0:50051"), "127.0.0.1");
  EXPECT_EQ(server::ProbeHostFor("[::]:50051"), "::1");
  EXPECT_EQ(server::ProbeHostFor("10.1.2.3:50051"), "10.1.2.3");
  EXPECT_EQ(server::ProbeHostFor("[fe80::1]:0"), "fe80::1");
}

}  // namespace
}  // namespace brainserve::testing
