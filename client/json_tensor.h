// JSON tensor text <-> HostTensor.
//
// Two input forms are accepted:
//   * a nested JSON array, e.g. [[1, 2], [3, 4]] -> shape [2, 2]; the shape
//     is inferred and every sibling must have the same shape (ragged arrays
//     are an error); a bare number is a scalar (shape []); [] is shape [0];
//   * an object, which is the protobuf JSON mapping of brainserve.v1.Tensor:
//     {"shape": [2, 2], "values": [1, 2, 3, 4]} (shape entries may also be
//     decimal strings, and "raw" may carry base64 little-endian float32 bytes
//     instead of "values"), so `brainserve-cli --json` output feeds back in.
// Numbers may also be the strings "NaN", "Infinity" and "-Infinity", as in the
// protobuf JSON mapping. Parsing uses protobuf's JSON parser (no extra deps).
#ifndef BRAINSERVE_CLIENT_JSON_TENSOR_H_
#define BRAINSERVE_CLIENT_JSON_TENSOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/host_tensor.h"

namespace brainserve::client {

// Parses either form above. InvalidArgument names the offending position
// (e.g. "[1][0]") for ragged or non-numeric input.
absl::StatusOr<HostTensor> ParseJsonTensor(absl::string_view json);

// Writes `tensor` (which must be valid) in the object form with integer shape
// entries, e.g. {"shape":[2],"values":[0.5,-1]}. Each value is printed with
// the fewest digits that read back to the same float32.
std::string FormatJsonTensor(const HostTensor& tensor);

// The shortest decimal text that parses back to `value` ("NaN", "Infinity"
// and "-Infinity" for non-finite values, unquoted).
std::string FormatFloat(float value);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_JSON_TENSOR_H_
