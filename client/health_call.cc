#include "client/health_call.h"

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "client/grpc_status.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace brainserve::client {
namespace {

constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

grpc::ByteBuffer EncodeRequest(const std::string& service) {
  google::protobuf::UnknownFieldSet fields;
  if (!service.empty()) fields.AddLengthDelimited(1, service);
  std::string bytes;
  fields.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

absl::StatusOr<int> DecodeResponse(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  grpc::Status dumped = buffer.Dump(&slices);
  if (!dumped.ok()) return FromGrpcStatus(dumped);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(bytes)) {
    return absl::DataLossError("unparsable grpc.health.v1.HealthCheckResponse");
  }
  int status = 0;  // proto3 default: UNKNOWN
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.number() == 1 &&
        field.type() == google::protobuf::UnknownField::TYPE_VARINT) {
      status = static_cast<int>(field.varint());
    }
  }
  return status;
}

}  // namespace

absl::StatusOr<int> HealthCheck(grpc::Channel& channel,
                                grpc::ClientContext* context,
                                const std::string& service) {
  // The generic stub needs shared ownership; `channel` outlives the call.
  std::shared_ptr<grpc::Channel> unowned(&channel, [](grpc::Channel*) {});
  grpc::GenericStub stub(unowned);
  grpc::CompletionQueue queue;
  const grpc::ByteBuffer request = EncodeRequest(service);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(context, kCheckMethod, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, /*tag=*/nullptr);
  void* tag = nullptr;
  bool ok = false;
  if (!queue.Next(&tag, &ok) || !ok) {
    return absl::InternalError("health check completion queue failed");
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return FromGrpcStatus(status);
  return DecodeResponse(response);
}

}  // namespace brainserve::client
