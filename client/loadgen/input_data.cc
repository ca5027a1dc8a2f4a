#include "client/loadgen/input_data.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/host_tensor.h"
#include "client/tensor_io.h"
#include "engine/shape.h"

namespace brainserve::loadgen {
namespace {

using client::HostTensor;

// Reads and parses `path` (.npy by its magic bytes, JSON otherwise).
absl::StatusOr<HostTensor> ReadTensorFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << file.rdbuf();
  return client::ParseTensorBytes(buffer.str(), path);
}

}  // namespace

absl::StatusOr<std::vector<brainserve::v1::ForwardRequest>>
BuildForwardRequests(const std::string& model,
                     const std::vector<int64_t>& input_shape,
                     const InputOptions& options) {
  if (options.batch_rows < 1) {
    return absl::InvalidArgumentError("--batch must be >= 1");
  }
  const int64_t sample_elements = engine::NumElements(input_shape);
  std::vector<HostTensor> inputs;
  if (!options.input_file.empty()) {
    absl::StatusOr<HostTensor> file = ReadTensorFile(options.input_file);
    if (!file.ok()) return file.status();
    HostTensor tensor = *std::move(file);
    if (tensor.shape == input_shape) {
      HostTensor tiled;
      tiled.shape = {options.batch_rows};
      tiled.shape.insert(tiled.shape.end(), input_shape.begin(),
                         input_shape.end());
      for (int64_t r = 0; r < options.batch_rows; ++r) {
        tiled.values.insert(tiled.values.end(), tensor.values.begin(),
                            tensor.values.end());
      }
      tensor = std::move(tiled);
    } else if (tensor.shape.size() != input_shape.size() + 1 ||
               !std::equal(input_shape.begin(), input_shape.end(),
                           tensor.shape.begin() + 1) ||
               tensor.shape[0] < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.input_file, " has shape [", absl::StrJoin(tensor.shape, ","),
          "]; the model takes [", absl::StrJoin(input_shape, ","), "] or [B,",
          absl::StrJoin(input_shape, ","), "]"));
    }
    inputs.push_back(std::move(tensor));
  } else {
    std::mt19937_64 rng(options.seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (int i = 0; i < std::max(1, options.pool_size); ++i) {
      HostTensor tensor;
      tensor.shape = {options.batch_rows};
      tensor.shape.insert(tensor.shape.end(), input_shape.begin(),
                          input_shape.end());
      tensor.values.resize(options.batch_rows * sample_elements);
      for (float& v : tensor.values) v = uniform(rng);
      inputs.push_back(std::move(tensor));
    }
  }
  std::vector<brainserve::v1::ForwardRequest> requests;
  for (const HostTensor& tensor : inputs) {
    brainserve::v1::ForwardRequest request;
    request.set_model(model);
    *request.mutable_input() = client::ToProto(
        tensor, options.raw_encoding ? client::TensorEncoding::kRaw
                                     : client::TensorEncoding::kValues);
    requests.push_back(std::move(request));
  }
  return requests;
}

std::string GrpcFrame(absl::string_view serialized) {
  std::string frame(5, '\0');
  const uint32_t n = static_cast<uint32_t>(serialized.size());
  frame[1] = static_cast<char>((n >> 24) & 0xff);
  frame[2] = static_cast<char>((n >> 16) & 0xff);
  frame[3] = static_cast<char>((n >> 8) & 0xff);
  frame[4] = static_cast<char>(n & 0xff);
  frame.append(serialized.data(), serialized.size());
  return frame;
}

}  // namespace brainserve::loadgen
