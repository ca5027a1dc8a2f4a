// Bad things on disk: every file the SQLite store cannot use is refused at
// open (or at load) with a precise code and a message naming the file.
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/sqlite_store.h"
#include "tests/store/store_test_util.h"

namespace brainserve::server::store {
namespace {

using ::brainserve::store_testing::BiasAdd;
using ::brainserve::store_testing::FreshDir;
using ::brainserve::store_testing::LinearParameters;
using ::brainserve::store_testing::LinearRequest;
using ::testing::HasSubstr;

// A store file holding `models` small models, closed cleanly (so the WAL is
// checkpointed into the main file).
std::string StoreWithModels(int models) {
  const std::string path = FreshDir() + "/state.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  const auto params = LinearParameters(1);
  for (int m = 0; m < models; ++m) {
    absl::StatusOr<ModelId> id = (*store)->CreateModel(
        LinearRequest("model-" + std::to_string(m)), 1, params.Refs());
    EXPECT_TRUE(id.ok()) << id.status();
    for (uint64_t v = 2; v < 12; ++v) {
      EXPECT_TRUE((*store)->AppendUpdate(*id, v, BiasAdd(v, true).Refs()).ok());
    }
  }
  return path;
}

// Open + LoadAll: where a damaged file must be caught at the latest.
absl::Status OpenAndLoad(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  if (!store.ok()) return store.status();
  return (*store)->LoadAll().status();
}

void RunSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(SqliteStoreFiles, GarbageIsDataLossNamingTheFile) {
  const std::string path = FreshDir() + "/state.db";
  std::ofstream(path) << std::string(8192, 'x');
  absl::Status status = OpenAndLoad(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path));
}

TEST(SqliteStoreFiles, TruncatedFileIsDataLossNamingTheFile) {
  const std::string path = StoreWithModels(40);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in.tellg();
  ASSERT_GT(size, 8 * 4096) << "the store should span many pages";
  ASSERT_EQ(truncate(path.c_str(), size / 2), 0);
  absl::Status status = OpenAndLoad(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path));
}

TEST(SqliteStoreFiles, OverwrittenTablePageIsDataLoss) {
  const std::string path = StoreWithModels(40);
  {
    // Page 2 is the root of the models table (created first): scribble over
    // its cell pointers.
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(4096 + 8);
    file << std::string(400, '\xA5');
  }
  absl::Status status = OpenAndLoad(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path));
}

TEST(SqliteStoreFiles, AFlippedBitInAStoredWeightIsDataLoss) {
  // SQLite's own checks cannot see this: the page is well-formed, one
  // weight's bytes changed. The per-blob CRC-32C does.
  const std::string path = FreshDir() + "/state.db";
  const auto params = LinearParameters(1234.5f);
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateModel(LinearRequest("m"), 1, params.Refs()).ok());
  }
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const float weight = 1234.5f;
  const size_t at =
      bytes.find(std::string(reinterpret_cast<const char*>(&weight), 4));
  ASSERT_NE(at, std::string::npos) << "the weight is stored as raw float32";
  {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>(at));
    file.put(static_cast<char>(bytes[at] ^ 0x01));
  }
  absl::Status status = OpenAndLoad(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path));
  EXPECT_THAT(status.message(), HasSubstr("fc/weight"));
  EXPECT_THAT(status.message(), HasSubstr("checksum"));
}

TEST(SqliteStoreFiles, NewerSchemaIsRefused) {
  const std::string path = StoreWithModels(1);
  RunSql(path, "PRAGMA user_version=99");
  absl::Status status = OpenAndLoad(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr(path));
  EXPECT_THAT(status.message(), HasSubstr("newer brainserve"));
}

TEST(SqliteStoreFiles, AnotherApplicationsDatabaseIsRefused) {
  const std::string path = FreshDir() + "/other.db";
  RunSql(path, "CREATE TABLE invoices(id INTEGER)");
  absl::Status status = OpenAndLoad(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("not a brainserve store"));
}

TEST(SqliteStoreFiles, ASecondOpenerIsRefusedWhileTheFirstHoldsTheFile) {
  const std::string path = FreshDir() + "/state.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> first = SqliteStore::Open(path);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<SqliteStore>> second = SqliteStore::Open(path);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr(path));
  first->reset();
  EXPECT_TRUE(SqliteStore::Open(path).ok()) << "free again once closed";
}

TEST(SqliteStoreFiles, UncreatableDirectoryIsUnavailableNamingIt) {
  const std::string file = FreshDir() + "/plain-file";
  std::ofstream(file) << "x";
  const std::string path = file + "/sub/state.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable)
      << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace brainserve::server::store
