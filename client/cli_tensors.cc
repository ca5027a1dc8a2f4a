// brainserve-cli subcommands that move tensors: forward, update and params.
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli_command.h"
#include "client/cli_flags.h"
#include "client/host_tensor.h"
#include "client/tensor_format.h"
#include "client/tensor_io.h"
#include "engine/shape.h"
#include "google/protobuf/util/json_util.h"

namespace brainserve::client {
namespace {

namespace v1 = ::brainserve::v1;

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// A response whose tensor does not decode is the server's fault.
int ReportBadResponse(std::ostream& err, const absl::Status& status) {
  return ReportRpcError(
      err, absl::InternalError(absl::StrCat("malformed response from server: ",
                                            status.message())));
}

// Reads --mask LAYER=FILE entries into `request`.
absl::Status AddMasks(const CommandContext& context, TensorEncoding encoding,
                      v1::ForwardRequest* request) {
  for (const std::string& mask : absl::GetFlag(FLAGS_mask)) {
    const size_t equals = mask.find('=');
    if (equals == std::string::npos || equals == 0 ||
        equals + 1 == mask.size()) {
      return Usage(absl::StrCat("--mask must be LAYER=FILE, got '", mask, "'"));
    }
    const std::string layer = mask.substr(0, equals);
    if (request->masks().count(layer) > 0) {
      return Usage(absl::StrCat("--mask given twice for layer '", layer, "'"));
    }
    absl::StatusOr<HostTensor> tensor =
        ReadInputTensor(context, mask.substr(equals + 1));
    if (!tensor.ok()) return tensor.status();
    (*request->mutable_masks())[layer] = ToProto(*tensor, encoding);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ParameterUpdate::Mode> ParseMode(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "replace") return v1::ParameterUpdate::REPLACE;
  if (lower == "add") return v1::ParameterUpdate::ADD;
  return Usage(absl::StrCat("--mode must be replace or add, got '", text, "'"));
}

// Builds the UpdateParametersRequest from either --updates or the
// --layer/--param/--value/--mode flags.
absl::StatusOr<v1::UpdateParametersRequest> BuildUpdateRequest(
    const CommandContext& context) {
  const std::set<std::string>& given = context.invocation.flags_set;
  v1::UpdateParametersRequest request;
  const bool single = given.count("layer") || given.count("param") ||
                      given.count("value") || given.count("mode");
  if (given.count("updates") > 0) {
    if (single) {
      return Usage(
          "--updates cannot be combined with --layer/--param/--value/--mode");
    }
    const std::string path = absl::GetFlag(FLAGS_updates);
    absl::StatusOr<std::string> json = ReadInput(context, path);
    if (!json.ok()) return json.status();
    auto parsed = google::protobuf::util::JsonStringToMessage(*json, &request);
    if (!parsed.ok()) {
      return Usage(absl::StrCat(
          path, ": not an UpdateParametersRequest in protobuf JSON: ",
          parsed.message().as_string()));
    }
  } else {
    const std::string layer = absl::GetFlag(FLAGS_layer);
    const std::string param = absl::GetFlag(FLAGS_param);
    const std::string value_path = absl::GetFlag(FLAGS_value);
    if (layer.empty() || param.empty() || value_path.empty()) {
      return Usage(
          "update needs --layer, --param and --value (or --updates FILE)");
    }
    absl::StatusOr<v1::ParameterUpdate::Mode> mode =
        ParseMode(absl::GetFlag(FLAGS_mode));
    if (!mode.ok()) return mode.status();
    absl::StatusOr<TensorEncoding> encoding =
        ParseTensorEncoding(absl::GetFlag(FLAGS_encoding));
    if (!encoding.ok()) return encoding.status();
    absl::StatusOr<HostTensor> value = ReadInputTensor(context, value_path);
    if (!value.ok()) return value.status();
    v1::ParameterUpdate* update = request.add_updates();
    update->set_layer(layer);
    update->set_name(param);
    update->set_mode(*mode);
    *update->mutable_value() = ToProto(*value, *encoding);
  }
  request.set_model(context.invocation.args[0]);
  if (given.count("expected_version") > 0) {
    const std::string text = absl::GetFlag(FLAGS_expected_version);
    uint64_t version = 0;
    if (!absl::SimpleAtoi(text, &version)) {
      return Usage(absl::StrCat(
          "--expected-version must be a non-negative integer, got '", text,
          "'"));
    }
    request.set_expected_version(version);
  }
  return request;
}

}  // namespace

int RunForward(const CommandContext& context) {
  absl::StatusOr<TensorEncoding> encoding =
      ParseTensorEncoding(absl::GetFlag(FLAGS_encoding));
  if (!encoding.ok()) return ReportUsageError(context.err, encoding.status());
  absl::StatusOr<HostTensor> input =
      ReadInputTensor(context, absl::GetFlag(FLAGS_input));
  if (!input.ok()) return ReportUsageError(context.err, input.status());
  absl::StatusOr<std::optional<uint64_t>> min_version = MinVersionFlag(context);
  if (!min_version.ok()) return ReportUsageError(context.err, min_version.status());
  v1::ForwardRequest request;
  request.set_model(context.invocation.args[0]);
  if (min_version->has_value()) request.set_min_version(**min_version);
  *request.mutable_input() = ToProto(*input, *encoding);
  absl::Status masks = AddMasks(context, *encoding, &request);
  if (!masks.ok()) return ReportUsageError(context.err, masks);

  absl::StatusOr<v1::ForwardResponse> response =
      context.client.Forward(request);
  if (!response.ok()) return ReportRpcError(context.err, response.status());
  absl::StatusOr<HostTensor> output = FromProto(response->output());
  if (!output.ok()) return ReportBadResponse(context.err, output.status());

  const std::string output_path = absl::GetFlag(FLAGS_output);
  if (!output_path.empty()) {
    absl::Status written = WriteTensor(output_path, *output);
    if (!written.ok()) return ReportUsageError(context.err, written);
  }
  if (context.json) {
    v1::ForwardResponse printable = *response;
    *printable.mutable_output() = ToProto(*output, TensorEncoding::kValues);
    return PrintJson(context, printable);
  }
  context.out << "version " << response->version() << ", output shape "
              << engine::ShapeToString(output->shape);
  if (output_path.empty()) {
    context.out << "\n" << FormatTensor(*output) << "\n";
  } else {
    context.out << ", written to " << output_path << "\n";
  }
  return kExitOk;
}

int RunUpdate(const CommandContext& context) {
  absl::StatusOr<v1::UpdateParametersRequest> request =
      BuildUpdateRequest(context);
  if (!request.ok()) return ReportUsageError(context.err, request.status());
  absl::StatusOr<v1::UpdateParametersResponse> response =
      context.client.UpdateParameters(*request);
  if (!response.ok()) return ReportRpcError(context.err, response.status());
  if (context.json) return PrintJson(context, *response);
  context.out << "version " << response->version() << "\n";
  return kExitOk;
}

int RunParams(const CommandContext& context) {
  absl::StatusOr<std::optional<uint64_t>> min_version = MinVersionFlag(context);
  if (!min_version.ok()) return ReportUsageError(context.err, min_version.status());
  v1::GetParametersRequest request;
  request.set_model(context.invocation.args[0]);
  if (min_version->has_value()) request.set_min_version(**min_version);
  request.set_layer(absl::GetFlag(FLAGS_layer));
  request.set_name(absl::GetFlag(FLAGS_param));
  absl::StatusOr<v1::GetParametersResponse> response =
      context.client.GetParameters(request);
  if (!response.ok()) return ReportRpcError(context.err, response.status());

  std::vector<HostTensor> values;
  for (const v1::Parameter& parameter : response->parameters()) {
    absl::StatusOr<HostTensor> value = FromProto(parameter.value());
    if (!value.ok()) return ReportBadResponse(context.err, value.status());
    values.push_back(*std::move(value));
  }
  const std::string output_path = absl::GetFlag(FLAGS_output);
  if (!output_path.empty()) {
    if (values.size() != 1) {
      return ReportUsageError(
          context.err,
          Usage(absl::StrCat("--output saves one parameter but the selection "
                             "matched ",
                             values.size(),
                             "; narrow it with --layer and --param")));
    }
    absl::Status written = WriteTensor(output_path, values[0]);
    if (!written.ok()) return ReportUsageError(context.err, written);
  }
  if (context.json) {
    v1::GetParametersResponse printable = *response;
    for (int i = 0; i < printable.parameters_size(); ++i) {
      *printable.mutable_parameters(i)->mutable_value() =
          ToProto(values[i], TensorEncoding::kValues);
    }
    return PrintJson(context, printable);
  }
  context.out << "version " << response->version() << "\n";
  for (int i = 0; i < response->parameters_size(); ++i) {
    const v1::Parameter& parameter = response->parameters(i);
    context.out << parameter.layer() << "/" << parameter.name() << " shape "
                << engine::ShapeToString(values[i].shape);
    if (output_path.empty()) {
      context.out << "\n" << FormatTensor(values[i]) << "\n";
    } else {
      context.out << ", written to " << output_path << "\n";
    }
  }
  return kExitOk;
}

}  // namespace brainserve::client
