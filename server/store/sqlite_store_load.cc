// SqliteStore's read side: every model with its snapshot and log, in one
// read transaction, each tensor checked against its CRC-32C.
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/float_blob.h"
#include "server/store/sqlite_store.h"  // IWYU pragma: associated

namespace brainserve::server::store {
namespace {

// Reads the shape, data and crc in three consecutive columns.
absl::StatusOr<Tensor> ReadTensor(const SqliteStatement& stmt, int shape_column,
                                  absl::string_view what) {
  absl::StatusOr<DecodedTensor> decoded = DecodeTensor(
      stmt.ColumnText(shape_column), stmt.ColumnBlob(shape_column + 1),
      stmt.ColumnInt(shape_column + 2), what);
  if (!decoded.ok()) return decoded.status();
  return Tensor{std::move(decoded->shape), std::move(decoded->data)};
}

}  // namespace

absl::StatusOr<std::vector<StoredModel>> SqliteStore::LoadAll() {
  std::vector<StoredModel> result;
  // Read inside one transaction (a consistent view), serialized with writes.
  absl::Status status = Write([&](SqliteDb& db) -> absl::Status {
    absl::StatusOr<std::unique_ptr<SqliteStatement>> models = db.Prepare(
        "SELECT id, name, request, snapshot_version, latest_version,"
        " request_crc FROM models ORDER BY name");
    if (!models.ok()) return models.status();
    while (true) {
      absl::StatusOr<bool> row = (*models)->Step("read the models");
      if (!row.ok()) return row.status();
      if (!*row) break;
      absl::Status checked = CheckCrc(
          (*models)->ColumnBlob(2), (*models)->ColumnInt(5),
          absl::StrCat("store '", db.path(), "': model '",
                       (*models)->ColumnText(1), "' CreateModelRequest"));
      if (!checked.ok()) return checked;
      absl::StatusOr<StoredModel> model =
          LoadModel(db, (*models)->ColumnInt(0), (*models)->ColumnText(1),
                    (*models)->ColumnBlob(2),
                    static_cast<uint64_t>((*models)->ColumnInt(3)),
                    static_cast<uint64_t>((*models)->ColumnInt(4)));
      if (!model.ok()) return model.status();
      result.push_back(*std::move(model));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<StoredModel> SqliteStore::LoadModel(SqliteDb& db, ModelId id,
                                                   const std::string& name,
                                                   absl::string_view request,
                                                   uint64_t snapshot_version,
                                                   uint64_t latest_version) {
  const std::string where =
      absl::StrCat("store '", db.path(), "': model '", name, "'");
  StoredModel model;
  model.id = id;
  if (!model.request.ParseFromArray(request.data(),
                                    static_cast<int>(request.size())) ||
      model.request.name() != name) {
    return absl::DataLossError(
        absl::StrCat(where, ": its CreateModelRequest is unreadable"));
  }
  model.snapshot.version = snapshot_version;
  absl::StatusOr<std::unique_ptr<SqliteStatement>> params = db.Prepare(
      "SELECT position, layer, name, shape, data, crc FROM snapshot_parameters"
      " WHERE model_id = ?1 ORDER BY position");
  if (!params.ok()) return params.status();
  (*params)->BindInt(1, id);
  while (true) {
    absl::StatusOr<bool> row = (*params)->Step("read a snapshot");
    if (!row.ok()) return row.status();
    if (!*row) break;
    StoredParameter p;
    p.layer = (*params)->ColumnText(1);
    p.name = (*params)->ColumnText(2);
    absl::StatusOr<Tensor> value = ReadTensor(
        **params, 3,
        absl::StrCat(where, ": snapshot parameter ", p.layer, "/", p.name));
    if (!value.ok()) return value.status();
    p.value = *std::move(value);
    model.snapshot.parameters.push_back(std::move(p));
  }
  absl::StatusOr<std::unique_ptr<SqliteStatement>> log = db.Prepare(
      "SELECT version, layer, name, mode, shape, data, crc FROM log_updates"
      " WHERE model_id = ?1 AND version > ?2 ORDER BY version, position");
  if (!log.ok()) return log.status();
  (*log)->BindInt(1, id);
  (*log)->BindInt(2, static_cast<int64_t>(snapshot_version));
  while (true) {
    absl::StatusOr<bool> row = (*log)->Step("read the log");
    if (!row.ok()) return row.status();
    if (!*row) break;
    const uint64_t version = static_cast<uint64_t>((*log)->ColumnInt(0));
    if (model.log.empty() || model.log.back().version != version) {
      const uint64_t expected = model.log.empty()
                                    ? snapshot_version + 1
                                    : model.log.back().version + 1;
      if (version != expected) {
        return absl::DataLossError(
            absl::StrCat(where, ": the log jumps to version ", version,
                         " where ", expected, " was expected"));
      }
      model.log.push_back(LogEntry{version, {}});
    }
    StoredUpdate update;
    update.layer = (*log)->ColumnText(1);
    update.name = (*log)->ColumnText(2);
    update.mode =
        (*log)->ColumnInt(3) == 1 ? UpdateMode::kAdd : UpdateMode::kReplace;
    absl::StatusOr<Tensor> value =
        ReadTensor(**log, 4,
                   absl::StrCat(where, ": update ", version, " of ",
                                update.layer, "/", update.name));
    if (!value.ok()) return value.status();
    update.value = *std::move(value);
    model.log.back().updates.push_back(std::move(update));
  }
  const uint64_t reached =
      model.log.empty() ? snapshot_version : model.log.back().version;
  if (reached != latest_version) {
    return absl::DataLossError(absl::StrCat(where, ": the log ends at version ",
                                            reached, " but the model is at ",
                                            latest_version));
  }
  return model;
}

}  // namespace brainserve::server::store
