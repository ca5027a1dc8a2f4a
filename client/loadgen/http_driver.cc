#include "client/loadgen/http_driver.h"

#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/loadgen/clock.h"
#include "httplib.h"

namespace brainserve::loadgen {
namespace {

// The model_version of a JSON infer response header, or false.
bool ParseVersion(const std::string& body, uint64_t* version) {
  static constexpr char kKey[] = "\"model_version\":\"";
  const size_t at = body.find(kKey);
  if (at == std::string::npos) return false;
  const size_t begin = at + sizeof(kKey) - 1;
  const size_t end = body.find('"', begin);
  if (end == std::string::npos) return false;
  return absl::SimpleAtoi(
      absl::string_view(body).substr(begin, end - begin), version);
}

}  // namespace

int32_t HttpDriver::GrpcCodeOf(int http_status) {
  switch (http_status) {
    case 200: return 0;   // OK
    case 499: return 1;   // CANCELLED
    case 400: return 3;   // INVALID_ARGUMENT (or FAILED_PRECONDITION)
    case 504: return 4;   // DEADLINE_EXCEEDED
    case 404: return 5;   // NOT_FOUND
    case 409: return 6;   // ALREADY_EXISTS
    case 403: return 7;   // PERMISSION_DENIED
    case 429: return 8;   // RESOURCE_EXHAUSTED
    case 501: return 12;  // UNIMPLEMENTED
    case 503: return 14;  // UNAVAILABLE
    case 401: return 16;  // UNAUTHENTICATED
    default: return 13;   // INTERNAL
  }
}

absl::StatusOr<std::unique_ptr<HttpDriver>> HttpDriver::Create(
    const Options& options, std::vector<HttpInferBody> bodies,
    VersionTracker* versions) {
  if (bodies.empty()) return absl::InvalidArgumentError("no requests");
  const size_t colon = options.server.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.server.substr(colon + 1), &port) || port <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-server: '", options.server, "' is not HOST:PORT"));
  }
  return std::unique_ptr<HttpDriver>(
      new HttpDriver(options, std::move(bodies), versions,
                     options.server.substr(0, colon), port));
}

HttpDriver::HttpDriver(const Options& options,
                       std::vector<HttpInferBody> bodies,
                       VersionTracker* versions, std::string host, int port)
    : options_(options),
      bodies_(std::move(bodies)),
      versions_(versions),
      host_(std::move(host)),
      port_(port),
      path_(absl::StrCat("/v2/models/", options.model, "/infer")) {}

HttpDriver::~HttpDriver() { StopAndDrain(); }

void HttpDriver::StartClosedLoop(int concurrency, int64_t max_calls) {
  {
    absl::MutexLock lock(&mu_);
    issuing_ = true;
    max_calls_ = max_calls;
    issued_ = 0;
  }
  for (int i = 0; i < concurrency; ++i) {
    callers_.emplace_back([this] { CallerLoop(); });
  }
}

void HttpDriver::StartOpenLoop(std::unique_ptr<ArrivalSchedule>, int64_t) {
  // Refused by ParseFlags; nothing is sent.
}

void HttpDriver::StopAndDrain() {
  {
    absl::MutexLock lock(&mu_);
    issuing_ = false;
  }
  for (std::thread& caller : callers_) caller.join();
  callers_.clear();
}

std::vector<CallRecord> HttpDriver::TakeRecords() {
  absl::MutexLock lock(&mu_);
  std::vector<CallRecord> out;
  out.swap(records_);
  return out;
}

int64_t HttpDriver::issued() const {
  absl::MutexLock lock(&mu_);
  return issued_;
}

bool HttpDriver::budget_exhausted() const {
  absl::MutexLock lock(&mu_);
  return max_calls_ > 0 && issued_ >= max_calls_;
}

void HttpDriver::ReportFirstError(const std::string& error) {
  absl::MutexLock lock(&mu_);
  if (reported_error_) return;
  reported_error_ = true;
  std::fprintf(stderr, "brainserve-loadgen: HTTP request failed: %s\n",
               error.c_str());
}

bool HttpDriver::Claim(int64_t* index) {
  absl::MutexLock lock(&mu_);
  if (!issuing_ || (max_calls_ > 0 && issued_ >= max_calls_)) return false;
  *index = issued_++;
  return true;
}

void HttpDriver::CallerLoop() {
  const client::ChannelSecurity& security = options_.security;
  httplib::Client client(
      absl::StrCat(security.tls() ? "https://" : "http://", host_, ":", port_),
      security.tls_cert_file, security.tls_key_file);
  if (security.tls()) {
    if (!security.tls_ca_file.empty()) {
      client.set_ca_cert_path(security.tls_ca_file.c_str());
    }
    client.enable_server_certificate_verification(true);
  }
  if (!security.token.empty()) {
    client.set_bearer_token_auth(security.token.c_str());
  }
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  const time_t seconds = static_cast<time_t>(options_.timeout_ms / 1000);
  const time_t micros = static_cast<time_t>(options_.timeout_ms % 1000 * 1000);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
  int64_t index = 0;
  while (Claim(&index)) {
    const HttpInferBody& body = bodies_[index % bodies_.size()];
    httplib::Headers headers;
    if (body.json_length > 0) {
      headers.emplace("Inference-Header-Content-Length",
                      absl::StrCat(body.json_length));
    }
    CallRecord record;
    record.intended_ns = NowNs();
    const uint64_t floor = versions_->Floor();
    httplib::Result result =
        client.Post(path_.c_str(), headers, body.body,
                    body.json_length > 0 ? "application/octet-stream"
                                         : "application/json");
    record.done_ns = NowNs();
    if (!result) {
      record.code = 14;  // UNAVAILABLE
      ReportFirstError(absl::StrCat(
          httplib::to_string(result.error()), " after ",
          (record.done_ns - record.intended_ns) / 1000000, " ms"));
    } else {
      record.code = GrpcCodeOf(result->status);
      uint64_t version = 0;
      if (record.code == 0) {
        if (!ParseVersion(result->body, &version)) {
          record.bad_response = true;
        } else {
          record.version_regressed = version < floor;
          versions_->Observe(version);
        }
      }
    }
    absl::MutexLock lock(&mu_);
    records_.push_back(record);
  }
}

}  // namespace brainserve::loadgen
