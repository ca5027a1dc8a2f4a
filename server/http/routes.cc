#include "server/http/routes.h"

#include <exception>
#include <new>
#include <string>
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "server/change_audit.h"
#include "server/http/v2_json.h"
#include "server/status_util.h"

namespace brainserve::server::http {
namespace {

// The verified client certificate's subject (RFC 2253), or "".
std::string TlsSubject(const httplib::Request& request) {
  if (request.ssl == nullptr) return "";
  X509* cert = SSL_get_peer_certificate(request.ssl);
  if (cert == nullptr) return "";
  std::string subject;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr &&
      X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                         XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0) subject.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  X509_free(cert);
  return subject;
}

}  // namespace

absl::Status Admit(const HttpBackends& backends,
                   const httplib::Request& request,
                   absl::string_view full_method) {
  return backends.authorizer->AuthorizeHeader(
      request.get_header_value("Authorization"), full_method);
}

absl::Status AdmitChange(const HttpBackends& backends,
                         const httplib::Request& request,
                         absl::string_view full_method,
                         auth::AuditEvent event, RpcRecorder& recorder) {
  auth::Caller caller;
  absl::Status status = backends.authorizer->AuthorizeHeader(
      request.get_header_value("Authorization"), full_method, &caller);
  AddCaller(caller, &event);
  event.peer = absl::StrCat("http:", request.remote_addr, ":",
                            request.remote_port);
  event.tls_subject = TlsSubject(request);
  recorder.Audit(backends.audit_log, std::move(event));
  return status;
}

absl::StatusOr<std::shared_ptr<ServedModel>> FindForRead(
    const HttpBackends& backends, absl::string_view name,
    absl::string_view name_field, uint64_t min_version,
    absl::string_view version_field) {
  absl::Notification done;
  absl::StatusOr<std::shared_ptr<ServedModel>> result;
  backends.reader->Find(
      name, name_field, min_version, version_field, absl::InfiniteFuture(),
      [&](absl::StatusOr<std::shared_ptr<ServedModel>> found) {
        result = std::move(found);
        done.Notify();
      });
  done.WaitForNotification();
  return result;
}

void ReplyError(const absl::Status& status, httplib::Response* response) {
  response->status = ToHttpStatus(status.code());
  if (absl::IsUnauthenticated(status)) {
    response->set_header("WWW-Authenticate", "Bearer");  // RFC 6750
  }
  response->set_content(ErrorJson(status.message()), "application/json");
}

void ReplyJson(std::string body, httplib::Response* response) {
  response->status = 200;
  response->set_content(std::move(body), "application/json");
}

absl::Status RunOnQueue(TaskRunner* queue, std::function<absl::Status()> work) {
  absl::Notification done;
  absl::Status result;
  absl::Status scheduled = queue->Schedule([&] {
    try {
      result = work();
    } catch (const std::bad_alloc&) {
      result = absl::ResourceExhaustedError("out of memory");
    } catch (const std::exception& e) {
      result = absl::InternalError(e.what());
    }
    done.Notify();
  });
  if (!scheduled.ok()) return scheduled;
  done.WaitForNotification();
  return result;
}

}  // namespace brainserve::server::http
