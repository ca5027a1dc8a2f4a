// The shared pieces of brainserve-cli's subcommands: exit codes, the context
// every subcommand runs with, and the error-reporting helpers.
#ifndef BRAINSERVE_CLIENT_CLI_COMMAND_H_
#define BRAINSERVE_CLIENT_CLI_COMMAND_H_

#include <optional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/cli_args.h"
#include "client/client.h"
#include "client/host_tensor.h"
#include "google/protobuf/message.h"

namespace brainserve::client {

// Process exit codes of brainserve-cli.
enum ExitCode : int {
  kExitOk = 0,
  kExitRpcError = 1,    // the server answered with a non-OK status
  kExitUsage = 2,       // bad flags or arguments, unreadable or bad files
  kExitNotServing = 3,  // `health` got an answer other than SERVING
};

// What a subcommand runs with. Not owned: everything outlives the call.
struct CommandContext {
  const CliInvocation& invocation;
  const Client& client;
  bool json;               // --json
  std::istream& in;        // standard input ("-" paths)
  bool stdin_is_terminal;  // then "-" is refused rather than waited on
  std::ostream& out;       // results
  std::ostream& err;       // errors
};

// ReadFileOrStdin / ReadTensor (tensor_io.h) with `context.in` for "-",
// refusing "-" when standard input is an interactive terminal.
absl::StatusOr<std::string> ReadInput(const CommandContext& context,
                                      const std::string& path);
absl::StatusOr<HostTensor> ReadInputTensor(const CommandContext& context,
                                           const std::string& path);

// --min-version when given (forward, get, params); INVALID_ARGUMENT naming
// the flag for anything but a non-negative integer.
absl::StatusOr<std::optional<uint64_t>> MinVersionFlag(
    const CommandContext& context);

// Prints "error: <message>" and returns kExitUsage.
int ReportUsageError(std::ostream& err, const absl::Status& status);

// Prints "error: <CODE>: <message>" and returns kExitRpcError.
int ReportRpcError(std::ostream& err, const absl::Status& status);

// Prints `message` as one line of protobuf JSON; kExitOk.
int PrintJson(const CommandContext& context,
              const google::protobuf::Message& message);

// The subcommands (cli_models.cc and cli_tensors.cc). Each returns an exit
// code and writes its own output and errors.
int RunList(const CommandContext& context);
int RunGet(const CommandContext& context);
int RunCreate(const CommandContext& context);
int RunDelete(const CommandContext& context);
int RunHealth(const CommandContext& context);
int RunForward(const CommandContext& context);
int RunUpdate(const CommandContext& context);
int RunParams(const CommandContext& context);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_CLI_COMMAND_H_
