// The shared store (`--store=postgresql://...`): every replica of a
// deployment on one PostgreSQL database. PostgreSQL decides each model's
// next version: AppendUpdate locks the model's row and accepts only latest
// + 1, so two replicas can never both commit version v+1, and
// FAILED_PRECONDITION reports the cluster's latest version. Names are
// unique among live models cluster-wide (ALREADY_EXISTS); deleted models
// stay as tombstones so their ids are never reused.
//
// Every commit sends a NOTIFY on channel `brainserve` ("c ID", "u ID
// VERSION", "d ID", with the commit time) in its transaction, so it is
// delivered exactly when the change is visible. PgListener turns it into
// the change feed (Subscribe()).
//
// Tables (prefixed, so the database may be shared with other applications):
//   brainserve_schema(version)
//   brainserve_models(id bigserial, name, request bytea, request_crc,
//                     snapshot_version, latest_version, deleted, created_at)
//   brainserve_snapshot_parameters(model_id, position, layer, name, shape,
//                                  data bytea, crc)
//   brainserve_log_updates(model_id, version, position, layer, name, mode,
//                          shape, data bytea, crc)
// Blobs are the same little-endian float32 with CRC-32C as in the SQLite
// store. The schema is created at open (under an advisory lock, so replicas
// starting together do not race); a newer schema version is refused.
//
// Thread-safe: a pool of connections, one per concurrent call.
#ifndef BRAINSERVE_SERVER_STORE_POSTGRES_STORE_H_
#define BRAINSERVE_SERVER_STORE_POSTGRES_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "server/store/model_store.h"
#include "server/store/pg_connection.h"
#include "server/store/pg_listener.h"

namespace brainserve::server::store {

inline constexpr int kPostgresSchemaVersion = 1;

class PostgresStore final : public ModelStore {
 public:
  // Connects, creates or checks the schema. UNAVAILABLE if the database
  // cannot be reached; FAILED_PRECONDITION for a newer schema.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      const std::string& conninfo);
  ~PostgresStore() override;

  std::string Describe() const override { return what_; }
  absl::StatusOr<std::vector<StoredModel>> LoadAll() override;
  absl::StatusOr<ModelId> CreateModel(
      const v1::CreateModelRequest& request, uint64_t version,
      absl::Span<const ParameterRef> parameters) override;
  absl::Status DeleteModel(ModelId id) override;
  absl::Status AppendUpdate(ModelId id, uint64_t version,
                            absl::Span<const UpdateRef> updates) override;
  absl::StatusOr<LogSize> WriteSnapshot(
      ModelId id, uint64_t version,
      absl::Span<const ParameterRef> parameters) override;

  bool shared() const override { return true; }
  absl::Status Subscribe(StoreSubscriber* subscriber) override;
  void Unsubscribe() override;
  absl::StatusOr<std::vector<ModelHead>> ListModels() override;
  absl::StatusOr<StoredModel> LoadModel(ModelId id) override;
  absl::StatusOr<std::vector<LogEntry>> ReadLog(ModelId id,
                                                uint64_t after_version) override;

 private:
  PostgresStore(std::string conninfo, std::string what);

  // Runs `body` in a transaction on a pooled connection; commits if it
  // returns OK, rolls back otherwise.
  absl::Status Transaction(
      const std::function<absl::Status(PgConnection&)>& body);
  absl::Status InsertSnapshot(PgConnection& conn, ModelId id,
                              absl::Span<const ParameterRef> parameters);
  absl::StatusOr<StoredModel> LoadModelOn(PgConnection& conn, ModelId id);
  absl::StatusOr<std::vector<LogEntry>> ReadLogOn(PgConnection& conn,
                                                  ModelId id,
                                                  uint64_t after_version,
                                                  const std::string& where);

  const std::string conninfo_;
  const std::string what_;
  PgPool pool_;
  std::unique_ptr<PgListener> listener_;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_POSTGRES_STORE_H_
