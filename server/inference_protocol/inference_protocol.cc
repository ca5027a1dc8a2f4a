#include "server/inference_protocol/inference_protocol.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/forward_call.h"
#include "server/inference_protocol/infer_validation.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server::inference_protocol {
namespace {

void AddTensorMetadata(
    const char* name, const std::vector<int64_t>& sample_shape,
    inference::ModelMetadataResponse::TensorMetadata* tensor) {
  tensor->set_name(name);
  tensor->set_datatype(kDatatype);
  tensor->add_shape(-1);
  tensor->mutable_shape()->Add(sample_shape.begin(), sample_shape.end());
}

}  // namespace

InferenceProtocol::InferenceProtocol(const InferenceProtocolOptions& options,
                                     ModelRegistry* registry,
                                     const ModelReader* reader,
                                     metrics::Reporter* reporter)
    : options_(options),
      registry_(registry),
      reader_(reader),
      reporter_(reporter) {}

void InferenceProtocol::FillServerMetadata(
    inference::ServerMetadataResponse* response) const {
  response->set_name(options_.server_name);
  response->set_version(options_.server_version);
  for (const std::string& extension : options_.extensions) {
    response->add_extensions(extension);
  }
}

absl::StatusOr<bool> InferenceProtocol::ModelReady(
    absl::string_view name, absl::string_view version) const {
  absl::Status status = ValidateModelName(name, "name");
  if (!status.ok()) return status;
  absl::StatusOr<uint64_t> requested = ParseModelVersion(version, "version");
  if (!requested.ok()) return requested.status();
  absl::StatusOr<std::shared_ptr<ServedModel>> model = registry_->Get(name);
  if (!model.ok()) return false;
  return *requested <= (*model)->engine().snapshot()->version();
}

absl::Status InferenceProtocol::CheckModel(absl::string_view name,
                                           absl::string_view field) const {
  absl::Status status = ValidateModelName(name, field);
  if (!status.ok()) return status;
  return registry_->Get(name).status();
}

absl::Status InferenceProtocol::ModelMetadata(
    const inference::ModelMetadataRequest& request,
    inference::ModelMetadataResponse* response) const {
  absl::Status status = ValidateModelName(request.name(), "name");
  if (!status.ok()) return status;
  absl::StatusOr<uint64_t> requested =
      ParseModelVersion(request.version(), "version");
  if (!requested.ok()) return requested.status();
  absl::StatusOr<std::shared_ptr<ServedModel>> model =
      registry_->Get(request.name());
  if (!model.ok()) return model.status();
  const engine::Model& engine = (*model)->engine();
  const uint64_t current = engine.snapshot()->version();
  status = CheckVersionServed(*requested, current, request.name(), "version");
  if (!status.ok()) return status;
  response->set_name(request.name());
  response->add_versions(absl::StrCat(current));
  response->set_platform("brainserve");
  AddTensorMetadata(kInputName, engine.input_shape(), response->add_inputs());
  AddTensorMetadata(kOutputName, engine.output_shape(),
                    response->add_outputs());
  return absl::OkStatus();
}

void InferenceProtocol::Infer(const absl::Status& admitted,
                              const inference::ModelInferRequest* request,
                              inference::ModelInferResponse* response,
                              const grpc::CallbackServerContext* context,
                              absl::Time deadline, InferDone done) const {
  auto recorder =
      std::make_shared<RpcRecorder>(reporter_, metrics::Method::kModelInfer);
  if (!admitted.ok()) {
    const grpc::Status grpc_status = recorder->Complete(admitted);
    return done(admitted, grpc_status);
  }
  if (context != nullptr) deadline = DeadlineOf(*context);
  absl::StatusOr<uint64_t> requested =
      ParseModelVersion(request->model_version(), "model_version");
  if (!requested.ok()) {
    const grpc::Status grpc_status = recorder->Complete(requested.status());
    return done(requested.status(), grpc_status);
  }
  // A model_version is read-your-writes (model_reader.h): served by a
  // snapshot at least that new, waiting for it if needed. The batch takes
  // the model's snapshot when it runs, so after Find() it is new enough.
  reader_->Find(
      request->model_name(), "model_name", *requested, "model_version",
      deadline,
      [request, response, context, deadline, recorder,
       done = std::move(done)](
          absl::StatusOr<std::shared_ptr<ServedModel>> model) mutable {
        absl::StatusOr<ValidatedInfer> validated =
            model.ok() ? ValidateInferRequest(*request, (*model)->engine())
                       : absl::StatusOr<ValidatedInfer>(model.status());
        if (model.ok()) recorder->Attribute((*model)->reporter());
        if (!validated.ok()) {
          const grpc::Status grpc_status =
              recorder->Complete(validated.status());
          return done(validated.status(), grpc_status);
        }
        (*model)->executor().Submit(std::make_unique<ForwardCall>(
            std::make_unique<ModelInferIo>(request, response, context,
                                           validated->encoding,
                                           std::move(done)),
            validated->batch_rows, engine::CheckedMasks(), deadline,
            std::move(*recorder)));
      });
}

}  // namespace brainserve::server::inference_protocol
