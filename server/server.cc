#include "server/server.h"

#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/auth/method_roles.h"
#include "server/startup_models.h"

namespace brainserve::server {
namespace {

constexpr char kModelServiceName[] = "brainserve.v1.ModelService";
// Descriptors held back for rebuilding the listener when none are left.
constexpr int kReservedDescriptors = 8;
// The protocol extension the HTTP front end implements (ServerMetadata).
constexpr char kBinaryTensorDataExtension[] = "binary_tensor_data";
// How long after the grace period gRPC waits before cancelling calls that
// are still running (e.g. a batch computing when the grace period ended).
// Half a second, so cancellation, joins and the store's close fit in the
// binary's hard limit of grace + 1 s (exit_deadline.h).
constexpr absl::Duration kCancelAfterGraceMargin = absl::Milliseconds(500);

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
  absl::StatusOr<std::unique_ptr<ServerSecurity>> security =
      ServerSecurity::Create(options_);
  if (!security.ok()) return security.status();
  security_ = *std::move(security);
  absl::Status status = StartMetrics();
  if (!status.ok()) return status;
  security_->Start(reporter_.get());
  absl::StatusOr<std::unique_ptr<store::ModelStore>> store =
      store::OpenStore(options_.store);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  timer_ = std::make_unique<DeadlineTimer>();
  budget_ = std::make_unique<ComputeBudget>(options_.engine_threads);
  // Everything but forwards runs niced (--background_nice).
  const int nice = options_.background_nice;
  retirer_ = std::make_unique<WorkQueue>(
      WorkQueueOptions{"model retirement", /*num_threads=*/1,
                       /*max_queue_size=*/0, nice});
  maintenance_ = std::make_unique<WorkQueue>(
      WorkQueueOptions{"store maintenance", /*num_threads=*/1,
                       /*max_queue_size=*/0, nice});
  admin_queue_ = std::make_unique<WorkQueue>(WorkQueueOptions{
      "admin", options_.admin_threads, options_.admin_queue_size, nice});
  update_queue_ = std::make_unique<WorkQueue>(WorkQueueOptions{
      "update", options_.update_threads, options_.update_queue_size, nice});
  registry_ = std::make_unique<ModelRegistry>(options_.limits, reporter_.get());
  ModelManagerOptions manager_options;
  manager_options.default_batching = options_.default_batching;
  manager_options.clock = options_.clock;
  manager_options.snapshot_every_updates = options_.snapshot_every_updates;
  manager_options.snapshot_every_bytes = options_.snapshot_every_bytes;
  manager_options.admission.max_request_memory_bytes =
      options_.max_request_memory_bytes;
  manager_options.admission.max_response_bytes = options_.max_message_bytes;
  manager_options.admission.max_layers = options_.max_layers;
  manager_options.update_workers = update_queue_.get();
  manager_options.max_pending_updates = options_.max_pending_updates;
  manager_options.min_rows_for_all_threads = options_.min_rows_for_all_threads;
  manager_options.admission.max_forward_message_bytes =
      options_.max_forward_message_bytes;
  manager_options.admission.max_update_message_bytes =
      options_.max_update_message_bytes;
  manager_ = std::make_unique<ModelManager>(
      manager_options, registry_.get(), reporter_.get(), budget_.get(),
      store_.get(), retirer_.get(), maintenance_.get(), timer_.get());
  reader_ = std::make_unique<ModelReader>(
      registry_.get(), manager_.get(), update_queue_.get(),
      absl::Milliseconds(options_.max_min_version_wait_ms));
  inference_protocol::InferenceProtocolOptions protocol_options;
  protocol_options.server_version = options_.version;
  protocol_options.extensions = {kBinaryTensorDataExtension};
  protocol_ = std::make_unique<inference_protocol::InferenceProtocol>(
      protocol_options, registry_.get(), reader_.get(), reporter_.get());
  NewServices();
  status = RestoreModels();
  if (status.ok()) status = LoadStartupModels();
  if (status.ok()) status = StartReplication();
  if (status.ok()) status = StartGrpc();
  if (status.ok()) status = StartHealthListener();
  if (status.ok()) status = StartHttp();
  if (status.ok()) StartListenerWatchdog();
  if (!status.ok()) {
    if (grpc_server_ != nullptr) {  // a later listener failed
      grpc_server_->Shutdown(std::chrono::system_clock::now());
      grpc_server_->Wait();
      grpc_server_.reset();
    }
    if (health_server_ != nullptr) {
      health_server_->Shutdown(std::chrono::system_clock::now());
      health_server_->Wait();
      health_server_.reset();
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

absl::Status Server::StartReplication() {
  if (!store_->shared()) return absl::OkStatus();
  replicator_ = std::make_unique<Replicator>(
      store_.get(), manager_.get(), registry_.get(), reporter_.get(),
      absl::Milliseconds(options_.store_resync_interval_ms));
  absl::Status status = replicator_->Start();
  if (!status.ok()) return status;
  // Readiness waits for this: a replica that joins (or restarts) serves only
  // once it has every model at the store's latest version.
  return replicator_->WaitCaughtUp(
      absl::Milliseconds(options_.store_catch_up_timeout_ms));
}

absl::Status Server::StartMetrics() {
  if (options_.metrics_listen_address.empty()) {
    reporter_ = metrics::NewNullReporter();
    return absl::OkStatus();
  }
  metrics::PrometheusReporterOptions metrics_options;
  metrics_options.listen_address = options_.metrics_listen_address;
  metrics_options.version = options_.version;
  metrics_options.basic_auth = security_->MetricsBasicAuth();
  // The served methods' refusal counters exist (at 0) from the start.
  constexpr absl::string_view kServed = "/brainserve.v1.ModelService/";
  for (const auth::MethodRule& rule : auth::MethodRules()) {
    if (!rule.open && absl::StartsWith(rule.full_method, kServed)) {
      metrics_options.auth_methods.emplace_back(
          auth::ShortMethodName(rule.full_method));
    }
  }
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
    // On a shared store another replica may have created it first; the
    // replicator serves that one.
    if (store_->shared() && absl::IsAlreadyExists(model.status())) continue;
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

void Server::NewServices() {
  service_ = std::make_unique<ModelServiceImpl>(
      registry_.get(), manager_.get(), admin_queue_.get(), update_queue_.get(),
      reporter_.get(), reader_.get(), security_->authorizer(),
      security_->audit_log());
  inference_service_ = std::make_unique<inference_protocol::InferenceService>(
      protocol_.get(), security_->authorizer(), manager_->admission_limits());
}

std::unique_ptr<grpc::Server> Server::BuildGrpcServer(
    const std::string& address, int* port) {
  grpc::ServerBuilder builder;
  // No SO_REUSEPORT: a port already in use is a start-up error, not a port
  // silently shared with another process (which would get half the calls).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Idle, half-open and silent connections are reaped (server_options.h).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(options_.keepalive_time_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(options_.keepalive_timeout_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (options_.max_connection_idle_ms > 0) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_IDLE_MS,
        static_cast<int>(options_.max_connection_idle_ms));
  }
  if (options_.max_connection_age_ms > 0) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_MS,
        static_cast<int>(options_.max_connection_age_ms));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        static_cast<int>(options_.max_connection_age_grace_ms));
  }
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             static_cast<int>(options_.handshake_timeout_ms));
  builder.AddListeningPort(address, security_->ListenerCredentials(), port);
  // gRPC 1.51 has one receive cap per server: the largest per-method cap.
  // Each handler then checks its own method's cap (AdmitRequestSize).
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      admission::MaxReceiveMessageBytes(manager_->admission_limits())));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  builder.RegisterService(service_.get());
  builder.RegisterService(inference_service_.get());
  return builder.BuildAndStart();
}

