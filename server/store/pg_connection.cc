#include "server/store/pg_connection.h"

#include <endian.h>
#include <libpq-fe.h>

#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace brainserve::server::store {

PgParams& PgParams::Int(int64_t value) {
  owned_.push_back(std::make_unique<std::string>(std::to_string(value)));
  values_.push_back(owned_.back()->c_str());
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Text(absl::string_view value) {
  owned_.push_back(std::make_unique<std::string>(value));
  values_.push_back(owned_.back()->c_str());
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Bytes(const void* data, size_t size) {
  static const char kEmpty = 0;
  values_.push_back(size == 0 ? &kEmpty : static_cast<const char*>(data));
  lengths_.push_back(static_cast<int>(size));
  formats_.push_back(1);
  return *this;
}

PgResult::PgResult(PGresult* result) : result_(result) {}
PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) {
  other.result_ = nullptr;
}

int PgResult::rows() const { return PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) == 1;
}

int64_t PgResult::Int64(int row, int column) const {
  const char* value = PQgetvalue(result_, row, column);
  const int length = PQgetlength(result_, row, column);
  if (length == 8) {
    uint64_t raw;
    std::memcpy(&raw, value, 8);
    return static_cast<int64_t>(be64toh(raw));
  }
  if (length == 4) {
    uint32_t raw;
    std::memcpy(&raw, value, 4);
    return static_cast<int32_t>(be32toh(raw));
  }
  return 0;
}

bool PgResult::Bool(int row, int column) const {
  return PQgetlength(result_, row, column) == 1 &&
         PQgetvalue(result_, row, column)[0] != 0;
}

double PgResult::Float64(int row, int column) const {
  if (PQgetlength(result_, row, column) != 8) return 0;
  uint64_t raw;
  std::memcpy(&raw, PQgetvalue(result_, row, column), 8);
  raw = be64toh(raw);
  double value;
  std::memcpy(&value, &raw, 8);
  return value;
}

absl::string_view PgResult::Bytes(int row, int column) const {
  return absl::string_view(PQgetvalue(result_, row, column),
                           static_cast<size_t>(PQgetlength(result_, row, column)));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo, const std::string& what) {
  // Defaults first: the expanded conninfo (dbname) overrides them. A dead
  // server must fail a change within seconds, not hang it.
  const char* keywords[] = {"connect_timeout", "application_name", "keepalives",
                            "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout", "options",
                            "dbname", nullptr};
  const char* values[] = {"3", "brainserve", "1", "10", "5", "3", "10000",
                          "-c statement_timeout=30000 -c lock_timeout=10000",
                          conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  std::unique_ptr<PgConnection> wrapped(new PgConnection(conn, what));
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    return wrapped->Error(nullptr, "connect");
  }
  return wrapped;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool PgConnection::healthy() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PgConnection::connected() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

absl::StatusOr<PgResult> PgConnection::Exec(absl::string_view sql,
                                            const PgParams& params,
                                            absl::string_view what) {
  const std::string text(sql);
  PGresult* result = PQexecParams(conn_, text.c_str(), params.size(), nullptr,
                                  params.values(), params.lengths(),
                                  params.formats(), /*resultFormat=*/1);
  const ExecStatusType status =
      result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    absl::Status error = Error(result, what);
    if (result != nullptr) PQclear(result);
    return error;
  }
  return PgResult(result);
}

absl::Status PgConnection::Run(absl::string_view sql, absl::string_view what) {
  // The simple protocol: several statements may go in one string.
  const std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  const ExecStatusType status =
      result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  absl::Status error;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    error = Error(result, what);
  }
  if (result != nullptr) PQclear(result);
  return error;
}

absl::Status PgConnection::Error(const PGresult* result,
                                 absl::string_view what) const {
  std::string detail = result != nullptr ? PQresultErrorMessage(result) : "";
  if (detail.empty() && conn_ != nullptr) detail = PQerrorMessage(conn_);
  if (detail.empty()) detail = "out of memory";
  const std::string message = absl::StrCat(
      "store '", what_, "': ", what, ": ",
      absl::StripTrailingAsciiWhitespace(detail));
  const char* state =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK || sqlstate.empty() ||
      absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "53") ||
      absl::StartsWith(sqlstate, "57") || absl::StartsWith(sqlstate, "40")) {
    return absl::UnavailableError(message);
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (sqlstate == "XX001" || sqlstate == "XX002") {
    return absl::DataLossError(message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->healthy()) return Lease(this, std::move(conn));
    }
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> conn =
      PgConnection::Connect(conninfo_, what_);
  if (!conn.ok()) return conn.status();
  return Lease(this, *std::move(conn));
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  if (conn == nullptr) return;
  if (!conn->healthy()) {
    // A transaction left open by an error path is rolled back; a broken
    // connection is dropped.
    if (PQstatus(conn->raw()) == CONNECTION_OK) {
      conn->Run("ROLLBACK", "rollback").IgnoreError();
    }
    if (!conn->healthy()) return;
  }
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(idle_.size()) < max_idle_) idle_.push_back(std::move(conn));
}

std::string DescribePostgres(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return "postgresql";
  }
  std::string host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
    if (std::strcmp(o->keyword, "dbname") == 0) dbname = o->val;
  }
  PQconninfoFree(options);
  return absl::StrCat("postgresql://", host, port.empty() ? "" : ":", port, "/",
                      dbname);
}

}  // namespace brainserve::server::store
