// Command-line parsing for brainserve-loadgen. Flags are `--name=value` or
// `--name value`; dashes and underscores in names are interchangeable
// (`--max-duration-s` == `--max_duration_s`).
#ifndef BRAINSERVE_CLIENT_LOADGEN_FLAGS_H_
#define BRAINSERVE_CLIENT_LOADGEN_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/loadgen/config.h"

namespace brainserve::loadgen {

// The --help text.
std::string Usage();

// Parses `args` (without the program name). `--help` yields NOT_FOUND with
// the usage as message; bad flags or values are INVALID_ARGUMENT naming the
// flag. The server defaults to $BRAINSERVE_SERVER when set.
absl::StatusOr<LoadgenConfig> ParseFlags(const std::vector<std::string>& args);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_FLAGS_H_
