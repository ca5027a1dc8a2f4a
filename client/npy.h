// NumPy .npy reading and writing (format versions 1.0, 2.0 and 3.0).
//
// Reading accepts C-order arrays of little-endian '<f4' (used as is) and, by
// converting to float32, '<f8', '<i4' and '<i8' (float64 and int64 values
// beyond float32's range or precision are rounded, as numpy's astype would).
// Fortran-order arrays, big-endian data and every other dtype are rejected
// with an InvalidArgument error that says why. Writing always produces a
// '<f4' C-order file in format 1.0 (2.0 if the header would not fit), with
// the header padded by spaces so the data starts at a multiple of 64 bytes,
// exactly as numpy.save does.
#ifndef BRAINSERVE_CLIENT_NPY_H_
#define BRAINSERVE_CLIENT_NPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/host_tensor.h"

namespace brainserve::client {

// The first six bytes of every .npy file.
inline constexpr absl::string_view kNpyMagic("\x93NUMPY", 6);

// True if `bytes` starts with the .npy magic string.
bool HasNpyMagic(absl::string_view bytes);

// Parses a complete .npy file image.
absl::StatusOr<HostTensor> ParseNpy(absl::string_view bytes);

// Serializes `tensor` (which must be valid) as a '<f4' .npy file image.
std::string SerializeNpy(const HostTensor& tensor);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_NPY_H_
