#include "server/store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace brainserve::server::store {

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::BindInt(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

void SqliteStatement::BindText(int index, absl::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_STATIC);
}

void SqliteStatement::BindBlob(int index, const void* data, size_t size) {
  // A zero-length blob must not be bound as NULL (a null pointer would be).
  static const char kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, size == 0 ? &kEmpty : data, size,
                      SQLITE_STATIC);
}

absl::StatusOr<bool> SqliteStatement::Step(absl::string_view what) {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status error = db_->Error(rc, what);
  sqlite3_reset(stmt_);
  return error;
}

absl::Status SqliteStatement::Run(absl::string_view what) {
  absl::StatusOr<bool> row = Step(what);
  Reset();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::ColumnInt(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       sqlite3_column_bytes(stmt_, column));
}

absl::string_view SqliteStatement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? absl::string_view()
                         : absl::string_view(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  std::unique_ptr<SqliteDb> wrapped(new SqliteDb(path, db));
  if (rc != SQLITE_OK) return wrapped->Error(rc, "open");
  sqlite3_extended_result_codes(db, 1);
  return wrapped;
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

absl::Status SqliteDb::Exec(absl::string_view sql, absl::string_view what) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, what);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteDb::QueryText(absl::string_view sql,
                                                absl::string_view what) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step(what);
  if (!row.ok()) return row.status();
  if (!*row) return std::string();
  return (*stmt)->ColumnText(0);
}

absl::StatusOr<SqliteStatement*> SqliteDb::Cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  auto owned = std::make_unique<SqliteStatement>(this, stmt);
  SqliteStatement* raw = owned.get();
  cache_.emplace(sql, std::move(owned));
  return raw;
}

absl::StatusOr<std::unique_ptr<SqliteStatement>> SqliteDb::Prepare(
    absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()),
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  return std::make_unique<SqliteStatement>(this, stmt);
}

void SqliteDb::SetWalHook(std::function<void(int frames)> hook) {
  wal_hook_ = std::move(hook);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<SqliteDb*>(self)->wal_hook_(frames);
        return SQLITE_OK;
      },
      this);
}

bool SqliteDb::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

int64_t SqliteDb::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

bool SqliteDb::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

absl::Status SqliteDb::Error(int code, absl::string_view what) const {
  const char* detail =
      db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  const std::string message =
      absl::StrCat("store '", path_, "': ", what, ": ", detail, " (",
                   sqlite3_errstr(code), ", code ", code, ")");
  switch (code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace brainserve::server::store
