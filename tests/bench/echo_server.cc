// brainserve-echo-server: the floor of a brainserve.v1 Forward over gRPC.
// It answers ModelService/Forward with the request's input tensor as the
// output, with the same gRPC library, API (callback) and message types as
// brainserve-server, but none of the server's work: no model lookup,
// validation, batching, compute or metrics. tests/bench/run_echo_report.sh
// compares brainserve-server's CPU per request (identity model) with it.
//
//   brainserve-echo-server --listen=127.0.0.1:0 --ready_file=/tmp/echo.json
//
// The ready file is JSON, {"grpc_port": N}, written once serving. Stops on
// SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on");
ABSL_FLAG(std::string, ready_file, "",
          "If set, {\"grpc_port\": N} is written here once serving");
ABSL_FLAG(int64_t, max_message_bytes, 64 << 20,
          "Largest message received or sent, as brainserve-server's default");

namespace {

class EchoService final : public brainserve::v1::ModelService::CallbackService {
  grpc::ServerUnaryReactor* Forward(
      grpc::CallbackServerContext* context,
      const brainserve::v1::ForwardRequest* request,
      brainserve::v1::ForwardResponse* response) override {
    *response->mutable_output() = request->input();
    response->set_version(1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

volatile std::sig_atomic_t stop_requested = 0;
void OnSignal(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials(), &port);
  const int max_bytes =
      static_cast<int>(absl::GetFlag(FLAGS_max_message_bytes));
  builder.SetMaxReceiveMessageSize(max_bytes);
  builder.SetMaxSendMessageSize(max_bytes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "brainserve-echo-server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  const std::string ready = absl::GetFlag(FLAGS_ready_file);
  if (!ready.empty()) {
    const std::string tmp = ready + ".tmp";
    std::ofstream(tmp) << absl::StrCat("{\"grpc_port\": ", port, "}\n");
    if (std::rename(tmp.c_str(), ready.c_str()) != 0) {
      std::fprintf(stderr, "brainserve-echo-server: cannot write %s\n",
                   ready.c_str());
      return 1;
    }
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  while (!stop_requested) {
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  server->Shutdown();
  return 0;
}
