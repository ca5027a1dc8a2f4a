#include "client/tensor_io.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/json_tensor.h"
#include "client/npy.h"

namespace brainserve::client {

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path,
                                            std::istream& stdin_stream) {
  std::ostringstream contents;
  if (path == "-") {
    contents << stdin_stream.rdbuf();
    if (stdin_stream.bad()) {
      return absl::InvalidArgumentError("cannot read standard input");
    }
    return contents.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  }
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
  }
  return contents.str();
}

absl::StatusOr<HostTensor> ParseTensorBytes(absl::string_view bytes,
                                            absl::string_view source) {
  absl::StatusOr<HostTensor> tensor =
      HasNpyMagic(bytes) ? ParseNpy(bytes) : ParseJsonTensor(bytes);
  if (!tensor.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", tensor.status().message()));
  }
  return tensor;
}

absl::StatusOr<HostTensor> ReadTensor(const std::string& path,
                                      std::istream& stdin_stream) {
  absl::StatusOr<std::string> bytes = ReadFileOrStdin(path, stdin_stream);
  if (!bytes.ok()) return bytes.status();
  return ParseTensorBytes(*bytes, path == "-" ? "<stdin>" : path);
}

absl::Status WriteTensor(const std::string& path, const HostTensor& tensor) {
  if (absl::EndsWithIgnoreCase(path, ".npy")) {
    return WriteFile(path, SerializeNpy(tensor));
  }
  return WriteFile(path, FormatJsonTensor(tensor) + "\n");
}

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot open '", path, "' for writing: ", std::strerror(errno)));
  }
  file.write(contents.data(), contents.size());
  file.close();
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace brainserve::client
