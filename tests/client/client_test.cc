#include "client/client.h"

#include <string>

#include "client/host_tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_model_service.h"

namespace brainserve::client {
namespace {

using ::testing::ElementsAre;
using testing::FakeServer;
namespace v1 = ::brainserve::v1;

std::unique_ptr<Client> Connect(const FakeServer& server,
                                ClientOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(server.address(), options);
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

TEST(ClientTest, CreateValidatesArguments) {
  EXPECT_EQ(Client::Create("").status().code(),
            absl::StatusCode::kInvalidArgument);
  ClientOptions negative_timeout;
  negative_timeout.timeout_ms = -1;
  EXPECT_FALSE(Client::Create("localhost:1", negative_timeout).ok());
  ClientOptions zero_size;
  zero_size.max_message_bytes = 0;
  EXPECT_FALSE(Client::Create("localhost:1", zero_size).ok());
}

TEST(ClientTest, ReadYourWritesSendsTheHighestVersionSeenAsMinVersion) {
  FakeServer server;
  testing::FakeModelService::Script script;
  script.model.set_name("m");
  script.model.set_version(3);
  script.version = 7;  // what Update, Forward and GetParameters answer
  server.service().SetScript(script);
  ClientOptions options;
  options.read_your_writes = true;
  std::unique_ptr<Client> client = Connect(server, options);

  // Nothing seen yet: no min_version.
  ASSERT_TRUE(client->GetModel("m").ok());
  EXPECT_FALSE(server.service().last_get_model().has_min_version());
  EXPECT_EQ(client->last_seen_version("m"), 3u);

  v1::UpdateParametersRequest update;
  update.set_model("m");
  ASSERT_TRUE(client->UpdateParameters(update).ok());
  EXPECT_EQ(client->last_seen_version("m"), 7u);

  v1::ForwardRequest forward;
  forward.set_model("m");
  ASSERT_TRUE(client->Forward(forward).ok());
  EXPECT_EQ(server.service().last_forward().min_version(), 7u);
  v1::GetParametersRequest params;
  params.set_model("m");
  ASSERT_TRUE(client->GetParameters(params).ok());
  EXPECT_EQ(server.service().last_get_parameters().min_version(), 7u);
  ASSERT_TRUE(client->GetModel("m").ok());
  EXPECT_EQ(server.service().last_get_model().min_version(), 7u);
  // A lower version seen later does not lower it; other models are apart.
  EXPECT_EQ(client->last_seen_version("m"), 7u);
  EXPECT_EQ(client->last_seen_version("other"), 0u);
  // An explicit min_version wins.
  forward.set_min_version(2);
  ASSERT_TRUE(client->Forward(forward).ok());
  EXPECT_EQ(server.service().last_forward().min_version(), 2u);
}

TEST(ClientTest, WithoutReadYourWritesNoMinVersionIsSent) {
  FakeServer server;
  testing::FakeModelService::Script script;
  script.version = 7;
  server.service().SetScript(script);
  std::unique_ptr<Client> client = Connect(server);
  v1::UpdateParametersRequest update;
  update.set_model("m");
  ASSERT_TRUE(client->UpdateParameters(update).ok());
  v1::ForwardRequest forward;
  forward.set_model("m");
  ASSERT_TRUE(client->Forward(forward).ok());
  EXPECT_FALSE(server.service().last_forward().has_min_version());
  EXPECT_EQ(client->last_seen_version("m"), 0u);
}

TEST(ClientTest, CallsEveryRpc) {
  FakeServer server;
  FakeServer& s = server;
  testing::FakeModelService::Script script;
  script.list.add_models()->set_name("a");
  script.model.set_name("a");
  script.model.set_version(4);
  script.version = 9;
  script.parameters.add_parameters()->set_name("weight");
  s.service().SetScript(script);
  std::unique_ptr<Client> client = Connect(server);

  absl::StatusOr<v1::ListModelsResponse> list = client->ListModels();
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->models(0).name(), "a");

  absl::StatusOr<v1::ModelInfo> info = client->GetModel("a");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version(), 4u);
  EXPECT_EQ(s.service().last_name(), "a");

