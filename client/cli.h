// brainserve-cli's entry point as a function, so tests can run it in-process.
#ifndef BRAINSERVE_CLIENT_CLI_H_
#define BRAINSERVE_CLIENT_CLI_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace brainserve::client {

// The server brainserve-cli talks to when --server is not given:
// $BRAINSERVE_SERVER if set and non-empty, else "localhost:50051".
std::string DefaultServerAddress();

// The text `brainserve-cli help` prints.
std::string CliUsage();

// Runs the CLI on `args` (argv without the program name) and returns the
// process exit code (see ExitCode in cli_command.h). Sets the CLI's flags.
// With `stdin_is_terminal`, reading "-" is a usage error instead of a wait.
int RunCli(const std::vector<std::string>& args, std::istream& in,
           std::ostream& out, std::ostream& err,
           bool stdin_is_terminal = false);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_CLI_H_
