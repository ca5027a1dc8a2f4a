#include "client/npy.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/shape.h"

namespace brainserve::client {
namespace {

constexpr size_t kNpyAlignment = 64;

uint64_t LoadLittleEndian(const char* p, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(p[i]);
  }
  return value;
}

absl::Status NpyError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("bad .npy file: ", what));
}

// The three keys of the header dictionary; anything else is an error.
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

// A tokenizer for the Python dict literal numpy writes, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  explicit HeaderParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<NpyHeader> Parse() {
    NpyHeader header;
    if (!Consume('{')) return Error("header is not a dict");
    while (!Consume('}')) {
      std::string key;
      if (!ParseString(&key)) return Error("expected a quoted key");
      if (!Consume(':')) return Error("expected ':' after a key");
      if (key == "descr") {
        std::string descr;
        if (!ParseString(&descr)) return Error("'descr' is not a string");
        header.descr = descr;
      } else if (key == "fortran_order") {
        if (ConsumeWord("True")) {
          header.fortran_order = true;
        } else if (ConsumeWord("False")) {
          header.fortran_order = false;
        } else {
          return Error("'fortran_order' is not True or False");
        }
      } else if (key == "shape") {
        std::vector<int64_t> shape;
        absl::Status status = ParseShape(&shape);
        if (!status.ok()) return status;
        header.shape = shape;
      } else {
        return Error(absl::StrCat("unexpected header key '", key, "'"));
      }
      if (!Consume(',') && !Peek('}')) return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("trailing text after the dict");
    if (!header.descr || !header.fortran_order || !header.shape) {
      return Error("header lacks 'descr', 'fortran_order' or 'shape'");
    }
    return header;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return NpyError(absl::StrCat("header ", what, " (header: ", text_, ")"));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool ConsumeWord(absl::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool ParseString(std::string* out) {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    const char quote = text_[pos_];
    if (quote != '\'' && quote != '"') return false;
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == absl::string_view::npos) return false;
    *out = std::string(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return true;
  }
  absl::Status ParseShape(std::vector<int64_t>* shape) {
    if (!Consume('(')) return Error("'shape' is not a tuple");
    while (!Consume(')')) {
      SkipSpace();
      size_t end = pos_;
      while (end < text_.size() && absl::ascii_isdigit(text_[end])) ++end;
      int64_t dim = 0;
      if (end == pos_ ||
          !absl::SimpleAtoi(text_.substr(pos_, end - pos_), &dim)) {
        return Error("'shape' holds something other than integers");
      }
      pos_ = end;
      // numpy may write "3L" on old Python 2 files.
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
      shape->push_back(dim);
      if (!Consume(',') && !Peek(')')) return Error("bad 'shape' tuple");
    }
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// Converts `count` little-endian elements of the given dtype to float32.
absl::Status DecodeData(const std::string& descr, const char* data,
                        size_t count, std::vector<float>* out) {
  out->resize(count);
  if (descr == "<f4") {
    for (size_t i = 0; i < count; ++i) {
      const uint32_t bits = LoadLittleEndian(data + 4 * i, 4);
      std::memcpy(&(*out)[i], &bits, 4);
    }
  } else if (descr == "<f8") {
    for (size_t i = 0; i < count; ++i) {
      const uint64_t bits = LoadLittleEndian(data + 8 * i, 8);
      double value;
      std::memcpy(&value, &bits, 8);
      (*out)[i] = static_cast<float>(value);
    }
  } else if (descr == "<i4") {
    for (size_t i = 0; i < count; ++i) {
      (*out)[i] = static_cast<float>(
          static_cast<int32_t>(LoadLittleEndian(data + 4 * i, 4)));
    }
  } else if (descr == "<i8") {
    for (size_t i = 0; i < count; ++i) {
      (*out)[i] = static_cast<float>(
          static_cast<int64_t>(LoadLittleEndian(data + 8 * i, 8)));
    }
  } else {
    return absl::InternalError(absl::StrCat("unhandled dtype ", descr));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ItemSize(const std::string& descr) {
  static const auto* const kSizes = new std::map<std::string, size_t>{
      {"<f4", 4}, {"<f8", 8}, {"<i4", 4}, {"<i8", 8}};
  auto it = kSizes->find(descr);
  if (it != kSizes->end()) return it->second;
  if (!descr.empty() && descr[0] == '>') {
    return NpyError(absl::StrCat("dtype '", descr,
                                 "' is big-endian; save it as '<f4' "
                                 "(e.g. arr.astype('<f4'))"));
  }
  return NpyError(absl::StrCat(
      "dtype '", descr,
      "' is not supported; use float32 '<f4' (also accepted and converted: "
      "'<f8', '<i4', '<i8')"));
}

}  // namespace

bool HasNpyMagic(absl::string_view bytes) {
  return bytes.substr(0, kNpyMagic.size()) == kNpyMagic;
}

absl::StatusOr<HostTensor> ParseNpy(absl::string_view bytes) {
  if (!HasNpyMagic(bytes)) return NpyError("missing the \\x93NUMPY magic");
  if (bytes.size() < 10) return NpyError("truncated preamble");
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    return NpyError(absl::StrCat("unsupported format version ", major, ".",
                                 minor, " (1.0, 2.0 and 3.0 are supported)"));
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t preamble = 8 + length_bytes;
  if (bytes.size() < preamble) return NpyError("truncated preamble");
  const size_t header_len = LoadLittleEndian(bytes.data() + 8, length_bytes);
  if (bytes.size() - preamble < header_len) {
    return NpyError("file ends inside the header");
  }
  // Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8; the dict numpy writes
  // is ASCII either way, and the parser only reads ASCII punctuation.
  absl::StatusOr<NpyHeader> header =
      HeaderParser(bytes.substr(preamble, header_len)).Parse();
  if (!header.ok()) return header.status();
  if (*header->fortran_order) {
    return NpyError(
        "fortran_order is True; only C-order arrays are supported "
        "(save np.ascontiguousarray(arr))");
  }
  absl::StatusOr<size_t> item_size = ItemSize(*header->descr);
  if (!item_size.ok()) return item_size.status();

  HostTensor tensor;
  tensor.shape = *header->shape;
  absl::StatusOr<int64_t> count = NumElements(tensor.shape);
  if (!count.ok()) return NpyError(count.status().message());
  const absl::string_view data = bytes.substr(preamble + header_len);
  if (static_cast<uint64_t>(*count) > data.size() / *item_size ||
      data.size() != static_cast<uint64_t>(*count) * *item_size) {
    return NpyError(absl::StrCat("shape ", engine::ShapeToString(tensor.shape),
                                 " of ", *header->descr, " needs ",
                                 static_cast<uint64_t>(*count) * *item_size,
                                 " data bytes but the file has ", data.size()));
  }
  absl::Status status =
      DecodeData(*header->descr, data.data(), *count, &tensor.values);
  if (!status.ok()) return status;
  return tensor;
}

std::string SerializeNpy(const HostTensor& tensor) {
  std::string shape_text;
  if (tensor.shape.size() == 1) {
    shape_text = absl::StrCat("(", tensor.shape[0], ",)");
  } else {
    shape_text = absl::StrCat("(", absl::StrJoin(tensor.shape, ", "), ")");
  }
  std::string dict = absl::StrCat("{'descr': '<f4', 'fortran_order': False, ",
                                  "'shape': ", shape_text, ", }");
  // Version 1.0 stores the header length in 2 bytes; fall back to 2.0.
  const bool v1 = 10 + dict.size() + 1 + kNpyAlignment <= 0xffff;
  const size_t preamble = v1 ? 10 : 12;
  const size_t unpadded = preamble + dict.size() + 1;  // + '\n'
  const size_t padded =
      (unpadded + kNpyAlignment - 1) / kNpyAlignment * kNpyAlignment;
  dict.append(padded - unpadded, ' ');
  dict.push_back('\n');
  const uint32_t header_len = dict.size();

  std::string out(kNpyMagic);
  out.push_back(static_cast<char>(v1 ? 1 : 2));
  out.push_back('\0');
  for (size_t i = 0; i < (v1 ? 2u : 4u); ++i) {
    out.push_back(static_cast<char>((header_len >> (8 * i)) & 0xff));
  }
  out += dict;
  const size_t data_start = out.size();
  out.resize(data_start + 4 * tensor.values.size());
  char* data = out.data() + data_start;
  for (size_t v = 0; v < tensor.values.size(); ++v) {
    uint32_t bits;
    std::memcpy(&bits, &tensor.values[v], 4);
    for (int i = 0; i < 4; ++i) {
      data[4 * v + i] = static_cast<char>((bits >> (8 * i)) & 0xff);
    }
  }
  return out;
}

}  // namespace brainserve::client
