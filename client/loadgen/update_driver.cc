#include "client/loadgen/update_driver.h"

#include <algorithm>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "client/grpc_status.h"
#include "client/host_tensor.h"
#include "client/loadgen/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace brainserve::loadgen {
namespace {

const std::string& UpdateMethod() {
  static const std::string* const kMethod =
      new std::string("/brainserve.v1.ModelService/UpdateParameters");
  return *kMethod;
}

// Re-encodes `value` (from GetParameters) with the requested encoding,
// optionally replacing every element by `fill`.
absl::StatusOr<brainserve::v1::Tensor> Encode(
    const brainserve::v1::Tensor& value, bool raw, bool use_fill, float fill) {
  absl::StatusOr<client::HostTensor> host = client::FromProto(value);
  if (!host.ok()) return host.status();
  if (use_fill) std::fill(host->values.begin(), host->values.end(), fill);
  return client::ToProto(*host, raw ? client::TensorEncoding::kRaw
                                    : client::TensorEncoding::kValues);
}

}  // namespace

absl::StatusOr<std::unique_ptr<UpdateDriver>> UpdateDriver::Create(
    const Options& options, std::shared_ptr<grpc::Channel> channel,
    VersionTracker* versions) {
  if (!(options.rate_hz > 0)) {
    return absl::InvalidArgumentError("--update-rate must be > 0");
  }
  std::unique_ptr<UpdateDriver> driver(
      new UpdateDriver(options, std::move(channel), versions));
  auto stub = brainserve::v1::ModelService::NewStub(driver->channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(options.timeout_ms));
  brainserve::v1::GetParametersRequest get;
  get.set_model(options.model);
  brainserve::v1::GetParametersResponse params;
  grpc::Status status = stub->GetParameters(&context, get, &params);
  if (!status.ok()) {
    return client::FromGrpcStatus(
        status, absl::StrCat("GetParameters(", options.model, ")"));
  }
  if (params.parameters_size() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("model ", options.model, " has no parameters to update"));
  }
  const int variants = options.mode == UpdateMode::kAdd ? 2 : 1;
  for (int v = 0; v < variants; ++v) {
    brainserve::v1::UpdateParametersRequest request;
    request.set_model(options.model);
    for (const auto& param : params.parameters()) {
      if (!options.parameters.empty() &&
          std::find(options.parameters.begin(), options.parameters.end(),
                    absl::StrCat(param.layer(), "/", param.name())) ==
              options.parameters.end()) {
        continue;
      }
      auto* update = request.add_updates();
      update->set_layer(param.layer());
      update->set_name(param.name());
      const bool add = options.mode == UpdateMode::kAdd;
      update->set_mode(add ? brainserve::v1::ParameterUpdate::ADD
                           : brainserve::v1::ParameterUpdate::REPLACE);
      absl::StatusOr<brainserve::v1::Tensor> value =
          Encode(param.value(), options.raw_encoding, add,
                 v == 0 ? options.add_delta : -options.add_delta);
      if (!value.ok()) {
        return absl::Status(
            value.status().code(),
            absl::StrCat("GetParameters(", options.model, "): ", param.layer(),
                         "/", param.name(), ": ", value.status().message()));
      }
      *update->mutable_value() = *std::move(value);
      if (v == 0) {
        driver->payload_bytes_ +=
            static_cast<int64_t>(update->value().raw().size()) +
            int64_t{4} * update->value().values_size();
      }
    }
    if (request.updates_size() !=
        static_cast<int>(options.parameters.empty()
                             ? params.parameters_size()
                             : options.parameters.size())) {
      return absl::NotFoundError(
          absl::StrCat("--update-params names a parameter model ",
                       options.model, " does not have"));
    }
    driver->parameter_count_ = request.updates_size();
    grpc::ByteBuffer buffer;
    bool own = false;
    status = grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                    brainserve::v1::UpdateParametersRequest>(
        request, &buffer, &own);
    if (!status.ok()) return absl::InternalError(status.error_message());
    driver->requests_.push_back(std::move(buffer));
  }
  return driver;
}

UpdateDriver::UpdateDriver(const Options& options,
                           std::shared_ptr<grpc::Channel> channel,
                           VersionTracker* versions)
    : options_(options), channel_(std::move(channel)), versions_(versions) {}

UpdateDriver::~UpdateDriver() { Stop(); }

void UpdateDriver::Start() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void UpdateDriver::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

UpdateResults UpdateDriver::TakeResults() {
  absl::MutexLock lock(&mu_);
  UpdateResults out = std::move(results_);
  results_ = UpdateResults();
  return out;
}

void UpdateDriver::Loop() {
  grpc::GenericStub stub(channel_);
  grpc::CompletionQueue cq;
  const int64_t period_ns = static_cast<int64_t>(1e9 / options_.rate_hz);
  const int64_t start_ns = NowNs();
  for (int64_t k = 0;; ++k) {
    const int64_t due_ns = start_ns + k * period_ns;
    {
      absl::MutexLock lock(&mu_);
      if (due_ns > NowNs()) {
        mu_.AwaitWithDeadline(
            absl::Condition(this, &UpdateDriver::StopRequestedLocked),
            SteadyToAbsl(due_ns));
      }
      if (stop_) break;
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(options_.timeout_ms));
    grpc::ByteBuffer response;
    grpc::Status status;
    const int64_t sent_ns = NowNs();
    auto reader = stub.PrepareUnaryCall(&context, UpdateMethod(),
                                        requests_[k % requests_.size()], &cq);
    reader->StartCall();
    reader->Finish(&response, &status, &context);
    void* tag = nullptr;
    bool ok = false;
    cq.Next(&tag, &ok);
    const int64_t latency_ns = NowNs() - sent_ns;
    uint64_t version = 0;
    if (status.ok()) {
      brainserve::v1::UpdateParametersResponse parsed;
      if (grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                   brainserve::v1::UpdateParametersResponse>(
              &response, &parsed)
              .ok()) {
        version = parsed.version();
        versions_->Observe(version);
      }
    }
    absl::MutexLock lock(&mu_);
    results_.latency.Add(latency_ns);
    ++results_.codes[static_cast<int32_t>(status.error_code())];
    if (sent_ns - due_ns > period_ns) ++results_.late_starts;
    if (version > results_.last_version) results_.last_version = version;
  }
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace brainserve::loadgen
