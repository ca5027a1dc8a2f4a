#include "server/store/sqlite_store.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/crc32c.h"
#include "server/store/float_blob.h"

namespace brainserve::server::store {
namespace {

// "BRSV": marks the file as a brainserve store (PRAGMA application_id).
constexpr int64_t kApplicationId = 0x42525356;

constexpr char kSchema[] = R"sql(
CREATE TABLE models(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  request BLOB NOT NULL,
  request_crc INTEGER NOT NULL,
  snapshot_version INTEGER NOT NULL,
  latest_version INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE snapshot_parameters(
  model_id INTEGER NOT NULL REFERENCES models(id),
  position INTEGER NOT NULL,
  layer TEXT NOT NULL,
  name TEXT NOT NULL,
  shape TEXT NOT NULL,
  data BLOB NOT NULL,
  crc INTEGER NOT NULL,
  PRIMARY KEY(model_id, position)
);
CREATE TABLE log_updates(
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  position INTEGER NOT NULL,
  layer TEXT NOT NULL,
  name TEXT NOT NULL,
  mode INTEGER NOT NULL,
  shape TEXT NOT NULL,
  data BLOB NOT NULL,
  crc INTEGER NOT NULL,
  PRIMARY KEY(model_id, version, position)
);
)sql";

// Binds a float vector as a little-endian blob at `index` and its CRC-32C
// at `index + 1`; `scratch` keeps the big-endian copy alive until the
// statement runs.
void BindFloats(SqliteStatement& stmt, int index,
                absl::Span<const float> values, std::string& scratch) {
  const void* data = values.data();
  const size_t size = values.size() * sizeof(float);
  if (!kHostIsLittleEndian) {
    scratch = FloatsToBlob(values);
    data = scratch.data();
  }
  stmt.BindBlob(index, data, size);
  stmt.BindInt(index + 1, Crc32c(data, size));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("store '", path, "': cannot create directory '",
                       dir.string(), "': ", error.message()));
    }
  }
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      FileLock::Acquire(path + ".lock", path);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(*std::move(lock), *std::move(db)));
  absl::Status status = store->Initialize();
  if (!status.ok()) return status;
  // 1024 frames of 4 KiB: checkpoint once the WAL holds about 4 MiB.
  absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> checkpointer =
      SqliteCheckpointer::Start(path, /*min_wal_frames=*/1024);
  if (!checkpointer.ok()) return checkpointer.status();
  store->checkpointer_ = *std::move(checkpointer);
  SqliteCheckpointer* raw = store->checkpointer_.get();
  store->db_->SetWalHook([raw](int frames) { raw->WalGrew(frames); });
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<FileLock> lock,
                         std::unique_ptr<SqliteDb> db)
    : lock_(std::move(lock)), db_(std::move(db)) {
  SqliteDb* raw = db_.get();
  GroupCommitHooks hooks;
  hooks.begin = [raw] { return raw->Exec("BEGIN IMMEDIATE", "begin"); };
  hooks.commit = [raw]() -> absl::Status {
    // An I/O error inside an op may have made SQLite roll the whole
    // transaction back; then nothing of this group may be acknowledged.
    if (!raw->in_transaction()) {
      return absl::UnavailableError(absl::StrCat(
          "store '", raw->path(),
          "': the transaction was rolled back after a write error"));
    }
    return raw->Exec("COMMIT", "commit");
  };
  hooks.rollback = [raw] {
    if (raw->in_transaction()) raw->Exec("ROLLBACK", "rollback").IgnoreError();
  };
  hooks.savepoint = [raw]() -> absl::Status {
    if (!raw->in_transaction()) {
      return absl::UnavailableError(absl::StrCat(
          "store '", raw->path(),
          "': the transaction was rolled back after a write error"));
    }
    return raw->Exec("SAVEPOINT op", "savepoint");
  };
  hooks.release = [raw] { return raw->Exec("RELEASE op", "release"); };
  hooks.rollback_to_savepoint = [raw] {
    if (!raw->in_transaction()) return;
    raw->Exec("ROLLBACK TO op; RELEASE op", "rollback to savepoint")
        .IgnoreError();
  };
  group_ = std::make_unique<GroupCommit>(std::move(hooks));
}

