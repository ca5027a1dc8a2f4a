#include "server/store/postgres_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/crc32c.h"
#include "server/store/float_blob.h"

namespace brainserve::server::store {
namespace {

// Serializes schema creation across replicas starting at once.
constexpr int64_t kSchemaLockKey = 0x42525356;  // "BRSV"

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS brainserve_schema(version integer NOT NULL);
CREATE TABLE IF NOT EXISTS brainserve_models(
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  request bytea NOT NULL,
  request_crc bigint NOT NULL,
  snapshot_version bigint NOT NULL,
  latest_version bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS brainserve_models_live_name
  ON brainserve_models(name) WHERE NOT deleted;
CREATE TABLE IF NOT EXISTS brainserve_snapshot_parameters(
  model_id bigint NOT NULL REFERENCES brainserve_models(id),
  position integer NOT NULL,
  layer text NOT NULL,
  name text NOT NULL,
  shape text NOT NULL,
  data bytea NOT NULL,
  crc bigint NOT NULL,
  PRIMARY KEY(model_id, position)
);
CREATE TABLE IF NOT EXISTS brainserve_log_updates(
  model_id bigint NOT NULL REFERENCES brainserve_models(id),
  version bigint NOT NULL,
  position integer NOT NULL,
  layer text NOT NULL,
  name text NOT NULL,
  mode smallint NOT NULL,
  shape text NOT NULL,
  data bytea NOT NULL,
  crc bigint NOT NULL,
  PRIMARY KEY(model_id, version, position)
);
)sql";

// The NOTIFY of a change, sent inside its transaction.
std::string NotifySql(const std::string& payload) {
  return absl::StrCat(
      "SELECT pg_notify('", kNotifyChannel, "', '", payload,
      " ' || extract(epoch from clock_timestamp())::text)");
}

// Binds a float blob (little-endian) and its CRC-32C.
void AddFloats(PgParams& params, absl::Span<const float> values,
               std::string& scratch) {
  const void* data = values.data();
  const size_t size = values.size() * sizeof(float);
  if (!kHostIsLittleEndian) {
    scratch = FloatsToBlob(values);
    data = scratch.data();
  }
  params.Bytes(data, size).Int(Crc32c(data, size));
}

}  // namespace

PostgresStore::PostgresStore(std::string conninfo, std::string what)
    : conninfo_(std::move(conninfo)),
      what_(std::move(what)),
      pool_(conninfo_, what_, /*max_idle=*/8) {}

PostgresStore::~PostgresStore() { Unsubscribe(); }

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const std::string& conninfo) {
  std::unique_ptr<PostgresStore> store(
      new PostgresStore(conninfo, DescribePostgres(conninfo)));
  absl::Status status = store->Transaction([&](PgConnection& conn) -> absl::Status {
    absl::Status s = conn.Exec("SELECT pg_advisory_xact_lock($1)",
                               PgParams().Int(kSchemaLockKey), "lock the schema")
                         .status();
    if (s.ok()) s = conn.Run(kSchema, "create the schema");
    if (!s.ok()) return s;
    absl::StatusOr<PgResult> version = conn.Exec(
        "SELECT max(version)::bigint FROM brainserve_schema", PgParams(),
        "read the schema version");
    if (!version.ok()) return version.status();
    if (version->IsNull(0, 0)) {
      return conn.Exec("INSERT INTO brainserve_schema(version) VALUES($1)",
                       PgParams().Int(kPostgresSchemaVersion),
                       "write the schema version")
          .status();
    }
    if (version->Int64(0, 0) > kPostgresSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store '", store->what_, "': written by a newer brainserve (schema "
          "version ", version->Int64(0, 0), "; this binary reads up to ",
          kPostgresSchemaVersion, ")"));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return store;
}

absl::Status PostgresStore::Transaction(
    const std::function<absl::Status(PgConnection&)>& body) {
  absl::StatusOr<PgPool::Lease> conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  absl::Status status = (*conn)->Run("BEGIN", "begin");
  if (!status.ok() && !(*conn)->connected()) {
    // A pooled connection that the server dropped (a restart, an idle
    // timeout) fails its first statement; nothing was sent yet, so try
    // once more on a new connection.
    conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    status = (*conn)->Run("BEGIN", "begin");
  }
  if (!status.ok()) return status;
  status = body(**conn);
  if (status.ok()) return (*conn)->Run("COMMIT", "commit");
  (*conn)->Run("ROLLBACK", "rollback").IgnoreError();
  return status;
}

absl::Status PostgresStore::InsertSnapshot(
    PgConnection& conn, ModelId id, absl::Span<const ParameterRef> parameters) {
  std::string scratch;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const ParameterRef& p = parameters[i];
    PgParams params;
    params.Int(id).Int(static_cast<int64_t>(i)).Text(p.layer).Text(p.name).Text(
        ShapeToText(p.value.shape));
    AddFloats(params, p.value.data, scratch);
    absl::Status status =
        conn.Exec("INSERT INTO brainserve_snapshot_parameters(model_id, position,"
                  " layer, name, shape, data, crc) VALUES($1, $2, $3, $4, $5,"
                  " $6, $7)",
                  params, "write a snapshot parameter")
            .status();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelId> PostgresStore::CreateModel(
    const v1::CreateModelRequest& request, uint64_t version,
    absl::Span<const ParameterRef> parameters) {
  const std::string blob = request.SerializeAsString();
  ModelId id = 0;
  absl::Status status = Transaction([&](PgConnection& conn) -> absl::Status {
    PgParams params;
    params.Text(request.name())
        .Bytes(blob.data(), blob.size())
        .Int(Crc32c(blob.data(), blob.size()))
        .Int(static_cast<int64_t>(version));
    absl::StatusOr<PgResult> row = conn.Exec(
        "INSERT INTO brainserve_models(name, request, request_crc,"
        " snapshot_version, latest_version) VALUES($1, $2, $3, $4, $4)"
        " ON CONFLICT (name) WHERE NOT deleted DO NOTHING RETURNING id",
        params, "create the model");
    if (!row.ok()) return row.status();
    if (row->rows() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("model '", request.name(), "' already exists"));
    }
    id = row->Int64(0, 0);
    absl::Status inserted = InsertSnapshot(conn, id, parameters);
    if (!inserted.ok()) return inserted;
    return conn.Run(NotifySql(absl::StrCat("c ", id)), "notify");
  });
  if (!status.ok()) return status;
  return id;
}

absl::Status PostgresStore::DeleteModel(ModelId id) {
  return Transaction([&](PgConnection& conn) -> absl::Status {
    absl::StatusOr<PgResult> row = conn.Exec(
        "UPDATE brainserve_models SET deleted = true WHERE id = $1 AND NOT"
        " deleted RETURNING id",
        PgParams().Int(id), "delete the model");
    if (!row.ok()) return row.status();
    if (row->rows() == 0) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    for (const char* sql :
         {"DELETE FROM brainserve_log_updates WHERE model_id = $1",
          "DELETE FROM brainserve_snapshot_parameters WHERE model_id = $1"}) {
      absl::Status status = conn.Exec(sql, PgParams().Int(id), "delete the model").status();
      if (!status.ok()) return status;
    }
    return conn.Run(NotifySql(absl::StrCat("d ", id)), "notify");
  });
}

absl::Status PostgresStore::AppendUpdate(ModelId id, uint64_t version,
                                         absl::Span<const UpdateRef> updates) {
  return Transaction([&](PgConnection& conn) -> absl::Status {
    // The row lock orders concurrent writers of one model: the database,
    // not a replica, decides the next version.
    absl::StatusOr<PgResult> row = conn.Exec(
        "SELECT latest_version FROM brainserve_models WHERE id = $1 AND NOT"
        " deleted FOR UPDATE",
        PgParams().Int(id), "lock the model");
    if (!row.ok()) return row.status();
    if (row->rows() == 0) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    const uint64_t latest = static_cast<uint64_t>(row->Int64(0, 0));
    if (version != latest + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the cluster's latest version is ", latest, "; version ", version,
          " cannot follow it"));
    }
    std::string scratch;
    for (size_t i = 0; i < updates.size(); ++i) {
      const UpdateRef& u = updates[i];
      PgParams params;
      params.Int(id)
          .Int(static_cast<int64_t>(version))
          .Int(static_cast<int64_t>(i))
          .Text(u.layer)
          .Text(u.name)
          .Int(u.mode == UpdateMode::kAdd ? 1 : 0)
          .Text(ShapeToText(u.value.shape));
      AddFloats(params, u.value.data, scratch);
      absl::Status status =
          conn.Exec("INSERT INTO brainserve_log_updates(model_id, version,"
                    " position, layer, name, mode, shape, data, crc) VALUES($1,"
                    " $2, $3, $4, $5, $6, $7, $8, $9)",
                    params, "append the update")
              .status();
      if (!status.ok()) return status;
    }
    absl::Status status =
        conn.Exec("UPDATE brainserve_models SET latest_version = $2 WHERE id = $1",
                  PgParams().Int(id).Int(static_cast<int64_t>(version)),
                  "advance the model's version")
            .status();
    if (!status.ok()) return status;
    return conn.Run(NotifySql(absl::StrCat("u ", id, " ", version)), "notify");
  });
}

