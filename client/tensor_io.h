// Reading and writing tensors and text from files or standard streams, as the
// CLI does it: a path of "-" means stdin (for reading); the .npy format is
// recognized by its magic bytes (anything else is parsed as a JSON tensor);
// output goes to .npy when the path ends in ".npy", JSON otherwise.
#ifndef BRAINSERVE_CLIENT_TENSOR_IO_H_
#define BRAINSERVE_CLIENT_TENSOR_IO_H_

#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/host_tensor.h"

namespace brainserve::client {

// Reads a whole file ("-" = `stdin_stream`). InvalidArgument if unreadable.
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path,
                                            std::istream& stdin_stream);

// Parses .npy (by magic) or a JSON tensor; `source` names the input in
// error messages.
absl::StatusOr<HostTensor> ParseTensorBytes(absl::string_view bytes,
                                            absl::string_view source);

// ReadFileOrStdin + ParseTensorBytes.
absl::StatusOr<HostTensor> ReadTensor(const std::string& path,
                                      std::istream& stdin_stream);

// Writes `tensor` to `path` as .npy or JSON (by extension), replacing it.
absl::Status WriteTensor(const std::string& path, const HostTensor& tensor);

// Writes `contents` to `path`, replacing it.
absl::Status WriteFile(const std::string& path, absl::string_view contents);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_TENSOR_IO_H_
