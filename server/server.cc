#include "server/server.h"

#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/startup_models.h"

namespace brainserve::server {
namespace {

constexpr char kModelServiceName[] = "brainserve.v1.ModelService";
// The protocol extension the HTTP front end implements (ServerMetadata).
constexpr char kBinaryTensorDataExtension[] = "binary_tensor_data";
// How long after the grace period gRPC waits before cancelling calls that
// are still running (e.g. a batch computing when the grace period ended).
constexpr absl::Duration kCancelAfterGraceMargin = absl::Seconds(1);

}  // namespace

std::string WithPort(const std::string& listen_address, int port) {
  const size_t colon = listen_address.rfind(':');
  const std::string host = colon == std::string::npos
                               ? listen_address
                               : listen_address.substr(0, colon);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    const ServerOptions& options) {
  absl::Status status = ValidateServerOptions(options);
  if (!status.ok()) return status;
  return std::unique_ptr<Server>(new Server(options));
}

Server::Server(const ServerOptions& options) : options_(options) {}

Server::~Server() { Shutdown(); }

absl::Status Server::Start() {
  absl::Status status = StartMetrics();
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<store::ModelStore>> store =
      store::OpenStore(options_.store);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  budget_ = std::make_unique<ComputeBudget>(options_.engine_threads);
  retirer_ = std::make_unique<WorkQueue>(
      WorkQueueOptions{"model retirement", /*num_threads=*/1,
                       /*max_queue_size=*/0});
  maintenance_ = std::make_unique<WorkQueue>(
      WorkQueueOptions{"store maintenance", /*num_threads=*/1,
                       /*max_queue_size=*/0});
  admin_queue_ = std::make_unique<WorkQueue>(WorkQueueOptions{
      "admin", options_.admin_threads, options_.admin_queue_size});
  update_queue_ = std::make_unique<WorkQueue>(WorkQueueOptions{
      "update", options_.update_threads, options_.update_queue_size});
  registry_ = std::make_unique<ModelRegistry>(options_.limits, reporter_.get());
  ModelManagerOptions manager_options;
  manager_options.default_batching = options_.default_batching;
  manager_options.clock = options_.clock;
  manager_options.snapshot_every_updates = options_.snapshot_every_updates;
  manager_options.snapshot_every_bytes = options_.snapshot_every_bytes;
  manager_ = std::make_unique<ModelManager>(
      manager_options, registry_.get(), reporter_.get(), budget_.get(),
      store_.get(), retirer_.get(), maintenance_.get());
  service_ = std::make_unique<ModelServiceImpl>(
      registry_.get(), manager_.get(), admin_queue_.get(), update_queue_.get(),
      reporter_.get());
  inference_protocol::InferenceProtocolOptions protocol_options;
  protocol_options.server_version = options_.version;
  protocol_options.extensions = {kBinaryTensorDataExtension};
  protocol_ = std::make_unique<inference_protocol::InferenceProtocol>(
      protocol_options, registry_.get(), reporter_.get());
  inference_service_ =
      std::make_unique<inference_protocol::InferenceService>(protocol_.get());
  status = RestoreModels();
  if (status.ok()) status = LoadStartupModels();
  if (status.ok()) status = StartGrpc();
  if (status.ok()) status = StartHttp();
  if (!status.ok()) {
    if (grpc_server_ != nullptr) {
      grpc_server_->Shutdown();
      grpc_server_->Wait();
      grpc_server_.reset();
    }
    StopComponents(/*drain=*/false);
    return status;
  }
  protocol_->SetReady(true);
  return status;
}

absl::Status Server::RestoreModels() {
  absl::StatusOr<RestoreSummary> restored = manager_->RestoreAll();
  if (!restored.ok()) return restored.status();
  restored_.insert(restored->names.begin(), restored->names.end());
  std::fprintf(stderr,
               "brainserve-server: restored %d model(s) from %s, replaying "
               "%lld logged update(s), in %.3f s\n",
               restored->models, store_->Describe().c_str(),
               static_cast<long long>(restored->replayed_updates),
               restored->seconds);
  return absl::OkStatus();
}

absl::Status Server::StartMetrics() {
  if (options_.metrics_listen_address.empty()) {
    reporter_ = metrics::NewNullReporter();
    return absl::OkStatus();
  }
  metrics::PrometheusReporterOptions metrics_options;
  metrics_options.listen_address = options_.metrics_listen_address;
  metrics_options.version = options_.version;
  absl::StatusOr<std::unique_ptr<metrics::PrometheusReporter>> prometheus =
      metrics::PrometheusReporter::Create(metrics_options);
  if (!prometheus.ok()) return prometheus.status();
  prometheus_ = prometheus->get();
  reporter_ = *std::move(prometheus);
  return absl::OkStatus();
}

absl::Status Server::LoadStartupModels() {
  if (options_.models_file.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<v1::CreateModelRequest>> requests =
      LoadModelsFile(options_.models_file);
  if (!requests.ok()) return requests.status();
  for (size_t i = 0; i < requests->size(); ++i) {
    const v1::CreateModelRequest& request = (*requests)[i];
    // A stored model keeps what it has learned: the file only creates
    // models the store does not have yet.
    if (restored_.contains(request.name())) continue;
    absl::StatusOr<std::shared_ptr<ServedModel>> model =
        manager_->Create(request);
    if (!model.ok()) {
      return absl::Status(
          model.status().code(),
          absl::StrCat("models file '", options_.models_file, "': element [", i,
                       "] (model '", request.name(),
                       "'): ", model.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status Server::StartGrpc() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen_address,
                           grpc::InsecureServerCredentials(), &grpc_port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(options_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  builder.RegisterService(service_.get());
  builder.RegisterService(inference_service_.get());
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || grpc_port_ == 0) {
    grpc_server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot serve gRPC on '", options_.listen_address,
        "' (malformed address or port in use)"));
  }
  grpc::HealthCheckServiceInterface* health =
      grpc_server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(kModelServiceName, true);
  return absl::OkStatus();
}

absl::Status Server::StartHttp() {
  if (options_.http.listen_address.empty()) return absl::OkStatus();
  http::HttpBackends backends;
  backends.protocol = protocol_.get();
  backends.registry = registry_.get();
  backends.manager = manager_.get();
  backends.admin_queue = admin_queue_.get();
  backends.update_queue = update_queue_.get();
  backends.reporter = reporter_.get();
  absl::StatusOr<std::unique_ptr<http::HttpServer>> http =
      http::HttpServer::Start(options_.http, backends);
  if (!http.ok()) return http.status();
  http_ = *std::move(http);
  return absl::OkStatus();
}

void Server::EnterDraining() {
  if (protocol_ != nullptr) protocol_->SetReady(false);
  if (grpc_server_ == nullptr) return;
  // Sets every service NOT_SERVING and ignores later SetServingStatus calls.
  grpc_server_->GetHealthCheckService()->Shutdown();
}

void Server::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc_server_ != nullptr) {
    EnterDraining();
    if (http_ != nullptr) http_->StopAccepting();
    const absl::Time deadline =
        absl::Now() + absl::Seconds(options_.shutdown_grace_seconds);
    absl::Notification fronts_done;
    // grpc::Server::Shutdown() returns only once every call has finished
    // (and HttpServer::Wait() once every HTTP request has), so they run
    // aside while this thread enforces the grace period on queues. gRPC's
    // own deadline (after which it cancels calls) comes a little later, so
    // queued calls get a clean UNAVAILABLE, not a cancellation.
    std::thread fronts_shutdown([this, deadline, &fronts_done] {
      grpc_server_->Shutdown(
          absl::ToChronoTime(deadline + kCancelAfterGraceMargin));
      if (http_ != nullptr) http_->Wait();
      fronts_done.Notify();
    });
    if (!fronts_done.WaitForNotificationWithDeadline(deadline)) {
      manager_->ShutdownAll(/*drain=*/false);  // queued -> UNAVAILABLE
    }
    fronts_shutdown.join();
    grpc_server_->Wait();
  }
  StopComponents(/*drain=*/true);
}

void Server::StopComponents(bool drain) {
  // Admin and update work first: a CreateModel still running may add a
  // model, and an update may schedule a snapshot.
  if (admin_queue_ != nullptr) admin_queue_->Shutdown();
  if (update_queue_ != nullptr) update_queue_->Shutdown();
  if (maintenance_ != nullptr) maintenance_->Shutdown();
  if (manager_ != nullptr) manager_->ShutdownAll(drain);
  if (retirer_ != nullptr) retirer_->Shutdown();
}

int Server::metrics_port() const {
  return prometheus_ != nullptr ? prometheus_->port() : 0;
}

std::string Server::grpc_address() const {
  return WithPort(options_.listen_address, grpc_port_);
}

std::string Server::http_address() const {
  if (http_ == nullptr) return "";
  return WithPort(options_.http.listen_address, http_->port());
}

std::string Server::metrics_address() const {
  if (prometheus_ == nullptr) return "";
  return WithPort(options_.metrics_listen_address, metrics_port());
}

std::string Server::ScrapeMetrics() const {
  return prometheus_ != nullptr ? prometheus_->Scrape() : std::string();
}

}  // namespace brainserve::server
