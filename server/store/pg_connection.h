// A thin RAII layer over libpq for the PostgreSQL store: one connection
// (PgConnection), its results (PgResult, binary format), statement
// parameters (PgParams) and a small pool (PgPool). Every libpq failure
// becomes an absl::Status naming the store.
//
// Status mapping:
//   connection failures, SQLSTATE classes 08 (connection), 53 (insufficient
//   resources: disk full, too many connections), 57 (operator
//   intervention: shutdown, statement timeout), 40 (serialization,
//   deadlock)                                            -> UNAVAILABLE
//   23505 (unique violation)                             -> ALREADY_EXISTS
//   XX001, XX002 (data or index corrupted)               -> DATA_LOSS
//   everything else                                      -> INTERNAL
//
// Thread safety: a PgConnection is used by one thread at a time (the pool
// hands each out to one holder); PgPool is thread-safe.
#ifndef BRAINSERVE_SERVER_STORE_PG_CONNECTION_H_
#define BRAINSERVE_SERVER_STORE_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace brainserve::server::store {

// Statement parameters: integers and text as text, bytea as binary.
class PgParams {
 public:
  PgParams& Int(int64_t value);
  PgParams& Text(absl::string_view value);
  // Borrowed: `data` must outlive the statement.
  PgParams& Bytes(const void* data, size_t size);

  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::unique_ptr<std::string>> owned_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// A result in binary format. Columns must be bigint, integer, boolean,
// double precision, text or bytea (cast in SQL where needed).
class PgResult {
 public:
  explicit PgResult(PGresult* result);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  bool IsNull(int row, int column) const;
  int64_t Int64(int row, int column) const;  // bigint
  bool Bool(int row, int column) const;
  double Float64(int row, int column) const;  // double precision
  absl::string_view Bytes(int row, int column) const;  // text or bytea

 private:
  PGresult* result_;
};

class PgConnection {
 public:
  // `conninfo`: a libpq URI or key=value string; `what` names the store in
  // errors. Connects with `defaults` (libpq keywords such as
  // connect_timeout) unless `conninfo` sets them itself.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& conninfo, const std::string& what);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* raw() const { return conn_; }
  // Connected and not inside a transaction: ready for a new holder.
  bool healthy() const;
  bool connected() const;

  // Runs one statement; rows come back in binary format.
  absl::StatusOr<PgResult> Exec(absl::string_view sql, const PgParams& params,
                                absl::string_view what);
  // Runs statements without parameters or rows (several may be given).
  absl::Status Run(absl::string_view sql, absl::string_view what);

  // The Status for a failed result (or connection when `result` is null).
  absl::Status Error(const PGresult* result, absl::string_view what) const;

 private:
  PgConnection(PGconn* conn, std::string what)
      : conn_(conn), what_(std::move(what)) {}
  PGconn* const conn_;
  const std::string what_;
};

// Connections handed out one holder at a time; broken ones are dropped and
// replaced by new ones on the next Acquire().
class PgPool {
 public:
  PgPool(std::string conninfo, std::string what, int max_idle)
      : conninfo_(std::move(conninfo)), what_(std::move(what)),
        max_idle_(max_idle) {}

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() { pool_->Release(std::move(conn_)); }
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    PgConnection* operator->() const { return conn_.get(); }
    PgConnection& operator*() const { return *conn_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // UNAVAILABLE if a new connection is needed and cannot be made.
  absl::StatusOr<Lease> Acquire();

 private:
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string conninfo_;
  const std::string what_;
  const int max_idle_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
};

// "postgresql://HOST:PORT/DB" of `conninfo`, without user or password (for
// logs and errors).
std::string DescribePostgres(const std::string& conninfo);

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_PG_CONNECTION_H_