std::string SqliteStore::Describe() const {
  return absl::StrCat("sqlite:", db_->path());
}

absl::Status SqliteStore::Initialize() {
  SqliteDb& db = *db_;
  const std::string& path = db.path();
  absl::Status status = db.Exec("PRAGMA busy_timeout=1000", "configure");
  if (!status.ok()) return status;
  absl::StatusOr<std::string> mode =
      db.QueryText("PRAGMA journal_mode=WAL", "enable WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return absl::UnavailableError(absl::StrCat(
        "store '", path, "': cannot enable WAL mode (got '", *mode, "')"));
  }
  status = db.Exec(
      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
      "PRAGMA journal_size_limit=67108864; PRAGMA wal_autocheckpoint=0;",
      "configure");
  if (!status.ok()) return status;
  if (db.read_only()) {
    return absl::UnavailableError(
        absl::StrCat("store '", path, "': the file is read-only"));
  }
  absl::StatusOr<std::string> app_id =
      db.QueryText("PRAGMA application_id", "read the application id");
  if (!app_id.ok()) return app_id.status();
  absl::StatusOr<std::string> user_version =
      db.QueryText("PRAGMA user_version", "read the schema version");
  if (!user_version.ok()) return user_version.status();
  absl::StatusOr<std::string> tables = db.QueryText(
      "SELECT count(*) FROM sqlite_master", "read the schema");
  if (!tables.ok()) return tables.status();
  const bool empty = *tables == "0";
  const int64_t schema = std::stoll(*user_version);
  if (*app_id != std::to_string(kApplicationId) && !(empty && *app_id == "0")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store '", path, "': not a brainserve store (application_id ", *app_id,
        ")"));
  }
  if (schema > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store '", path, "': written by a newer brainserve (schema version ",
        schema, "; this binary reads up to ", kSqliteSchemaVersion, ")"));
  }
  // On a new file, create the schema in one transaction.
  status = db.Exec("BEGIN IMMEDIATE", "begin");
  if (!status.ok()) return status;
  if (empty) {
    status = db.Exec(kSchema, "create the schema");
    if (status.ok()) {
      status = db.Exec(absl::StrCat("PRAGMA application_id=", kApplicationId,
                                    "; PRAGMA user_version=",
                                    kSqliteSchemaVersion, ";"),
                       "write the schema version");
    }
  }
  if (status.ok()) status = db.Exec("COMMIT", "commit the schema");
  if (!status.ok()) {
    if (db.in_transaction()) db.Exec("ROLLBACK", "rollback").IgnoreError();
    return status;
  }
  if (!empty) {
    absl::StatusOr<std::string> check =
        db.QueryText("PRAGMA quick_check", "check integrity");
    if (!check.ok()) return check.status();
    if (*check != "ok") {
      return absl::DataLossError(absl::StrCat(
          "store '", path, "': integrity check failed: ", *check));
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Write(
    const std::function<absl::Status(SqliteDb&)>& op) {
  // The group leader runs every op of its group on the connection.
  return group_->Run([this, &op] { return op(*db_); });
}

absl::Status SqliteStore::InsertSnapshot(
    SqliteDb& db, ModelId id, absl::Span<const ParameterRef> parameters) {
  absl::StatusOr<SqliteStatement*> insert = db.Cached(
      "INSERT INTO snapshot_parameters(model_id, position, layer, name, shape,"
      " data, crc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) return insert.status();
  std::string scratch;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const ParameterRef& p = parameters[i];
    const std::string shape = ShapeToText(p.value.shape);
    (*insert)->BindInt(1, id);
    (*insert)->BindInt(2, static_cast<int64_t>(i));
    (*insert)->BindText(3, p.layer);
    (*insert)->BindText(4, p.name);
    (*insert)->BindText(5, shape);
    BindFloats(**insert, 6, p.value.data, scratch);
    absl::Status status = (*insert)->Run("write a snapshot parameter");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelId> SqliteStore::CreateModel(
    const v1::CreateModelRequest& request, uint64_t version,
    absl::Span<const ParameterRef> parameters) {
  const std::string blob = request.SerializeAsString();
  ModelId id = 0;
  absl::Status status = Write([&](SqliteDb& db) -> absl::Status {
    absl::StatusOr<SqliteStatement*> find =
        db.Cached("SELECT id FROM models WHERE name = ?1");
    if (!find.ok()) return find.status();
    (*find)->BindText(1, request.name());
    absl::StatusOr<bool> found = (*find)->Step("look up the model");
    (*find)->Reset();
    if (!found.ok()) return found.status();
    if (*found) {
      return absl::AlreadyExistsError(
          absl::StrCat("model '", request.name(), "' already exists"));
    }
    absl::StatusOr<SqliteStatement*> insert = db.Cached(
        "INSERT INTO models(name, request, request_crc, snapshot_version,"
        " latest_version) VALUES(?1, ?2, ?3, ?4, ?4)");
    if (!insert.ok()) return insert.status();
    (*insert)->BindText(1, request.name());
    (*insert)->BindBlob(2, blob.data(), blob.size());
    (*insert)->BindInt(3, Crc32c(blob.data(), blob.size()));
    (*insert)->BindInt(4, static_cast<int64_t>(version));
    absl::Status inserted = (*insert)->Run("create the model");
    if (!inserted.ok()) return inserted;
    id = db.last_insert_rowid();
    return InsertSnapshot(db, id, parameters);
  });
  if (!status.ok()) return status;
  return id;
}

absl::Status SqliteStore::DeleteModel(ModelId id) {
  return Write([&](SqliteDb& db) -> absl::Status {
    for (const char* sql : {"DELETE FROM log_updates WHERE model_id = ?1",
                            "DELETE FROM snapshot_parameters WHERE model_id = ?1",
                            "DELETE FROM models WHERE id = ?1"}) {
      absl::StatusOr<SqliteStatement*> stmt = db.Cached(sql);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, id);
      absl::Status status = (*stmt)->Run("delete the model");
      if (!status.ok()) return status;
    }
    if (db.changes() == 0) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::AppendUpdate(ModelId id, uint64_t version,
                                       absl::Span<const UpdateRef> updates) {
  return Write([&](SqliteDb& db) -> absl::Status {
    absl::StatusOr<SqliteStatement*> latest =
        db.Cached("SELECT latest_version FROM models WHERE id = ?1");
    if (!latest.ok()) return latest.status();
    (*latest)->BindInt(1, id);
    absl::StatusOr<bool> found = (*latest)->Step("read the model's version");
    const int64_t stored = (found.ok() && *found) ? (*latest)->ColumnInt(0) : 0;
    (*latest)->Reset();
    if (!found.ok()) return found.status();
    if (!*found) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    if (version != static_cast<uint64_t>(stored) + 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("store: version ", version,
                       " does not follow the latest, ", stored));
    }
    absl::StatusOr<SqliteStatement*> insert = db.Cached(
        "INSERT INTO log_updates(model_id, version, position, layer, name,"
        " mode, shape, data, crc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!insert.ok()) return insert.status();
    std::string scratch;
    for (size_t i = 0; i < updates.size(); ++i) {
      const UpdateRef& update = updates[i];
      const std::string shape = ShapeToText(update.value.shape);
      (*insert)->BindInt(1, id);
      (*insert)->BindInt(2, static_cast<int64_t>(version));
      (*insert)->BindInt(3, static_cast<int64_t>(i));
      (*insert)->BindText(4, update.layer);
      (*insert)->BindText(5, update.name);
      (*insert)->BindInt(6, update.mode == UpdateMode::kAdd ? 1 : 0);
      (*insert)->BindText(7, shape);
      BindFloats(**insert, 8, update.value.data, scratch);
      absl::Status status = (*insert)->Run("append the update");
      if (!status.ok()) return status;
    }
    absl::StatusOr<SqliteStatement*> bump =
        db.Cached("UPDATE models SET latest_version = ?2 WHERE id = ?1");
    if (!bump.ok()) return bump.status();
    (*bump)->BindInt(1, id);
    (*bump)->BindInt(2, static_cast<int64_t>(version));
    return (*bump)->Run("advance the model's version");
  });
}

absl::StatusOr<LogSize> SqliteStore::WriteSnapshot(
    ModelId id, uint64_t snapshot_version,
    absl::Span<const ParameterRef> parameters) {
  const int64_t version = static_cast<int64_t>(snapshot_version);
  // 1. The snapshot itself, in one transaction: from its commit on, a
  //    restart starts from it and ignores the log entries it covers.
  absl::Status status = Write([&](SqliteDb& db) -> absl::Status {
    absl::StatusOr<SqliteStatement*> versions = db.Cached(
        "SELECT snapshot_version, latest_version FROM models WHERE id = ?1");
    if (!versions.ok()) return versions.status();
    (*versions)->BindInt(1, id);
    absl::StatusOr<bool> found = (*versions)->Step("read the model's versions");
    int64_t stored = 0, latest = 0;
    if (found.ok() && *found) {
      stored = (*versions)->ColumnInt(0);
      latest = (*versions)->ColumnInt(1);
    }
    (*versions)->Reset();
    if (!found.ok()) return found.status();
    if (!*found) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    if (version > latest) {
      return absl::FailedPreconditionError(
          absl::StrCat("store: snapshot version ", version,
                       " is newer than the latest, ", latest));
    }
    if (version <= stored) return absl::OkStatus();  // nothing newer
    absl::StatusOr<SqliteStatement*> drop =
        db.Cached("DELETE FROM snapshot_parameters WHERE model_id = ?1");
    if (!drop.ok()) return drop.status();
    (*drop)->BindInt(1, id);
    absl::Status replaced = (*drop)->Run("replace the snapshot");
    if (replaced.ok()) replaced = InsertSnapshot(db, id, parameters);
    if (!replaced.ok()) return replaced;
    absl::StatusOr<SqliteStatement*> mark = db.Cached(
        "UPDATE models SET snapshot_version = ?2 WHERE id = ?1");
    if (!mark.ok()) return mark.status();
    (*mark)->BindInt(1, id);
    (*mark)->BindInt(2, version);
    return (*mark)->Run("record the snapshot's version");
  });
  if (!status.ok()) return status;
  // 2. The covered entries go in small transactions, so appends (of this
  //    and other models) interleave instead of waiting behind one big
  //    delete. An interrupted trim leaves entries a restart ignores.
  bool more = true;
  while (more) {
    status = Write([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<SqliteStatement*> trim = db.Cached(
          "DELETE FROM log_updates WHERE rowid IN (SELECT rowid FROM"
          " log_updates WHERE model_id = ?1 AND version <= ?2 LIMIT 64)");
      if (!trim.ok()) return trim.status();
      (*trim)->BindInt(1, id);
      (*trim)->BindInt(2, version);
      absl::Status trimmed = (*trim)->Run("trim the log");
      if (!trimmed.ok()) return trimmed;
      more = db.changes() > 0;
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
  }
  LogSize size;
  status = Write([&](SqliteDb& db) -> absl::Status {
    absl::StatusOr<SqliteStatement*> rest = db.Cached(
        "SELECT count(DISTINCT version), coalesce(sum(length(data)), 0)"
        " FROM log_updates WHERE model_id = ?1 AND version > ?2");
    if (!rest.ok()) return rest.status();
    (*rest)->BindInt(1, id);
    (*rest)->BindInt(2, version);
    absl::StatusOr<bool> row = (*rest)->Step("measure the log");
    if (row.ok() && *row) {
      size.entries = (*rest)->ColumnInt(0);
      size.bytes = (*rest)->ColumnInt(1);
    }
    (*rest)->Reset();
    return row.status();
  });
  if (!status.ok()) return status;
  return size;
}

}  // namespace brainserve::server::store
