#include "server/store/float_blob.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "server/store/crc32c.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace brainserve::server::store {
namespace {

void SwapBytes32(char* data, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    char* p = data + 4 * i;
    std::swap(p[0], p[3]);
    std::swap(p[1], p[2]);
  }
}

}  // namespace

std::string FloatsToBlob(absl::Span<const float> values) {
  std::string blob(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(blob.data(), values.data(), blob.size());
  if (!kHostIsLittleEndian) SwapBytes32(blob.data(), values.size());
  return blob;
}

absl::StatusOr<std::vector<float>> BlobToFloats(absl::string_view blob,
                                                int64_t count,
                                                absl::string_view what) {
  if (count < 0 || blob.size() != static_cast<size_t>(count) * sizeof(float)) {
    return absl::DataLossError(absl::StrCat(what, ": ", blob.size(),
                                            " bytes stored for ", count,
                                            " float32 values"));
  }
  std::vector<float> values(static_cast<size_t>(count));
  if (count > 0) std::memcpy(values.data(), blob.data(), blob.size());
  if (!kHostIsLittleEndian) {
    SwapBytes32(reinterpret_cast<char*>(values.data()), values.size());
  }
  return values;
}

absl::Status CheckCrc(absl::string_view blob, int64_t crc,
                      absl::string_view what) {
  if (Crc32c(blob.data(), blob.size()) == static_cast<uint32_t>(crc)) {
    return absl::OkStatus();
  }
  return absl::DataLossError(
      absl::StrCat(what, ": checksum mismatch (the stored bytes changed)"));
}

absl::StatusOr<DecodedTensor> DecodeTensor(absl::string_view shape_text,
                                           absl::string_view blob, int64_t crc,
                                           absl::string_view what) {
  DecodedTensor tensor;
  absl::StatusOr<std::vector<int64_t>> shape = TextToShape(shape_text, what);
  if (!shape.ok()) return shape.status();
  tensor.shape = *std::move(shape);
  absl::Status checked = CheckCrc(blob, crc, what);
  if (!checked.ok()) return checked;
  absl::StatusOr<std::vector<float>> data =
      BlobToFloats(blob, NumElements(tensor.shape), what);
  if (!data.ok()) return data.status();
  tensor.data = *std::move(data);
  return tensor;
}

std::string ShapeToText(absl::Span<const int64_t> shape) {
  return absl::StrJoin(shape, ",");
}

int64_t NumElements(absl::Span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<std::vector<int64_t>> TextToShape(absl::string_view text,
                                                 absl::string_view what) {
  std::vector<int64_t> shape;
  if (text.empty()) return shape;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t dim = 0;
    if (!absl::SimpleAtoi(part, &dim) || dim < 0) {
      return absl::DataLossError(
          absl::StrCat(what, ": malformed shape '", text, "'"));
    }
    shape.push_back(dim);
  }
  return shape;
}

}  // namespace brainserve::server::store
