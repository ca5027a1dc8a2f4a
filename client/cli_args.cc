#include "client/cli_args.h"

#include <algorithm>
#include <optional>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli_flags.h"

namespace brainserve::client {
namespace {

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool IsKnownFlag(const std::string& name) {
  if (GlobalFlags().count(name) > 0) return true;
  for (const SubcommandInfo& info : Subcommands()) {
    if (info.flags.count(name) > 0) return true;
  }
  return false;
}

const SubcommandInfo* FindSubcommand(const std::string& name) {
  for (const SubcommandInfo& info : Subcommands()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

// Flags parsed from argv, before they are applied.
struct FlagArg {
  std::string name;
  std::string value;
};

// Splits "--name=value" / "--name value" / "--flag" / "--noflag".
absl::Status ParseFlagArg(const std::vector<std::string>& args, size_t* index,
                          FlagArg* out) {
  const std::string& arg = args[*index];
  std::string body = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
  std::string name = body;
  std::optional<std::string> value;
  const size_t equals = body.find('=');
  if (equals != std::string::npos) {
    name = body.substr(0, equals);
    value = body.substr(equals + 1);
  }
  std::replace(name.begin(), name.end(), '-', '_');
  if (!IsKnownFlag(name)) {
    const std::string positive =
        absl::StartsWith(name, "no") ? name.substr(2) : std::string();
    absl::CommandLineFlag* flag =
        IsKnownFlag(positive) ? absl::FindCommandLineFlag(positive) : nullptr;
    if (flag != nullptr && flag->IsOfType<bool>() && !value.has_value()) {
      *out = {positive, "false"};
      return absl::OkStatus();
    }
    return UsageError(absl::StrCat("unknown flag '", arg, "'"));
  }
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) {
    return absl::InternalError(absl::StrCat("flag --", name, " not linked"));
  }
  if (!value.has_value()) {
    if (flag->IsOfType<bool>()) {
      value = "true";
    } else if (*index + 1 < args.size()) {
      value = args[++*index];
    } else {
      return UsageError(absl::StrCat("flag --", name, " needs a value"));
    }
  }
  *out = {name, *value};
  return absl::OkStatus();
}

// Resets every CLI flag to its default, so that parsing is repeatable in one
// process (tests run the CLI many times).
void ResetFlags() {
  std::set<std::string> names = GlobalFlags();
  for (const SubcommandInfo& info : Subcommands()) {
    names.insert(info.flags.begin(), info.flags.end());
  }
  for (const std::string& name : names) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag != nullptr) flag->ParseFrom(flag->DefaultValue(), &error);
  }
}

absl::Status ApplyFlags(const std::vector<FlagArg>& flags) {
  ResetFlags();
  std::vector<std::string> masks;
  for (const FlagArg& arg : flags) {
    if (arg.name == "mask") {
      masks.push_back(arg.value);
      continue;
    }
    std::string error;
    if (!absl::FindCommandLineFlag(arg.name)->ParseFrom(arg.value, &error)) {
      return UsageError(absl::StrCat("invalid value '", arg.value, "' for --",
                                     arg.name, ": ", error));
    }
  }
  absl::SetFlag(&FLAGS_mask, masks);
  return absl::OkStatus();
}

}  // namespace

const std::vector<SubcommandInfo>& Subcommands() {
  static const auto* const kSubcommands = new std::vector<SubcommandInfo>{
      {"list", 0, {}, "list", "List the models"},
      {"get",
       1,
       {"min_version"},
       "get NAME [--min-version N]",
       "Show a model's spec, shapes and parameters"},
      {"create",
       0,
       {"spec", "name"},
       "create --spec FILE.json [--name NAME]",
       "Create a model from a CreateModelRequest (protobuf JSON)"},
      {"delete", 1, {}, "delete NAME", "Delete a model"},
      {"forward",
       1,
       {"input", "output", "encoding", "mask", "min_version"},
       "forward NAME [--input FILE|-] [--output FILE] [--encoding raw|values] "
       "[--mask LAYER=FILE]... [--min-version N]",
       "Run a forward pass; input is .npy or JSON"},
      {"update",
       1,
       {"layer", "param", "value", "mode", "expected_version", "updates",
        "encoding"},
       "update NAME (--layer L --param P --value FILE [--mode replace|add] | "
       "--updates FILE.json) [--expected-version N]",
       "Replace or add to parameters atomically; prints the new version"},
      {"params",
       1,
       {"layer", "param", "output", "min_version"},
       "params NAME [--layer L] [--param P] [--output FILE] [--min-version N]",
       "Show parameter values (one parameter can be saved with --output)"},
      {"health",
       0,
       {"service"},
       "health [--service NAME]",
       "grpc.health.v1 check; exit 0 iff SERVING, 3 otherwise"},
  };
  return *kSubcommands;
}

const std::set<std::string>& GlobalFlags() {
  static const auto* const kGlobal = new std::set<std::string>{
      "server",        "json",          "timeout_ms",   "max_message_bytes",
      "tls_ca_file",   "tls_cert_file", "tls_key_file", "tls_server_name",
      "token",         "token_file"};
  return *kGlobal;
}

absl::StatusOr<CliInvocation> ParseCliArgs(
    const std::vector<std::string>& args) {
  CliInvocation invocation;
  std::vector<std::string> positional;
  std::vector<FlagArg> flags;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg == "-" || arg.empty() || arg[0] != '-') {
      positional.push_back(arg);
    } else if (arg == "--") {
      only_positional = true;
    } else if (arg == "-h" || arg == "--help" || arg == "-help") {
      invocation.help = true;
    } else {
      FlagArg flag;
      absl::Status status = ParseFlagArg(args, &i, &flag);
      if (!status.ok()) return status;
      flags.push_back(flag);
    }
  }
  if (!positional.empty() && positional[0] == "help") invocation.help = true;
  if (invocation.help) return invocation;
  if (positional.empty()) {
    invocation.missing_subcommand = true;
    return invocation;
  }

  const SubcommandInfo* info = FindSubcommand(positional[0]);
  if (info == nullptr) {
    return UsageError(absl::StrCat("unknown subcommand '", positional[0], "'"));
  }
  invocation.subcommand = info->name;
  invocation.args.assign(positional.begin() + 1, positional.end());
  if (static_cast<int>(invocation.args.size()) != info->num_positional) {
    return UsageError(absl::StrCat(
        "'", info->name, "' takes ", info->num_positional,
        " positional argument(s), got ", invocation.args.size(),
        invocation.args.empty()
            ? ""
            : absl::StrCat(" (", absl::StrJoin(invocation.args, " "), ")"),
        "; usage: brainserve-cli ", info->usage));
  }
  for (const FlagArg& flag : flags) {
    if (GlobalFlags().count(flag.name) == 0 &&
        info->flags.count(flag.name) == 0) {
      return UsageError(absl::StrCat("flag --", flag.name,
                                     " does not apply to '", info->name,
                                     "'; usage: brainserve-cli ", info->usage));
    }
    invocation.flags_set.insert(flag.name);
  }
  absl::Status status = ApplyFlags(flags);
  if (!status.ok()) return status;
  return invocation;
}

}  // namespace brainserve::client
