#include "tests/client/fake_model_service.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace brainserve::client::testing {

namespace v1 = ::brainserve::v1;

grpc::Status FakeModelService::CreateModel(
    grpc::ServerContext*, const v1::CreateModelRequest* request,
    v1::ModelInfo* response) {
  absl::MutexLock lock(&mu_);
  last_create_ = *request;
  if (!script_.error.ok()) return script_.error;
  *response = script_.model;
  response->set_name(request->name());
  return grpc::Status::OK;
}

grpc::Status FakeModelService::GetModel(grpc::ServerContext*,
                                        const v1::GetModelRequest* request,
                                        v1::ModelInfo* response) {
  absl::MutexLock lock(&mu_);
  last_name_ = request->name();
  last_get_model_ = *request;
  if (!script_.error.ok()) return script_.error;
  *response = script_.model;
  return grpc::Status::OK;
}

grpc::Status FakeModelService::ListModels(grpc::ServerContext*,
                                          const v1::ListModelsRequest*,
                                          v1::ListModelsResponse* response) {
  absl::MutexLock lock(&mu_);
  if (!script_.error.ok()) return script_.error;
  *response = script_.list;
  return grpc::Status::OK;
}

grpc::Status FakeModelService::DeleteModel(
    grpc::ServerContext*, const v1::DeleteModelRequest* request,
    v1::DeleteModelResponse*) {
  absl::MutexLock lock(&mu_);
  last_name_ = request->name();
  return script_.error;
}

grpc::Status FakeModelService::Forward(grpc::ServerContext* context,
                                       const v1::ForwardRequest* request,
                                       v1::ForwardResponse* response) {
  if (request->model() == "slow") {
    while (!context->IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return grpc::Status(grpc::StatusCode::CANCELLED, "client gave up");
  }
  absl::MutexLock lock(&mu_);
  last_forward_ = *request;
  if (!script_.error.ok()) return script_.error;
  *response->mutable_output() = request->input();
  response->set_version(script_.version);
  return grpc::Status::OK;
}

grpc::Status FakeModelService::UpdateParameters(
    grpc::ServerContext*, const v1::UpdateParametersRequest* request,
    v1::UpdateParametersResponse* response) {
  absl::MutexLock lock(&mu_);
  last_update_ = *request;
  if (!script_.error.ok()) return script_.error;
  response->set_version(script_.version);
  return grpc::Status::OK;
}

grpc::Status FakeModelService::GetParameters(
    grpc::ServerContext*, const v1::GetParametersRequest* request,
    v1::GetParametersResponse* response) {
  absl::MutexLock lock(&mu_);
  last_get_parameters_ = *request;
  if (!script_.error.ok()) return script_.error;
  *response = script_.parameters;
  response->set_version(script_.version);
  return grpc::Status::OK;
}

FakeServer::FakeServer() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service_);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus("brainserve.v1.ModelService", true);
  health->SetServingStatus("down", false);
}

FakeServer::~FakeServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace brainserve::client::testing