  v1::CreateModelRequest create;
  create.set_name("b");
  create.set_seed(11);
  ASSERT_TRUE(client->CreateModel(create).ok());
  EXPECT_EQ(s.service().last_create().seed(), 11u);

  v1::ForwardRequest forward;
  forward.set_model("a");
  *forward.mutable_input() =
      ToProto(HostTensor{{1, 2}, {1, 2}}, TensorEncoding::kRaw);
  absl::StatusOr<v1::ForwardResponse> output = client->Forward(forward);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->version(), 9u);
  EXPECT_EQ(output->output().raw(), forward.input().raw());

  v1::UpdateParametersRequest update;
  update.set_model("a");
  update.set_expected_version(8);
  absl::StatusOr<v1::UpdateParametersResponse> updated =
      client->UpdateParameters(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version(), 9u);
  EXPECT_EQ(s.service().last_update().expected_version(), 8u);

  v1::GetParametersRequest get;
  get.set_model("a");
  get.set_layer("fc");
  absl::StatusOr<v1::GetParametersResponse> parameters =
      client->GetParameters(get);
  ASSERT_TRUE(parameters.ok()) << parameters.status();
  EXPECT_EQ(parameters->parameters(0).name(), "weight");
  EXPECT_EQ(s.service().last_get_parameters().layer(), "fc");

  EXPECT_TRUE(client->DeleteModel("gone").ok());
  EXPECT_EQ(s.service().last_name(), "gone");
}

TEST(ClientTest, PreservesStatusCodeAndMessage) {
  FakeServer server;
  testing::FakeModelService::Script script;
  script.error = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                              "expected_version 3 but model is at 5");
  server.service().SetScript(script);
  std::unique_ptr<Client> client = Connect(server);
  absl::StatusOr<v1::UpdateParametersResponse> updated =
      client->UpdateParameters(v1::UpdateParametersRequest());
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(updated.status().message(), "expected_version 3 but model is at 5");
  absl::Status deleted = client->DeleteModel("x");
  EXPECT_EQ(deleted.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ClientTest, AppliesTheDeadline) {
  FakeServer server;
  ClientOptions options;
  options.timeout_ms = 50;
  std::unique_ptr<Client> client = Connect(server, options);
  v1::ForwardRequest forward;
  forward.set_model("slow");
  EXPECT_EQ(client->Forward(forward).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(ClientTest, EnforcesMaxMessageBytes) {
  FakeServer server;
  testing::FakeModelService::Script script;
  v1::Parameter* parameter = script.parameters.add_parameters();
  *parameter->mutable_value() =
      ToProto(HostTensor{{1 << 19}, std::vector<float>(1 << 19, 1.0f)},
              TensorEncoding::kRaw);  // 2 MiB
  server.service().SetScript(script);

  ClientOptions small;
  small.max_message_bytes = 1 << 20;
  EXPECT_EQ(Connect(server, small)
                ->GetParameters(v1::GetParametersRequest())
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  // The default (64 MiB) is well above gRPC's own 4 MiB receive limit.
  ClientOptions large;
  EXPECT_TRUE(
      Connect(server, large)->GetParameters(v1::GetParametersRequest()).ok());
}

TEST(ClientTest, HealthCheck) {
  FakeServer server;
  std::unique_ptr<Client> client = Connect(server);
  absl::StatusOr<ServingStatus> overall = client->Health("");
  ASSERT_TRUE(overall.ok()) << overall.status();
  EXPECT_EQ(*overall, ServingStatus::kServing);
  EXPECT_EQ(*client->Health("brainserve.v1.ModelService"),
            ServingStatus::kServing);
  EXPECT_EQ(*client->Health("down"), ServingStatus::kNotServing);
  EXPECT_EQ(client->Health("unknown").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_STREQ(ServingStatusName(ServingStatus::kNotServing), "NOT_SERVING");
}

TEST(ClientTest, UnreachableServerIsUnavailable) {
  ClientOptions options;
  options.timeout_ms = 2000;
  // Port 1 on loopback refuses connections.
  std::unique_ptr<Client> client = *Client::Create("127.0.0.1:1", options);
  EXPECT_EQ(client->ListModels().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(client->Health("").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace brainserve::client
