// Tensor decoding: a binary-serialized v1.Tensor through the one codec's
// DecodeTensor (engine/tensor_codec.h), used by the engine and the server,
// and the client's FromProto (host_tensor.h), which decodes with it too but
// words its own errors.
//
// Invariants: what the codec accepts the client accepts too, with the same
// values, and the client accepts nothing more; a decoded tensor encodes back
// (both encodings) to a tensor that decodes to the same values, and the
// client's encoding is the same message.
#include <cstddef>
#include <cstdint>

#include "brainserve/v1/tensor.pb.h"
#include "client/host_tensor.h"
#include "engine/tensor_codec.h"
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
  absl::StatusOr<brainserve::engine::DenseTensor> decoded =
      brainserve::engine::DecodeTensor(tensor, "input");
  absl::StatusOr<brainserve::client::HostTensor> client =
      brainserve::client::FromProto(tensor);
  Require(decoded.ok() == client.ok(),
          "the client accepts what the codec accepts, and nothing more",
          decoded.ok() ? client.status() : decoded.status());
  if (!decoded.ok()) return 0;
  Require(Same(*decoded, client->shape, client->values),
          "client and codec decode to the same values");
  for (auto encoding : {brainserve::engine::TensorEncoding::kRaw,
                        brainserve::engine::TensorEncoding::kValues}) {
    brainserve::v1::Tensor encoded;
    brainserve::engine::EncodeTensor(decoded->shape, decoded->data, encoding,
                                     &encoded);
    absl::StatusOr<brainserve::engine::DenseTensor> again =
        brainserve::engine::DecodeTensor(encoded, "again");
    Require(again.ok(), "an encoded tensor decodes", again.status());
    Require(Same(*again, decoded->shape, decoded->data), "tensor round trip");
    Require(
        brainserve::client::ToProto(*client, encoding).SerializeAsString() ==
            encoded.SerializeAsString(),
        "the client encodes as the codec does");
  }
  return 0;
}