absl::StatusOr<LogSize> PostgresStore::WriteSnapshot(
    ModelId id, uint64_t snapshot_version,
    absl::Span<const ParameterRef> parameters) {
  const int64_t version = static_cast<int64_t>(snapshot_version);
  LogSize size;
  absl::Status status = Transaction([&](PgConnection& conn) -> absl::Status {
    // Concurrent snapshot writers (any replica may write one) serialize on
    // the row lock; an older snapshot never replaces a newer one.
    absl::StatusOr<PgResult> row = conn.Exec(
        "SELECT snapshot_version, latest_version FROM brainserve_models WHERE"
        " id = $1 AND NOT deleted FOR UPDATE",
        PgParams().Int(id), "lock the model");
    if (!row.ok()) return row.status();
    if (row->rows() == 0) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    const int64_t stored = row->Int64(0, 0), latest = row->Int64(0, 1);
    if (version > latest) {
      return absl::FailedPreconditionError(
          absl::StrCat("store: snapshot version ", version,
                       " is newer than the latest, ", latest));
    }
    if (version > stored) {
      absl::Status s = conn.Exec(
          "DELETE FROM brainserve_snapshot_parameters WHERE model_id = $1",
          PgParams().Int(id), "replace the snapshot").status();
      if (s.ok()) s = InsertSnapshot(conn, id, parameters);
      if (s.ok()) {
        s = conn.Exec("UPDATE brainserve_models SET snapshot_version = $2 WHERE id = $1",
                      PgParams().Int(id).Int(version), "record the snapshot").status();
      }
      if (s.ok()) {
        s = conn.Exec("DELETE FROM brainserve_log_updates WHERE model_id = $1 AND"
                      " version <= $2",
                      PgParams().Int(id).Int(version), "trim the log").status();
      }
      if (!s.ok()) return s;
    }
    absl::StatusOr<PgResult> rest = conn.Exec(
        "SELECT count(DISTINCT version)::bigint, coalesce(sum(length(data)),"
        " 0)::bigint FROM brainserve_log_updates WHERE model_id = $1 AND"
        " version > $2",
        PgParams().Int(id).Int(std::max(version, stored)), "measure the log");
    if (!rest.ok()) return rest.status();
    size.entries = rest->Int64(0, 0);
    size.bytes = rest->Int64(0, 1);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return size;
}

absl::Status PostgresStore::Subscribe(StoreSubscriber* subscriber) {
  listener_ = std::make_unique<PgListener>(conninfo_, what_, subscriber);
  return absl::OkStatus();
}

void PostgresStore::Unsubscribe() { listener_.reset(); }

}  // namespace brainserve::server::store
