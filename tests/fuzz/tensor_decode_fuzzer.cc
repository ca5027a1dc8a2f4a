// Tensor decoding: a binary-serialized v1.Tensor through the server's
// DecodeTensor (tensor_codec.h), the engine's DenseTensorFromProto
// (tensor_proto.h) and the client's FromProto (host_tensor.h).
//
// Invariants: the server and the engine implement the same contract, so they
// accept the same tensors and decode them to the same values; what they
// accept the client accepts too, with the same values; a decoded tensor
// encodes back (both encodings) to a tensor that decodes to the same values.
#include <cstddef>
#include <cstdint>

#include "brainserve/v1/tensor.pb.h"
#include "client/host_tensor.h"
#include "engine/tensor_proto.h"
#include "server/tensor_codec.h"
#include "tests/fuzz/fuzz_models.h"

namespace {

using brainserve::fuzz::Require;
using brainserve::fuzz::SameFloats;

bool Same(const brainserve::engine::DenseTensor& a,
          const std::vector<int64_t>& shape, const std::vector<float>& data) {
  return a.shape == shape && a.data.size() == data.size() &&
         SameFloats(a.data.data(), data.data(), data.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  brainserve::v1::Tensor tensor;
  if (!tensor.ParseFromArray(data, static_cast<int>(size))) return -1;
  absl::StatusOr<brainserve::engine::DenseTensor> server =
      brainserve::server::DecodeTensor(tensor, "input");
  absl::StatusOr<brainserve::engine::DenseTensor> engine =
      brainserve::engine::DenseTensorFromProto(tensor, "input");
  Require(server.ok() == engine.ok(),
          "server and engine accept the same tensors",
          server.ok() ? engine.status() : server.status());
  absl::StatusOr<brainserve::client::HostTensor> client =
      brainserve::client::FromProto(tensor);
  if (!server.ok()) return 0;
  Require(Same(*engine, server->shape, server->data),
          "server and engine decode to the same values");
  Require(client.ok(), "the client accepts what the server accepts",
          client.status());
  Require(Same(*server, client->shape, client->values),
          "client and server decode to the same values");
  for (auto encoding : {brainserve::server::TensorEncoding::kRaw,
                        brainserve::server::TensorEncoding::kValues}) {
    brainserve::v1::Tensor encoded;
    brainserve::server::EncodeTensor(server->shape, server->data, encoding,
                                     &encoded);
    absl::StatusOr<brainserve::engine::DenseTensor> again =
        brainserve::server::DecodeTensor(encoded, "again");
    Require(again.ok(), "an encoded tensor decodes", again.status());
    Require(Same(*again, server->shape, server->data), "tensor round trip");
  }
  return 0;
}