absl::Status Server::StartGrpc() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc_server_ = BuildGrpcServer(options_.listen_address, &grpc_port_);
  if (grpc_server_ == nullptr || grpc_port_ == 0) {
    grpc_server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot serve gRPC on '", options_.listen_address,
        "' (malformed address or port in use)"));
  }
  SetServing(true);
  return absl::OkStatus();
}

absl::Status Server::StartHealthListener() {
  if (options_.health_listen_address.empty()) return absl::OkStatus();
  // Only the default health service (plus reflection, which every builder
  // gets from the global plugin): no ModelService, no credentials needed.
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options_.health_listen_address,
                           grpc::InsecureServerCredentials(), &health_port_);
  health_server_ = builder.BuildAndStart();
  if (health_server_ == nullptr || health_port_ == 0) {
    health_server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--health_listen: cannot serve on '", options_.health_listen_address,
        "' (malformed address or port in use)"));
  }
  SetServing(true);
  std::fprintf(stderr,
               "brainserve-server: health-only listener (plaintext) on %s\n",
               WithPort(options_.health_listen_address, health_port_).c_str());
  return absl::OkStatus();
}

void Server::StartListenerWatchdog() {
  fd_reserve_ = std::make_unique<DescriptorReserve>(kReservedDescriptors);
  if (options_.listener_probe_interval_ms <= 0) return;
  ListenerWatchdogOptions watchdog_options;
  watchdog_options.host = ProbeHostFor(options_.listen_address);
  watchdog_options.port = grpc_port_;
  watchdog_options.interval =
      absl::Milliseconds(options_.listener_probe_interval_ms);
  watchdog_ = std::make_unique<ListenerWatchdog>(
      watchdog_options, [this] { return RebuildListener(); });
}

