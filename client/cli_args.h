// Command-line parsing for brainserve-cli:
//   brainserve-cli [global flags] <subcommand> [args] [flags]
// Flags may appear anywhere before a bare "--" and are written --name=value,
// --name value, or (bools) --name / --noname; '-' and '_' are interchangeable
// in names. Values land in the ABSL_FLAGs of cli_flags.h (through absl's flag
// reflection); --mask accumulates. Every problem is an InvalidArgument error
// whose message is shown to the user, and the CLI exits with code 2.
#ifndef BRAINSERVE_CLIENT_CLI_ARGS_H_
#define BRAINSERVE_CLIENT_CLI_ARGS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace brainserve::client {

// One subcommand: its name, positional arguments, flags and a usage line.
struct SubcommandInfo {
  std::string name;
  int num_positional;           // exact count after the subcommand name
  std::set<std::string> flags;  // flags accepted besides the global ones
  std::string usage;            // e.g. "get NAME"
  std::string summary;          // one line
};

// All subcommands in the order `help` lists them.
const std::vector<SubcommandInfo>& Subcommands();

// Flags every subcommand accepts.
const std::set<std::string>& GlobalFlags();

struct CliInvocation {
  bool help = false;                // "help", --help or -h
  bool missing_subcommand = false;  // no subcommand and no help request
  std::string subcommand;           // empty when help or missing
  std::vector<std::string> args;    // positional arguments after it
  std::set<std::string> flags_set;  // canonical names of flags given
};

// Parses argv[1..] and sets the flags (those not given are reset to their
// defaults, so repeated calls are independent). Checks that the subcommand
// exists, the positional count matches and every flag given applies to it.
absl::StatusOr<CliInvocation> ParseCliArgs(
    const std::vector<std::string>& args);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_CLI_ARGS_H_
