// An in-process stand-in for brainserve-server used by the client library and
// CLI unit tests: it records the last request of each kind and answers with
// scripted responses or errors, so tests can check exactly what the client
// sent and how it renders what came back. It listens on 127.0.0.1:0 and also
// serves grpc.health.v1 through gRPC's default health service.
#ifndef BRAINSERVE_TESTS_CLIENT_FAKE_MODEL_SERVICE_H_
#define BRAINSERVE_TESTS_CLIENT_FAKE_MODEL_SERVICE_H_

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "grpcpp/server.h"

namespace brainserve::client::testing {

class FakeModelService final : public brainserve::v1::ModelService::Service {
 public:
  // Scripted behaviour, set before calls.
  struct Script {
    brainserve::v1::ListModelsResponse list;
    brainserve::v1::ModelInfo model;  // GetModel / CreateModel answer
    uint64_t version = 1;             // Forward / Update / GetParameters
    brainserve::v1::GetParametersResponse parameters;
    grpc::Status error = grpc::Status::OK;  // returned by every RPC if set
  };

  void SetScript(Script script) {
    absl::MutexLock lock(&mu_);
    script_ = std::move(script);
  }

  // Requests as last received.
  brainserve::v1::ForwardRequest last_forward() const {
    absl::MutexLock lock(&mu_);
    return last_forward_;
  }
  brainserve::v1::UpdateParametersRequest last_update() const {
    absl::MutexLock lock(&mu_);
    return last_update_;
  }
  brainserve::v1::CreateModelRequest last_create() const {
    absl::MutexLock lock(&mu_);
    return last_create_;
  }
  brainserve::v1::GetParametersRequest last_get_parameters() const {
    absl::MutexLock lock(&mu_);
    return last_get_parameters_;
  }
  brainserve::v1::GetModelRequest last_get_model() const {
    absl::MutexLock lock(&mu_);
    return last_get_model_;
  }
  std::string last_name() const {  // GetModel / DeleteModel
    absl::MutexLock lock(&mu_);
    return last_name_;
  }

  grpc::Status CreateModel(grpc::ServerContext*,
                           const brainserve::v1::CreateModelRequest* request,
                           brainserve::v1::ModelInfo* response) override;
  grpc::Status GetModel(grpc::ServerContext*,
                        const brainserve::v1::GetModelRequest* request,
                        brainserve::v1::ModelInfo* response) override;
  grpc::Status ListModels(
      grpc::ServerContext*, const brainserve::v1::ListModelsRequest*,
      brainserve::v1::ListModelsResponse* response) override;
  grpc::Status DeleteModel(grpc::ServerContext*,
                           const brainserve::v1::DeleteModelRequest* request,
                           brainserve::v1::DeleteModelResponse*) override;
  // Echoes the input ("slow" waits for the client to give up).
  grpc::Status Forward(grpc::ServerContext* context,
                       const brainserve::v1::ForwardRequest* request,
                       brainserve::v1::ForwardResponse* response) override;
  grpc::Status UpdateParameters(
      grpc::ServerContext*,
      const brainserve::v1::UpdateParametersRequest* request,
      brainserve::v1::UpdateParametersResponse* response) override;
  grpc::Status GetParameters(
      grpc::ServerContext*, const brainserve::v1::GetParametersRequest* request,
      brainserve::v1::GetParametersResponse* response) override;

 private:
  mutable absl::Mutex mu_;
  Script script_ ABSL_GUARDED_BY(mu_);
  brainserve::v1::ForwardRequest last_forward_ ABSL_GUARDED_BY(mu_);
  brainserve::v1::UpdateParametersRequest last_update_ ABSL_GUARDED_BY(mu_);
  brainserve::v1::CreateModelRequest last_create_ ABSL_GUARDED_BY(mu_);
  brainserve::v1::GetModelRequest last_get_model_ ABSL_GUARDED_BY(mu_);
  brainserve::v1::GetParametersRequest last_get_parameters_
      ABSL_GUARDED_BY(mu_);
  std::string last_name_ ABSL_GUARDED_BY(mu_);
};

// A running gRPC server hosting a FakeModelService on 127.0.0.1:<port>.
// Health: "" and "brainserve.v1.ModelService" are SERVING, "down" is
// NOT_SERVING, anything else is unknown (NOT_FOUND).
class FakeServer {
 public:
  FakeServer();
  ~FakeServer();

  FakeModelService& service() { return service_; }
  std::string address() const { return address_; }

 private:
  FakeModelService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace brainserve::client::testing

#endif  // BRAINSERVE_TESTS_CLIENT_FAKE_MODEL_SERVICE_H_
