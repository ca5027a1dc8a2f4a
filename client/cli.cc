#include "client/cli.h"

#include <cstdlib>
#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/cli_args.h"
#include "client/cli_command.h"
#include "client/cli_flags.h"
#include "client/client.h"

namespace brainserve::client {

std::string DefaultServerAddress() {
  const char* env = std::getenv("BRAINSERVE_SERVER");
  if (env != nullptr && env[0] != '\0') return env;
  return "localhost:50051";
}

std::string CliUsage() {
  std::string text =
      "usage: brainserve-cli [--server=HOST:PORT] [--json] [--timeout_ms=N] "
      "<subcommand> ...\n\nsubcommands:\n";
  for (const SubcommandInfo& info : Subcommands()) {
    absl::StrAppend(&text, "  ", info.usage, "\n      ", info.summary, "\n");
  }
  absl::StrAppend(
      &text,
      "\nglobal flags:\n"
      "  --server=HOST:PORT      server address (default $BRAINSERVE_SERVER, "
      "else localhost:50051)\n"
      "  --json                  print responses as JSON (protobuf JSON "
      "mapping)\n"
      "  --timeout_ms=N          deadline per RPC in ms (default 30000; 0 = "
      "none)\n"
      "  --max_message_bytes=N   largest message sent or received (default "
      "64 MiB)\n"
      "  --tls_ca_file=PEM       use TLS, verifying the server with this CA\n"
      "  --tls_cert_file=PEM --tls_key_file=PEM\n"
      "                          client certificate and key (mutual TLS)\n"
      "  --tls_server_name=NAME  name the server certificate must carry "
      "(default: the host)\n"
      "  --token=TOKEN           bearer token (default: --token_file=FILE, "
      "else $BRAINSERVE_TOKEN;\n"
      "                          prefer those: a command line is visible to "
      "other users)\n"
      "\ntensors: files are .npy (float32 '<f4'; '<f8', '<i4', '<i8' are "
      "converted) or JSON,\n"
      "either nested arrays [[1,2],[3,4]] or {\"shape\":[2,2],"
      "\"values\":[1,2,3,4]}; '-' reads stdin.\n"
      "--output writes .npy when the name ends in .npy, JSON otherwise.\n"
      "\nexit codes: 0 ok, 1 RPC error (printed as 'error: CODE: message'), "
      "2 usage error,\n"
      "3 health check not SERVING.\n");
  return text;
}

int RunCli(const std::vector<std::string>& args, std::istream& in,
           std::ostream& out, std::ostream& err, bool stdin_is_terminal) {
  absl::StatusOr<CliInvocation> invocation = ParseCliArgs(args);
  if (!invocation.ok()) {
    ReportUsageError(err, invocation.status());
    err << "run 'brainserve-cli help' for usage\n";
    return kExitUsage;
  }
  if (invocation->missing_subcommand) {
    err << CliUsage();
    return kExitUsage;
  }
  if (invocation->help) {
    out << CliUsage();
    return kExitOk;
  }
  std::string server = absl::GetFlag(FLAGS_server);
  if (server.empty()) server = DefaultServerAddress();
  ClientOptions options;
  options.timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.security.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  options.security.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.security.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.security.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  absl::StatusOr<std::string> token =
      ResolveToken(absl::GetFlag(FLAGS_token), absl::GetFlag(FLAGS_token_file));
  if (!token.ok()) return ReportUsageError(err, token.status());
  options.security.token = *std::move(token);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(server, options);
  if (!client.ok()) return ReportUsageError(err, client.status());

  using Runner = int (*)(const CommandContext&);
  static const auto* const kRunners = new std::map<std::string, Runner>{
      {"list", RunList},     {"get", RunGet},       {"create", RunCreate},
      {"delete", RunDelete}, {"health", RunHealth}, {"forward", RunForward},
      {"update", RunUpdate}, {"params", RunParams},
  };
  const CommandContext context{
      *invocation, **client, absl::GetFlag(FLAGS_json), in, stdin_is_terminal,
      out,         err};
  return kRunners->at(invocation->subcommand)(context);
}

}  // namespace brainserve::client
