#include "client/loadgen/prometheus_text.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace brainserve::loadgen {
namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

bool ParseValue(absl::string_view token, double* value) {
  if (token == "+Inf" || token == "Inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (token == "-Inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (token == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  std::string copy(token);
  char* end = nullptr;
  *value = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

// Parses `{a="x",b="y"}` starting at line[*pos] == '{'; advances *pos past
// the closing brace.
bool ParseLabels(absl::string_view line, size_t* pos,
                 std::map<std::string, std::string>* labels) {
  size_t i = *pos + 1;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
    if (i >= line.size()) return false;
    if (line[i] == '}') {
      *pos = i + 1;
      return true;
    }
    const size_t name_start = i;
    while (i < line.size() && IsNameChar(line[i], i == name_start)) ++i;
    std::string label(line.substr(name_start, i - name_start));
    if (label.empty() || i + 1 >= line.size() || line[i] != '=' ||
        line[i + 1] != '"') {
      return false;
    }
    i += 2;
    std::string value;
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\' && i + 1 < line.size()) {
        ++i;
        value.push_back(line[i] == 'n' ? '\n' : line[i]);
      } else {
        value.push_back(line[i]);
      }
      ++i;
    }
    if (i >= line.size()) return false;
    ++i;  // closing quote
    (*labels)[label] = std::move(value);
  }
}

bool Matches(const PromSample& sample, absl::string_view name,
             const std::map<std::string, std::string>& match) {
  if (sample.name != name) return false;
  for (const auto& [key, want] : match) {
    auto it = sample.labels.find(key);
    if (it == sample.labels.end() || it->second != want) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<MetricsSnapshot> MetricsSnapshot::Parse(absl::string_view text) {
  MetricsSnapshot snapshot;
  int line_number = 0;
  for (absl::string_view raw_line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw_line);
    if (line.empty() || line[0] == '#') continue;
    PromSample sample;
    size_t pos = 0;
    while (pos < line.size() && IsNameChar(line[pos], pos == 0)) ++pos;
    sample.name = std::string(line.substr(0, pos));
    bool ok = !sample.name.empty();
    if (ok && pos < line.size() && line[pos] == '{') {
      ok = ParseLabels(line, &pos, &sample.labels);
    }
    if (ok) {
      std::vector<absl::string_view> rest =
          absl::StrSplit(line.substr(pos), ' ', absl::SkipEmpty());
      ok = (rest.size() == 1 || rest.size() == 2) &&
           ParseValue(rest[0], &sample.value);
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics text line ", line_number, " is malformed: '", line, "'"));
    }
    snapshot.samples_.push_back(std::move(sample));
  }
  return snapshot;
}

double MetricsSnapshot::Sum(
    absl::string_view name,
    const std::map<std::string, std::string>& match) const {
  double total = 0;
  for (const PromSample& sample : samples_) {
    if (Matches(sample, name, match)) total += sample.value;
  }
  return total;
}

std::map<std::string, double> MetricsSnapshot::SumBy(
    absl::string_view name, const std::string& label,
    const std::map<std::string, std::string>& match) const {
  std::map<std::string, double> totals;
  for (const PromSample& sample : samples_) {
    if (!Matches(sample, name, match)) continue;
    auto it = sample.labels.find(label);
    if (it != sample.labels.end()) totals[it->second] += sample.value;
  }
  return totals;
}

}  // namespace brainserve::loadgen
