// Helpers shared by the tests that run the brainserve-server binary on a
// real SQLite store (durability_test.cc, store_failure_test.cc): fresh store
// directories, starting the server on one, and the two models they use.
// The including test target defines BRAINSERVE_SERVER_BINARY.
#ifndef BRAINSERVE_TESTS_INTEGRATION_DURABILITY_UTIL_H_
#define BRAINSERVE_TESTS_INTEGRATION_DURABILITY_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {

// An MLP with every kind of parameter the durability tests update.
inline constexpr char kLearner[] = R"({
  "name": "learner", "seed": 11,
  "spec": {"input_shape": [8], "layers": [
    {"name": "fc1", "linear": {"out_size": 16}},
    {"name": "norm", "layer_norm": {}},
    {"name": "act", "activation": {"function": "RELU"}},
    {"name": "fc2", "scaled_ws_linear": {"out_size": 4}}]}})";

// One 256x256 Linear: a REPLACE of its weight writes 256 KiB.
inline constexpr char kWide[] = R"({"name": "wide", "seed": 3,
  "spec": {"input_shape": [256], "layers": [{"name": "fc", "linear": {"out_size": 256}}]}})";

// A new empty directory under the test's temporary directory.
inline std::string FreshDir(const std::string& tag) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/durability-", tag, "-",
                                 getpid(), "-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
  return dir;
}

inline std::string StoreFlag(const std::string& dir) {
  return "--store=sqlite:" + dir + "/state.db";
}

// The server binary with `flags` and one engine thread, ready; null (and a
// test failure) if it did not start.
inline std::unique_ptr<ServerProcess> StartServer(
    std::vector<std::string> flags) {
  flags.push_back("--engine_threads=1");
  absl::StatusOr<std::unique_ptr<ServerProcess>> started =
      ServerProcess::Start(BRAINSERVE_SERVER_BINARY, flags);
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? *std::move(started) : nullptr;
}

inline std::unique_ptr<v1::ModelService::Stub> StubFor(
    const ServerProcess& process) {
  return v1::ModelService::NewStub(grpc::CreateChannel(
      process.address(), grpc::InsecureChannelCredentials()));
}

// UpdateParameters; the new version into `version` when it succeeds.
inline grpc::Status Update(v1::ModelService::Stub& stub,
                           const v1::UpdateParametersRequest& request,
                           uint64_t* version = nullptr) {
  v1::UpdateParametersResponse response;
  grpc::Status status =
      stub.UpdateParameters(Context().get(), request, &response);
  if (status.ok() && version != nullptr) *version = response.version();
  return status;
}

// A REPLACE of kWide's weight with `value` everywhere.
inline v1::UpdateParametersRequest ReplaceWeight(float value) {
  v1::UpdateParametersRequest request;
  request.set_model("wide");
  v1::ParameterUpdate* update = request.add_updates();
  update->set_layer("fc");
  update->set_name("weight");
  update->set_mode(v1::ParameterUpdate::REPLACE);
  *update->mutable_value() =
      RawTensor({256, 256}, std::vector<float>(256 * 256, value));
  return request;
}

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_INTEGRATION_DURABILITY_UTIL_H_