absl::Status Server::RebuildListener() {
  absl::MutexLock lock(&listener_mu_);
  if (listener_closed_) {
    return absl::FailedPreconditionError("the server is shutting down");
  }
  // The reserve frees descriptors for the new listening socket even while
  // the process is out of them.
  fd_reserve_->Release();
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::seconds(1));
    grpc_server_->Wait();
    grpc_server_.reset();
  }
  // Fresh service objects for the new server; the old ones stay alive (the
  // old server is gone, but nothing is lost by keeping a few pointers).
  retired_services_.push_back(std::move(service_));
  retired_inference_services_.push_back(std::move(inference_service_));
  NewServices();
  int port = 0;
  grpc_server_ =
      BuildGrpcServer(WithPort(options_.listen_address, grpc_port_), &port);
  fd_reserve_->Refill();
  if (grpc_server_ == nullptr || port != grpc_port_) {
    grpc_server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on port ", grpc_port_, " again (will retry)"));
  }
  grpc::HealthCheckServiceInterface* health =
      grpc_server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(kModelServiceName, true);
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  for (grpc::Server* server : {grpc_server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
    health->SetServingStatus("", serving);
    health->SetServingStatus(kModelServiceName, serving);
  }
}

absl::Status Server::StartHttp() {
  if (options_.http.listen_address.empty()) return absl::OkStatus();
  http::HttpBackends backends;
  backends.protocol = protocol_.get();
  backends.registry = registry_.get();
  backends.manager = manager_.get();
  backends.reader = reader_.get();
  backends.authorizer = security_->authorizer();
  backends.audit_log = security_->audit_log();
  backends.admin_queue = admin_queue_.get();
  backends.update_queue = update_queue_.get();
  backends.reporter = reporter_.get();
  http::HttpServerOptions http_options = options_.http;
  http_options.max_infer_body_bytes = options_.max_forward_message_bytes;
  http_options.max_update_body_bytes = options_.max_update_message_bytes;
  http_options.tls_cert_file = options_.tls_cert_file;
  http_options.tls_key_file = options_.tls_key_file;
  http_options.tls_client_ca_file = options_.tls_client_ca_file;
  absl::StatusOr<std::unique_ptr<http::HttpServer>> http =
      http::HttpServer::Start(http_options, backends);
  if (!http.ok()) return http.status();
  http_ = *std::move(http);
  return absl::OkStatus();
}

void Server::EnterDraining() {
  absl::MutexLock lock(&listener_mu_);
  listener_closed_ = true;
  if (protocol_ != nullptr) protocol_->SetReady(false);
  // Sets every service NOT_SERVING and ignores later SetServingStatus calls.
  for (grpc::Server* server : {grpc_server_.get(), health_server_.get()}) {
    if (server != nullptr) server->GetHealthCheckService()->Shutdown();
  }
}

void Server::ReloadCredentials() {
  if (security_ != nullptr) security_->Reload();
}

void Server::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // No rebuild may race with the listener's shutdown.
  if (watchdog_ != nullptr) watchdog_->Stop();
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
  if (health_server_ != nullptr) {
    // Probes saw NOT_SERVING throughout the drain; now stop answering.
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
  StopComponents(/*drain=*/true);
}

void Server::StopComponents(bool drain) {
  // Replication first (it adds, updates and removes models), then admin
  // and update work: a CreateModel still running may add a model, and an
  // update may schedule a snapshot.
  if (replicator_ != nullptr) replicator_->Stop();
  if (admin_queue_ != nullptr) admin_queue_->Shutdown();
  if (update_queue_ != nullptr) update_queue_->Shutdown();
  if (maintenance_ != nullptr) maintenance_->Shutdown();
  if (manager_ != nullptr) manager_->ShutdownAll(drain);
  if (retirer_ != nullptr) retirer_->Shutdown();
  if (security_ != nullptr) security_->Shutdown();
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
