#include "server/http/http_server.h"

#include <sys/socket.h>

#include <chrono>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "server/http/routes.h"
#include "server/http/v2_json.h"

namespace brainserve::server::http {
namespace {

// Pending connections the kernel may queue for accept().
constexpr int kListenBacklog = 1024;

struct HostPort {
  std::string host;
  int port = -1;
};

// "host:port" or "[v6]:port"; port -1 when malformed.
HostPort SplitHostPort(const std::string& address) {
  HostPort out;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return out;
  out.host = address.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' &&
      out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  int port = 0;
  if (absl::SimpleAtoi(address.substr(colon + 1), &port) && port >= 0 &&
      port <= 65535) {
    out.port = port;
  }
  return out;
}

// The per-route body cap of `request` (0: none) and the flag that sets it.
std::pair<int64_t, const char*> RouteBodyCap(const HttpServerOptions& options,
                                             const httplib::Request& request) {
  if (request.method != "POST") return {0, ""};
  const std::string& path = request.path;
  if (absl::StartsWith(path, "/v2/models/") && absl::EndsWith(path, "/infer")) {
    return {options.max_infer_body_bytes, "--max_forward_message_bytes"};
  }
  if (absl::StartsWith(path, "/v1/models/") &&
      absl::EndsWith(path, "/parameters")) {
    return {options.max_update_body_bytes, "--max_update_message_bytes"};
  }
  return {0, ""};
}

void FillLibraryError(const httplib::Request& request,
                      httplib::Response& response) {
  if (!response.body.empty()) return;  // a route already wrote its error
  std::string message;
  switch (response.status) {
    case 404:
      message = absl::StrCat("no route ", request.method, " ", request.path);
      break;
    case 413:
      message = "request body too large (--http_max_body_bytes)";
      break;
    default:
      message = absl::StrCat("HTTP status ", response.status);
  }
  response.set_content(ErrorJson(message), "application/json");
}

}  // namespace

std::string HttpOptionsError(const HttpServerOptions& options) {
  if (!options.listen_address.empty() &&
      SplitHostPort(options.listen_address).port < 0) {
    return absl::StrCat("--http_listen: '", options.listen_address,
                        "' is not host:port");
  }
  if (options.threads < 1) {
    return absl::StrCat("--http_threads: ", options.threads, ", must be >= 1");
  }
  if (options.max_body_bytes < 1) {
    return absl::StrCat("--http_max_body_bytes: ", options.max_body_bytes,
                        ", must be >= 1");
  }
  return "";
}

HttpServer::HttpServer(const HttpServerOptions& options,
                       const HttpBackends& backends,
                       std::unique_ptr<httplib::Server> server)
    : options_(options), backends_(backends), server_(std::move(server)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, const HttpBackends& backends) {
  std::unique_ptr<httplib::Server> library;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file go together");
  }
  if (!options.tls_cert_file.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(
        options.tls_cert_file.c_str(), options.tls_key_file.c_str(),
        options.tls_client_ca_file.empty()
            ? nullptr
            : options.tls_client_ca_file.c_str());
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--http_listen: cannot serve HTTPS with --tls_cert_file '",
          options.tls_cert_file, "' and --tls_key_file '",
          options.tls_key_file, "'",
          options.tls_client_ca_file.empty()
              ? ""
              : absl::StrCat(" and --tls_client_ca_file '",
                             options.tls_client_ca_file, "'")));
    }
    library = std::move(tls);
  } else {
    library = std::make_unique<httplib::Server>();
  }
  std::unique_ptr<HttpServer> http(
      new HttpServer(options, backends, std::move(library)));
  httplib::Server& server = *http->server_;
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  server.set_keep_alive_timeout(options.keep_alive_timeout_seconds);
  server.set_keep_alive_max_count(
      static_cast<size_t>(options.keep_alive_max_requests));
  server.set_tcp_nodelay(true);
  // SO_REUSEADDR only: the library's default adds SO_REUSEPORT, which would
  // let a second server bind the same port and silently share its traffic.
  HttpServer* self = http.get();
  server.set_socket_options([self](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    self->listen_socket_ = sock;  // the last one created is the one bound
  });
  server.set_error_handler(FillLibraryError);
  // Runs before the body is read: a declared Content-Length over its
  // route's cap is refused without reading it, and the connection closed.
  server.set_pre_routing_handler(
      [self](const httplib::Request& request, httplib::Response& response) {
        const auto [cap, flag] = RouteBodyCap(self->options_, request);
        int64_t length = 0;
        if (cap <= 0 || !request.has_header("Content-Length") ||
            !absl::SimpleAtoi(request.get_header_value("Content-Length"),
                              &length) ||
            length <= cap) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        response.status = 413;
        response.set_header("Connection", "close");
        response.set_content(
            ErrorJson(absl::StrCat(request.method, " ", request.path,
                                   ": the body is ", length, " bytes, over ",
                                   flag, "=", cap)),
            "application/json");
        return httplib::Server::HandlerResponse::Handled;
      });
  server.set_exception_handler([](const httplib::Request&,
                                  httplib::Response& response,
                                  std::exception_ptr error) {
    absl::Status status = absl::InternalError("unknown exception");
    try {
      std::rethrow_exception(error);
    } catch (const std::bad_alloc&) {
      status = absl::ResourceExhaustedError("out of memory");
    } catch (const std::exception& e) {
      status = absl::InternalError(e.what());
    } catch (...) {
    }
    ReplyError(status, &response);
  });
  AddV2Routes(http->backends_, &server);
  AddV1Routes(http->backends_, &server);

  const HostPort where = SplitHostPort(options.listen_address);
  const int port = where.port == 0 ? server.bind_to_any_port(where.host)
               : server.bind_to_port(where.host, where.port) ? where.port
                                                             : -1;
  if (where.port < 0 || port <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "--http_listen: cannot serve HTTP on '", options.listen_address,
        "' (malformed address or port in use)"));
  }
  http->port_ = port;
  // The library listens with a backlog of 5, so a burst of new connections
  // (64 clients connecting at once) overflows the accept queue and costs
  // the excess a 1 s SYN retransmission, or a reset. Listening again on the
  // bound socket raises the backlog (the kernel caps it at somaxconn).
  if (http->listen_socket_ >= 0) ::listen(http->listen_socket_, kListenBacklog);
  http->listener_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->listener_done_.store(true);
  });
  // stop() is a no-op until the listener runs; wait for it so that a
  // StopAccepting() right after Start() is never lost.
  while (!server.is_running() && !http->listener_done_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return http;
}

HttpServer::~HttpServer() {
  StopAccepting();
  Wait();
}

void HttpServer::StopAccepting() { server_->stop(); }

void HttpServer::Wait() {
  if (listener_.joinable()) listener_.join();
}

}  // namespace brainserve::server::http
