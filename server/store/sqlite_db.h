// A thin RAII layer over the SQLite C API for the embedded store: one
// connection (SqliteDb) and its prepared statements (SqliteStatement), with
// every SQLite result code turned into an absl::Status that names the file.
//
// Status mapping (see model_store.h for what the server does with it):
//   SQLITE_FULL, SQLITE_IOERR*, SQLITE_READONLY*, SQLITE_BUSY, SQLITE_LOCKED,
//   SQLITE_CANTOPEN, SQLITE_PROTOCOL, SQLITE_PERM  -> UNAVAILABLE
//   SQLITE_CORRUPT*, SQLITE_NOTADB                  -> DATA_LOSS
//   everything else                                  -> INTERNAL
//
// Thread safety: none; the store serializes all use of one connection.
#ifndef BRAINSERVE_SERVER_STORE_SQLITE_DB_H_
#define BRAINSERVE_SERVER_STORE_SQLITE_DB_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace brainserve::server::store {

class SqliteDb;

// One prepared statement. Bind*() take 1-based parameter indexes; blobs and
// text are bound without a copy and must outlive the next Step()/Reset().
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void BindInt(int index, int64_t value);
  void BindText(int index, absl::string_view value);
  void BindBlob(int index, const void* data, size_t size);

  // true: a row is ready; false: done. Errors name `what`.
  absl::StatusOr<bool> Step(absl::string_view what);
  // Step() expecting no row (INSERT, UPDATE, DELETE).
  absl::Status Run(absl::string_view what);
  // Clears bindings and rewinds, so the statement can run again.
  void Reset();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  // Pointer valid until the next Step()/Reset().
  absl::string_view ColumnBlob(int column) const;

 private:
  SqliteDb* const db_;
  sqlite3_stmt* const stmt_;
};

class SqliteDb {
 public:
  // Opens (creating if missing) the database file `path`.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  const std::string& path() const { return path_; }

  // Runs SQL text without results (may hold several statements).
  absl::Status Exec(absl::string_view sql, absl::string_view what);
  // Runs a one-row, one-column query (a PRAGMA, a COUNT) as text.
  absl::StatusOr<std::string> QueryText(absl::string_view sql,
                                        absl::string_view what);
  // A statement prepared once and cached for the connection's life. Not
  // re-entrant: finish (Reset) it before preparing the same SQL again.
  absl::StatusOr<SqliteStatement*> Cached(const char* sql);
  // A statement for one use.
  absl::StatusOr<std::unique_ptr<SqliteStatement>> Prepare(
      absl::string_view sql);

  // Calls `hook` with the WAL's frame count after every commit on this
  // connection (sqlite3_wal_hook). `hook` must not use the connection.
  void SetWalHook(std::function<void(int frames)> hook);

  bool in_transaction() const;
  int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;
  bool read_only() const;

  // The Status for SQLite result `code` while doing `what`.
  absl::Status Error(int code, absl::string_view what) const;

 private:
  SqliteDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  const std::string path_;
  sqlite3* const db_;
  std::function<void(int)> wal_hook_;
  // Cached() statements, keyed by their SQL literal's address.
  std::map<const char*, std::unique_ptr<SqliteStatement>> cache_;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_SQLITE_DB_H_
