// PostgresStore's read side: the model list, whole models (snapshot and
// log, in one repeatable-read transaction) and log tails, each tensor checked
// against its CRC-32C.
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/crc32c.h"
#include "server/store/float_blob.h"
#include "server/store/postgres_store.h"  // IWYU pragma: associated

namespace brainserve::server::store {
namespace {

// Reads the shape, data and crc in three consecutive columns of `row`.
absl::StatusOr<Tensor> ReadTensor(const PgResult& rows, int row,
                                  int shape_column, absl::string_view what) {
  absl::StatusOr<DecodedTensor> decoded = DecodeTensor(
      rows.Bytes(row, shape_column), rows.Bytes(row, shape_column + 1),
      rows.Int64(row, shape_column + 2), what);
  if (!decoded.ok()) return decoded.status();
  return Tensor{std::move(decoded->shape), std::move(decoded->data)};
}

}  // namespace

absl::StatusOr<std::vector<ModelHead>> PostgresStore::ListModels() {
  std::vector<ModelHead> heads;
  absl::Status status = Transaction([&](PgConnection& conn) -> absl::Status {
    absl::StatusOr<PgResult> rows = conn.Exec(
        "SELECT id, name, latest_version FROM brainserve_models WHERE NOT"
        " deleted ORDER BY name",
        PgParams(), "list the models");
    if (!rows.ok()) return rows.status();
    for (int r = 0; r < rows->rows(); ++r) {
      heads.push_back({rows->Int64(r, 0), std::string(rows->Bytes(r, 1)),
                       static_cast<uint64_t>(rows->Int64(r, 2))});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return heads;
}

absl::StatusOr<std::vector<StoredModel>> PostgresStore::LoadAll() {
  std::vector<StoredModel> models;
  // One REPEATABLE READ transaction: a consistent view of every model.
  absl::Status status = Transaction([&](PgConnection& conn) -> absl::Status {
    absl::Status s = conn.Run(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
    if (!s.ok()) return s;
    absl::StatusOr<PgResult> ids = conn.Exec(
        "SELECT id FROM brainserve_models WHERE NOT deleted ORDER BY name",
        PgParams(), "list the models");
    if (!ids.ok()) return ids.status();
    for (int r = 0; r < ids->rows(); ++r) {
      absl::StatusOr<StoredModel> model = LoadModelOn(conn, ids->Int64(r, 0));
      if (!model.ok()) return model.status();
      models.push_back(*std::move(model));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return models;
}

absl::StatusOr<StoredModel> PostgresStore::LoadModel(ModelId id) {
  StoredModel model;
  absl::Status status = Transaction([&](PgConnection& conn) -> absl::Status {
    absl::Status s = conn.Run(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
    if (!s.ok()) return s;
    absl::StatusOr<StoredModel> loaded = LoadModelOn(conn, id);
    if (!loaded.ok()) return loaded.status();
    model = *std::move(loaded);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return model;
}

absl::StatusOr<StoredModel> PostgresStore::LoadModelOn(PgConnection& conn,
                                                       ModelId id) {
  absl::StatusOr<PgResult> head = conn.Exec(
      "SELECT name, request, request_crc, snapshot_version, latest_version"
      " FROM brainserve_models WHERE id = $1 AND NOT deleted",
      PgParams().Int(id), "read the model");
  if (!head.ok()) return head.status();
  if (head->rows() == 0) {
    return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
  }
  const std::string name(head->Bytes(0, 0));
  const std::string where =
      absl::StrCat("store '", what_, "': model '", name, "'");
  StoredModel model;
  model.id = id;
  const absl::string_view request = head->Bytes(0, 1);
  if (Crc32c(request.data(), request.size()) !=
          static_cast<uint32_t>(head->Int64(0, 2)) ||
      !model.request.ParseFromArray(request.data(),
                                    static_cast<int>(request.size()))) {
    return absl::DataLossError(
        absl::StrCat(where, ": its CreateModelRequest is unreadable"));
  }
  model.snapshot.version = static_cast<uint64_t>(head->Int64(0, 3));
  const uint64_t latest = static_cast<uint64_t>(head->Int64(0, 4));
  absl::StatusOr<PgResult> params = conn.Exec(
      "SELECT layer, name, shape, data, crc FROM brainserve_snapshot_parameters"
      " WHERE model_id = $1 ORDER BY position",
      PgParams().Int(id), "read the snapshot");
  if (!params.ok()) return params.status();
  for (int r = 0; r < params->rows(); ++r) {
    StoredParameter p;
    p.layer = std::string(params->Bytes(r, 0));
    p.name = std::string(params->Bytes(r, 1));
    absl::StatusOr<Tensor> value = ReadTensor(
        *params, r, 2,
        absl::StrCat(where, ": snapshot parameter ", p.layer, "/", p.name));
    if (!value.ok()) return value.status();
    p.value = *std::move(value);
    model.snapshot.parameters.push_back(std::move(p));
  }
  absl::StatusOr<std::vector<LogEntry>> log =
      ReadLogOn(conn, id, model.snapshot.version, where);
  if (!log.ok()) return log.status();
  model.log = *std::move(log);
  const uint64_t reached =
      model.log.empty() ? model.snapshot.version : model.log.back().version;
  if (reached != latest) {
    return absl::DataLossError(absl::StrCat(where, ": the log ends at version ",
                                            reached, " but the model is at ",
                                            latest));
  }
  return model;
}

absl::StatusOr<std::vector<LogEntry>> PostgresStore::ReadLog(
    ModelId id, uint64_t after_version) {
  std::vector<LogEntry> log;
  absl::Status status = Transaction([&](PgConnection& conn) -> absl::Status {
    absl::Status s = conn.Run(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
    if (!s.ok()) return s;
    absl::StatusOr<PgResult> head = conn.Exec(
        "SELECT name, snapshot_version FROM brainserve_models WHERE id = $1"
        " AND NOT deleted",
        PgParams().Int(id), "read the model");
    if (!head.ok()) return head.status();
    if (head->rows() == 0) {
      return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
    }
    const uint64_t snapshot = static_cast<uint64_t>(head->Int64(0, 1));
    if (after_version < snapshot) {
      return absl::OutOfRangeError(
          absl::StrCat("store: the log before version ", snapshot,
                       " was folded into a snapshot; load the model again"));
    }
    absl::StatusOr<std::vector<LogEntry>> entries = ReadLogOn(
        conn, id, after_version,
        absl::StrCat("store '", what_, "': model '", head->Bytes(0, 0), "'"));
    if (!entries.ok()) return entries.status();
    log = *std::move(entries);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return log;
}

absl::StatusOr<std::vector<LogEntry>> PostgresStore::ReadLogOn(
    PgConnection& conn, ModelId id, uint64_t after_version,
    const std::string& where) {
  absl::StatusOr<PgResult> rows = conn.Exec(
      "SELECT version, layer, name, mode::bigint, shape, data, crc FROM"
      " brainserve_log_updates WHERE model_id = $1 AND version > $2 ORDER BY"
      " version, position",
      PgParams().Int(id).Int(static_cast<int64_t>(after_version)),
      "read the log");
  if (!rows.ok()) return rows.status();
  std::vector<LogEntry> log;
  for (int r = 0; r < rows->rows(); ++r) {
    const uint64_t version = static_cast<uint64_t>(rows->Int64(r, 0));
    if (log.empty() || log.back().version != version) {
      const uint64_t expected =
          log.empty() ? after_version + 1 : log.back().version + 1;
      if (version != expected) {
        return absl::DataLossError(
            absl::StrCat(where, ": the log jumps to version ", version,
                         " where ", expected, " was expected"));
      }
      log.push_back(LogEntry{version, {}});
    }
    StoredUpdate update;
    update.layer = std::string(rows->Bytes(r, 1));
    update.name = std::string(rows->Bytes(r, 2));
    update.mode =
        rows->Int64(r, 3) == 1 ? UpdateMode::kAdd : UpdateMode::kReplace;
    absl::StatusOr<Tensor> value =
        ReadTensor(*rows, r, 4,
                   absl::StrCat(where, ": update ", version, " of ",
                                update.layer, "/", update.name));
    if (!value.ok()) return value.status();
    update.value = *std::move(value);
    log.back().updates.push_back(std::move(update));
  }
  return log;
}

}  // namespace brainserve::server::store
