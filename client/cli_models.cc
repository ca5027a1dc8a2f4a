// brainserve-cli subcommands that manage models: list, get, create, delete,
// and the health check.
#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli_command.h"
#include "client/cli_flags.h"
#include "client/cli_format.h"
#include "client/tensor_io.h"
#include "google/protobuf/util/json_util.h"

namespace brainserve::client {

namespace v1 = ::brainserve::v1;

namespace {

absl::Status CheckStdin(const CommandContext& context,
                        const std::string& path) {
  if (path == "-" && context.stdin_is_terminal) {
    return absl::InvalidArgumentError(
        "would read standard input, which is a terminal: give a file or "
        "pipe the data in");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadInput(const CommandContext& context,
                                      const std::string& path) {
  absl::Status status = CheckStdin(context, path);
  if (!status.ok()) return status;
  return ReadFileOrStdin(path, context.in);
}

absl::StatusOr<HostTensor> ReadInputTensor(const CommandContext& context,
                                           const std::string& path) {
  absl::Status status = CheckStdin(context, path);
  if (!status.ok()) return status;
  return ReadTensor(path, context.in);
}

absl::StatusOr<std::optional<uint64_t>> MinVersionFlag(
    const CommandContext& context) {
  if (context.invocation.flags_set.count("min_version") == 0) {
    return std::optional<uint64_t>();
  }
  const std::string text = absl::GetFlag(FLAGS_min_version);
  uint64_t version = 0;
  if (!absl::SimpleAtoi(text, &version)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--min-version must be a non-negative integer, got '", text, "'"));
  }
  return std::optional<uint64_t>(version);
}

int ReportUsageError(std::ostream& err, const absl::Status& status) {
  err << "error: " << status.message() << "\n";
  return kExitUsage;
}

int ReportRpcError(std::ostream& err, const absl::Status& status) {
  err << "error: " << absl::StatusCodeToString(status.code()) << ": "
      << status.message() << "\n";
  return kExitRpcError;
}

int PrintJson(const CommandContext& context,
              const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = FormatJson(message);
  if (!json.ok()) return ReportUsageError(context.err, json.status());
  context.out << *json << "\n";
  return kExitOk;
}

int RunList(const CommandContext& context) {
  absl::StatusOr<v1::ListModelsResponse> list = context.client.ListModels();
  if (!list.ok()) return ReportRpcError(context.err, list.status());
  if (context.json) return PrintJson(context, *list);
  context.out << FormatModelList(*list);
  return kExitOk;
}

int RunGet(const CommandContext& context) {
  absl::StatusOr<std::optional<uint64_t>> min_version = MinVersionFlag(context);
  if (!min_version.ok()) return ReportUsageError(context.err, min_version.status());
  absl::StatusOr<v1::ModelInfo> info =
      context.client.GetModel(context.invocation.args[0], *min_version);
  if (!info.ok()) return ReportRpcError(context.err, info.status());
  if (context.json) return PrintJson(context, *info);
  context.out << FormatModelInfo(*info);
  return kExitOk;
}

int RunCreate(const CommandContext& context) {
  const std::string spec_path = absl::GetFlag(FLAGS_spec);
  if (spec_path.empty()) {
    return ReportUsageError(
        context.err, absl::InvalidArgumentError("create needs --spec FILE"));
  }
  absl::StatusOr<std::string> json = ReadInput(context, spec_path);
  if (!json.ok()) return ReportUsageError(context.err, json.status());
  v1::CreateModelRequest request;
  auto parsed = google::protobuf::util::JsonStringToMessage(*json, &request);
  if (!parsed.ok()) {
    return ReportUsageError(
        context.err,
        absl::InvalidArgumentError(absl::StrCat(
            spec_path, ": not a CreateModelRequest in protobuf JSON: ",
            parsed.message().as_string())));
  }
  if (context.invocation.flags_set.count("name") > 0) {
    request.set_name(absl::GetFlag(FLAGS_name));
  }
  absl::StatusOr<v1::ModelInfo> info = context.client.CreateModel(request);
  if (!info.ok()) return ReportRpcError(context.err, info.status());
  if (context.json) return PrintJson(context, *info);
  context.out << "created " << info->name() << "\n" << FormatModelInfo(*info);
  return kExitOk;
}

int RunDelete(const CommandContext& context) {
  const std::string& name = context.invocation.args[0];
  absl::Status status = context.client.DeleteModel(name);
  if (!status.ok()) return ReportRpcError(context.err, status);
  if (context.json) return PrintJson(context, v1::DeleteModelResponse());
  context.out << "deleted " << name << "\n";
  return kExitOk;
}

int RunHealth(const CommandContext& context) {
  absl::StatusOr<ServingStatus> status =
      context.client.Health(absl::GetFlag(FLAGS_service));
  if (!status.ok()) return ReportRpcError(context.err, status.status());
  if (context.json) {
    context.out << "{\"status\":\"" << ServingStatusName(*status) << "\"}\n";
  } else {
    context.out << ServingStatusName(*status) << "\n";
  }
  return *status == ServingStatus::kServing ? kExitOk : kExitNotServing;
}

}  // namespace brainserve::client
