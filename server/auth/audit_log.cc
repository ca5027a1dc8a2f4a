#include "server/auth/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace brainserve::auth {
namespace {

constexpr size_t kMaxMessageBytes = 512;

// A JSON string literal (RFC 8259): quotes, backslashes and control
// characters escaped; bytes >= 0x80 pass through.
void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendKey(std::string* out, absl::string_view key) {
  if (out->size() > 1) out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
}

void AppendStringOrNull(std::string* out, absl::string_view key,
                        absl::string_view value) {
  AppendKey(out, key);
  if (value.empty()) {
    out->append("null");
  } else {
    AppendJsonString(out, value);
  }
}

void AppendNumberOrNull(std::string* out, absl::string_view key,
                        const std::optional<uint64_t>& value) {
  AppendKey(out, key);
  if (value.has_value()) {
    absl::StrAppend(out, *value);
  } else {
    out->append("null");
  }
}

}  // namespace

std::string AuditJson(const AuditEvent& event) {
  std::string out = "{";
  AppendKey(&out, "time");
  AppendJsonString(&out, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", event.time,
                                          absl::UTCTimeZone()));
  AppendKey(&out, "type");
  AppendJsonString(&out, "audit");
  AppendKey(&out, "operation");
  AppendJsonString(&out, event.operation);
  AppendKey(&out, "outcome");
  AppendJsonString(&out, absl::StatusCodeToString(event.outcome.code()));
  AppendKey(&out, "message");
  absl::string_view message = event.outcome.message();
  AppendJsonString(&out, message.substr(0, kMaxMessageBytes));
  AppendStringOrNull(&out, "token_id", event.token_id);
  AppendStringOrNull(&out, "role", event.role);
  AppendStringOrNull(&out, "peer", event.peer);
  AppendStringOrNull(&out, "tls_subject", event.tls_subject);
  AppendStringOrNull(&out, "model", event.model);
  AppendNumberOrNull(&out, "old_version", event.old_version);
  AppendNumberOrNull(&out, "new_version", event.new_version);
  AppendNumberOrNull(&out, "expected_version", event.expected_version);
  AppendStringOrNull(&out, "mode", event.mode);
  AppendKey(&out, "parameters");
  out.push_back('[');
  for (size_t i = 0; i < event.parameters.size(); ++i) {
    const AuditEvent::Parameter& p = event.parameters[i];
    if (i > 0) out.push_back(',');
    out.append("{\"layer\":");
    AppendJsonString(&out, p.layer);
    out.append(",\"name\":");
    AppendJsonString(&out, p.name);
    out.append(",\"mode\":");
    AppendJsonString(&out, p.mode);
    out.push_back('}');
  }
  out.append("]}\n");
  return out;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path) {
  if (path.empty()) {
    return std::unique_ptr<AuditLog>(new AuditLog(STDERR_FILENO, false, ""));
  }
  const int fd =
      open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "--audit_log_file: cannot open '", path, "': ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(fd, true, path));
}

AuditLog::AuditLog(int fd, bool owned, std::string path)
    : fd_(fd), owned_(owned), path_(std::move(path)) {}

AuditLog::~AuditLog() {
  if (owned_) close(fd_);
}

void AuditLog::Write(const AuditEvent& event) {
  const std::string line = AuditJson(event);
  ssize_t written;
  do {
    written = ::write(fd_, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
  if (written == static_cast<ssize_t>(line.size())) return;
  write_failures_.fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "brainserve-server: AUDIT WRITE FAILED (%s): %s",
               path_.empty() ? "stderr" : path_.c_str(), line.c_str());
}

int64_t AuditLog::write_failures() const {
  return write_failures_.load(std::memory_order_relaxed);
}

}  // namespace brainserve::auth
