// Parameter values as stored: raw little-endian float32, whatever the host's
// byte order, and shapes as comma-separated text ("64,10"; "" for a scalar).
// Shared by every durable store so that their bytes are interchangeable.
#ifndef BRAINSERVE_SERVER_STORE_FLOAT_BLOB_H_
#define BRAINSERVE_SERVER_STORE_FLOAT_BLOB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace brainserve::server::store {

// True on little-endian hosts, where a float vector's memory is the blob.
constexpr bool kHostIsLittleEndian =
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// The blob of `values`. On little-endian hosts prefer binding the vector's
// memory directly; this copy is for big-endian hosts.
std::string FloatsToBlob(absl::Span<const float> values);

// DATA_LOSS naming `what` if the blob is not `count` floats.
absl::StatusOr<std::vector<float>> BlobToFloats(absl::string_view blob,
                                                int64_t count,
                                                absl::string_view what);

// DATA_LOSS naming `what` unless `blob` has the CRC-32C `crc` (as stored).
absl::Status CheckCrc(absl::string_view blob, int64_t crc,
                      absl::string_view what);

// A stored parameter value: its shape text, its blob and the blob's CRC,
// checked and decoded. DATA_LOSS naming `what` on any mismatch.
struct DecodedTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
absl::StatusOr<DecodedTensor> DecodeTensor(absl::string_view shape_text,
                                           absl::string_view blob, int64_t crc,
                                           absl::string_view what);

std::string ShapeToText(absl::Span<const int64_t> shape);
// Elements of `shape` (1 for a scalar).
int64_t NumElements(absl::Span<const int64_t> shape);
// DATA_LOSS naming `what` for anything but non-negative integers.
absl::StatusOr<std::vector<int64_t>> TextToShape(absl::string_view text,
                                                 absl::string_view what);

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_FLOAT_BLOB_H_
