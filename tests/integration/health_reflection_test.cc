// grpc.health.v1.Health (typed stub from a test copy of health.proto) and
// server reflection (v1alpha, over a generic stub with hand-decoded wire
// messages, since Debian's gRPC ships no reflection headers to clients).
#include <memory>
#include <set>
#include <string>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "protos/grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Check(grpc::health::v1::Health::Stub& stub,
                                         const std::string& service,
                                         grpc::Status* status = nullptr) {
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status local = stub.Check(Context().get(), request, &response);
  if (status != nullptr) *status = local;
  EXPECT_TRUE(status != nullptr || local.ok()) << local.error_message();
  return response.status();
}

TEST(HealthTest, ServingOverallAndPerServiceThenNotServingWhenDraining) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  auto health = grpc::health::v1::Health::NewStub(server->channel());
  EXPECT_EQ(Check(*health, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(*health, "brainserve.v1.ModelService"),
            HealthCheckResponse::SERVING);
  grpc::Status unknown;
  Check(*health, "no.such.Service", &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);

  // Shutdown's first step: still accepting calls, but reporting NOT_SERVING
  // so load balancers stop sending traffic.
  server->server().EnterDraining();
  EXPECT_EQ(Check(*health, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(*health, "brainserve.v1.ModelService"),
            HealthCheckResponse::NOT_SERVING);
  server->server().Shutdown();
  grpc::Status after;
  Check(*health, "", &after);
  EXPECT_FALSE(after.ok());  // no longer accepting calls
}

// One request/response exchange on the reflection stream.
// ServerReflectionRequest: list_services = 7, file_containing_symbol = 4.
// ServerReflectionResponse: file_descriptor_response = 4
// { repeated bytes file_descriptor_proto = 1 }, list_services_response = 6
// { repeated ServiceResponse service = 1 { string name = 1 } }.
std::string Reflect(std::shared_ptr<grpc::Channel> channel, int request_field,
                    const std::string& value) {
  google::protobuf::UnknownFieldSet request;
  request.AddLengthDelimited(request_field, value);
  std::string request_bytes;
  request.SerializeToString(&request_bytes);

  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto context = Context();
  auto call = stub.PrepareCall(
      context.get(),
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&cq](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&got, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(got), tag);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  EXPECT_TRUE(step(1));
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer send(&slice, 1);
  call->Write(send, reinterpret_cast<void*>(2));
  EXPECT_TRUE(step(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  EXPECT_TRUE(step(3));
  grpc::ByteBuffer received;
  call->Read(&received, reinterpret_cast<void*>(4));
  EXPECT_TRUE(step(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  EXPECT_TRUE(step(5));
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }

  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(received.Dump(&slices).ok());
  std::string response_bytes;
  for (const grpc::Slice& s : slices) {
    response_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return response_bytes;
}

TEST(ReflectionTest, ListsModelServiceAndHealth) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  google::protobuf::UnknownFieldSet response;
  ASSERT_TRUE(response.ParseFromString(
      Reflect(server->channel(), /*list_services=*/7, "*")));
  std::set<std::string> services;
  for (int i = 0; i < response.field_count(); ++i) {
    const auto& field = response.field(i);
    if (field.number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    ASSERT_TRUE(list.ParseFromString(field.length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      ASSERT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      ASSERT_GE(service.field_count(), 1);
      services.insert(service.field(0).length_delimited());
    }
  }
  EXPECT_TRUE(services.count("brainserve.v1.ModelService")) << services.size();
  EXPECT_TRUE(services.count("grpc.health.v1.Health"));
  EXPECT_TRUE(services.count("grpc.reflection.v1alpha.ServerReflection"));
}

TEST(ReflectionTest, DescribesModelServiceForGrpcurl) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  google::protobuf::UnknownFieldSet response;
  ASSERT_TRUE(response.ParseFromString(Reflect(server->channel(),
                                               /*file_containing_symbol=*/4,
                                               "brainserve.v1.ModelService")));
  bool found = false;
  for (int i = 0; i < response.field_count(); ++i) {
    if (response.field(i).number() != 4) continue;
    google::protobuf::UnknownFieldSet files;
    ASSERT_TRUE(files.ParseFromString(response.field(i).length_delimited()));
    for (int j = 0; j < files.field_count(); ++j) {
      google::protobuf::FileDescriptorProto file;
      ASSERT_TRUE(file.ParseFromString(files.field(j).length_delimited()));
      for (const auto& service : file.service()) {
        if (service.name() == "ModelService") {
          found = true;
          EXPECT_EQ(service.method_size(), 7);
        }
      }
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace brainserve::testing
