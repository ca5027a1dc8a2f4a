#include "client/loadgen/input_data.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace brainserve::loadgen {
namespace {

int64_t Product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Finds the value text of `'key':` in the npy header dict.
absl::string_view HeaderField(absl::string_view header, absl::string_view key) {
  const std::string quoted = absl::StrCat("'", key, "'");
  size_t pos = header.find(quoted);
  if (pos == absl::string_view::npos) return {};
  pos = header.find(':', pos);
  if (pos == absl::string_view::npos) return {};
  return absl::StripLeadingAsciiWhitespace(header.substr(pos + 1));
}

template <typename T>
void Convert(const char* data, int64_t n, std::vector<float>* out) {
  out->resize(n);
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    (*out)[i] = static_cast<float>(v);
  }
}

absl::Status FlattenJson(const google::protobuf::Value& value, size_t depth,
                         HostTensor* out) {
  if (value.kind_case() == google::protobuf::Value::kNumberValue) {
    if (depth != out->shape.size()) {
      return absl::InvalidArgumentError("JSON input array is not rectangular");
    }
    out->values.push_back(static_cast<float>(value.number_value()));
    return absl::OkStatus();
  }
  if (value.kind_case() != google::protobuf::Value::kListValue) {
    return absl::InvalidArgumentError("JSON input must hold only numbers");
  }
  const auto& list = value.list_value().values();
  if (depth == out->shape.size() && out->values.empty()) {
    out->shape.push_back(list.size());
  } else if (depth >= out->shape.size() || out->shape[depth] != list.size()) {
    return absl::InvalidArgumentError("JSON input array is not rectangular");
  }
  for (const auto& element : list) {
    if (absl::Status s = FlattenJson(element, depth + 1, out); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostTensor> ParseNpy(absl::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") {
    return absl::InvalidArgumentError("not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    for (int i = 0; i < 4; ++i) {
      header_len |=
          static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i]))
          << (8 * i);
    }
    offset = 12;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported .npy version ", major));
  }
  if (bytes.size() < offset + header_len) {
    return absl::InvalidArgumentError("truncated .npy header");
  }
  absl::string_view header = bytes.substr(offset, header_len);
  absl::string_view descr = HeaderField(header, "descr");
  absl::string_view order = HeaderField(header, "fortran_order");
  absl::string_view shape_text = HeaderField(header, "shape");
  if (descr.empty() || order.empty() || shape_text.empty()) {
    return absl::InvalidArgumentError("malformed .npy header");
  }
  if (!absl::StartsWith(order, "False")) {
    return absl::InvalidArgumentError(".npy in Fortran order is not supported");
  }
  HostTensor tensor;
  shape_text = shape_text.substr(1, shape_text.find(')') - 1);
  for (absl::string_view dim :
       absl::StrSplit(shape_text, ',', absl::SkipWhitespace())) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(dim), &d) || d < 0) {
      return absl::InvalidArgumentError("malformed .npy shape");
    }
    tensor.shape.push_back(d);
  }
  const int64_t n = Product(tensor.shape);
  const char* data = bytes.data() + offset + header_len;
  const size_t available = bytes.size() - offset - header_len;
  struct Kind {
    const char* descr;
    size_t size;
    std::function<void(const char*, int64_t, std::vector<float>*)> convert;
  };
  const Kind kinds[] = {{"'<f4'", 4, Convert<float>},
                        {"'<f8'", 8, Convert<double>},
                        {"'<i4'", 4, Convert<int32_t>},
                        {"'<i8'", 8, Convert<int64_t>}};
  for (const Kind& kind : kinds) {
    if (!absl::StartsWith(descr, kind.descr)) continue;
    if (available < n * kind.size) {
      return absl::InvalidArgumentError("truncated .npy data");
    }
    kind.convert(data, n, &tensor.values);
    return tensor;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported .npy dtype ", descr.substr(0, descr.find(',')),
                   " (want <f4, <f8, <i4 or <i8)"));
}

absl::StatusOr<HostTensor> ParseJsonTensor(absl::string_view json) {
  google::protobuf::Value value;
  auto status =
      google::protobuf::util::JsonStringToMessage(std::string(json), &value);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input JSON does not parse: ", status.ToString()));
  }
  HostTensor tensor;
  if (absl::Status s = FlattenJson(value, 0, &tensor); !s.ok()) return s;
  if (static_cast<int64_t>(tensor.values.size()) != Product(tensor.shape)) {
    return absl::InvalidArgumentError("JSON input array is not rectangular");
  }
  return tensor;
}

absl::StatusOr<HostTensor> ReadTensorFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string bytes = buffer.str();
  absl::StatusOr<HostTensor> tensor =
      absl::EndsWith(path, ".npy") ? ParseNpy(bytes) : ParseJsonTensor(bytes);
  if (!tensor.ok()) {
    return absl::Status(tensor.status().code(),
                        absl::StrCat(path, ": ", tensor.status().message()));
  }
  return tensor;
}

void ToProto(const HostTensor& tensor, bool raw_encoding,
             brainserve::v1::Tensor* out) {
  out->Clear();
  for (int64_t d : tensor.shape) out->add_shape(d);
  if (tensor.values.empty()) return;
  if (raw_encoding) {
    // Assumes a little-endian host, as every supported platform is.
    out->set_raw(reinterpret_cast<const char*>(tensor.values.data()),
                 tensor.values.size() * sizeof(float));
  } else {
    out->mutable_values()->Add(tensor.values.begin(), tensor.values.end());
  }
}

absl::StatusOr<std::vector<brainserve::v1::ForwardRequest>>
BuildForwardRequests(const std::string& model,
                     const std::vector<int64_t>& input_shape,
                     const InputOptions& options) {
  if (options.batch_rows < 1) {
    return absl::InvalidArgumentError("--batch must be >= 1");
  }
  const int64_t sample_elements = Product(input_shape);
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
    ToProto(tensor, options.raw_encoding, request.mutable_input());
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
