// Drives the Open Inference Protocol's REST infer (POST
// /v2/models/{model}/infer) in a closed loop: one thread and one keep-alive
// HTTP/1.1 connection (cpp-httplib) per caller, each sending its next request
// as soon as the previous one is answered. HTTP statuses are recorded as the
// gRPC codes they stand for (200 OK, 400 INVALID_ARGUMENT, 404 NOT_FOUND,
// 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, ...; a
// failed connection is UNAVAILABLE). Open loop is not supported (the flags
// refuse it). Thread safety: as RequestDriver.
#ifndef BRAINSERVE_CLIENT_LOADGEN_HTTP_DRIVER_H_
#define BRAINSERVE_CLIENT_LOADGEN_HTTP_DRIVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/channel_security.h"
#include "client/loadgen/protocol_requests.h"
#include "client/loadgen/request_driver.h"
#include "client/loadgen/version_tracker.h"

namespace brainserve::loadgen {

class HttpDriver : public RequestDriver {
 public:
  struct Options {
    // host:port of the server's --http_listen.
    std::string server = "localhost:8000";
    std::string model;
    // Per-request read/write timeout, in milliseconds.
    int64_t timeout_ms = 10000;
    // HTTPS when security.tls() (verifying the server with tls_ca_file,
    // presenting tls_cert_file/tls_key_file for mutual TLS); the token goes
    // in every request's Authorization: Bearer header. tls_server_name is
    // not supported over HTTP (ParseFlags refuses it).
    client::ChannelSecurity security;
  };

  // `bodies` (>= 1) are sent in rotation; `versions` must outlive the driver.
  static absl::StatusOr<std::unique_ptr<HttpDriver>> Create(
      const Options& options, std::vector<HttpInferBody> bodies,
      VersionTracker* versions);
  ~HttpDriver() override;

  void StartClosedLoop(int concurrency, int64_t max_calls) override;
  void StartOpenLoop(std::unique_ptr<ArrivalSchedule> schedule,
                     int64_t max_calls) override;
  void StopAndDrain() override;
  std::vector<CallRecord> TakeRecords() override;
  int64_t issued() const override;
  bool budget_exhausted() const override;

  // The gRPC code an HTTP status stands for (exposed for tests).
  static int32_t GrpcCodeOf(int http_status);

 private:
  HttpDriver(const Options& options, std::vector<HttpInferBody> bodies,
             VersionTracker* versions, std::string host, int port);

  void CallerLoop();
  // Prints the first failed request's error to stderr (once per driver).
  void ReportFirstError(const std::string& error);
  // Claims the next call's index; false when the phase stopped or ran out.
  bool Claim(int64_t* index);

  const Options options_;
  const std::vector<HttpInferBody> bodies_;
  VersionTracker* const versions_;
  const std::string host_;
  const int port_;
  const std::string path_;
  std::vector<std::thread> callers_;

  mutable absl::Mutex mu_;
  bool issuing_ ABSL_GUARDED_BY(mu_) = false;
  int64_t max_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
  bool reported_error_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_HTTP_DRIVER_H_
