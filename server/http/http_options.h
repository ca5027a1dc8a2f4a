// Configuration of the HTTP/REST front end (server/http/http_server.h).
#ifndef BRAINSERVE_SERVER_HTTP_HTTP_OPTIONS_H_
#define BRAINSERVE_SERVER_HTTP_HTTP_OPTIONS_H_

#include <cstdint>
#include <string>

namespace brainserve::server::http {

struct HttpServerOptions {
  // host:port to listen on; port 0 picks a free port; "" disables HTTP.
  std::string listen_address = "0.0.0.0:8000";
  // Worker threads. Each serves one connection at a time (and waits while
  // its request is queued or computing), so this bounds the connections
  // served at once; further connections are accepted but wait for a free
  // worker.
  int threads = 64;
  // Largest request body, in bytes; a larger one is answered 413.
  int64_t max_body_bytes = int64_t{64} << 20;
  // Per route, the gRPC methods' caps (the server sets them from
  // --max_forward_message_bytes and --max_update_message_bytes): the body of
  // POST /v2/models/{m}[/versions/{v}]/infer and of
  // POST /v1/models/{m}/parameters. A declared Content-Length over the cap
  // is answered 413 naming the flag before the body is read; 0 = only
  // max_body_bytes.
  int64_t max_infer_body_bytes = 0;
  int64_t max_update_body_bytes = 0;
  // An idle keep-alive connection is closed after this many seconds (also
  // the longest an idle connection delays shutdown).
  int keep_alive_timeout_seconds = 5;
  // Requests served on one connection before the server closes it.
  int keep_alive_max_requests = 10000;
  // TLS, from the gRPC listener's flags (--tls_cert_file, --tls_key_file,
  // --tls_client_ca_file): HTTPS when cert and key are set, requiring and
  // verifying client certificates when the client CA is set too. Read once
  // at start (gRPC re-reads rotated files; HTTPS needs a restart).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

// INVALID_ARGUMENT-style message naming the flag, or "" when valid.
std::string HttpOptionsError(const HttpServerOptions& options);

}  // namespace brainserve::server::http

#endif  // BRAINSERVE_SERVER_HTTP_HTTP_OPTIONS_H_
