// Test helpers: parse a Prometheus text exposition and fetch it over HTTP.
#ifndef BRAINSERVE_TESTS_METRICS_EXPOSITION_H_
#define BRAINSERVE_TESTS_METRICS_EXPOSITION_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace brainserve::metrics::testing {

// Maps each sample's series, exactly as printed (`name{l1="v1",l2="v2"}` or
// `name`), to its value. Comment lines are skipped.
std::map<std::string, double> ParseExposition(const std::string& text);

// The value of `series` in `text`, or nullopt if it is not exported.
std::optional<double> Sample(const std::string& text,
                             const std::string& series);

// True if any sample line of `text` carries model="<model>".
bool HasModelSeries(const std::string& text, const std::string& model);

// GET http://127.0.0.1:<port><path> over a plain socket (HTTP/1.0, no
// compression). Returns the body if the status is 200.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

}  // namespace brainserve::metrics::testing

#endif  // BRAINSERVE_TESTS_METRICS_EXPOSITION_H_
