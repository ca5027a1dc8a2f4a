// A store that cannot write: a full disk or a file size limit fails
// updates with UNAVAILABLE while forwards go on, and the server recovers
// when space returns; a damaged or read-only store stops the server from
// starting. The brainserve-server binary on a real SQLite store.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/durability_util.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;
using Stub = v1::ModelService::Stub;

// A tmpfs of `megabytes` mounted on a fresh directory, unmounted at the end.
class Tmpfs {
 public:
  explicit Tmpfs(int megabytes) : dir_(FreshDir("tmpfs")) {
    const std::string options = absl::StrCat("size=", megabytes, "m");
    mounted_ = mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }
  bool Remount(unsigned long flags) {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | flags, nullptr) ==
           0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Fills the filesystem of `path` with a file of that name; returns bytes.
int64_t Fill(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::setvbuf(file, nullptr, _IONBF, 0);
  const std::string chunk(16 << 10, 'f');
  int64_t written = 0;
  while (std::fwrite(chunk.data(), 1, chunk.size(), file) == chunk.size()) {
    written += static_cast<int64_t>(chunk.size());
  }
  std::fclose(file);
  return written;
}

void ExpectForwardWorks(Stub& stub) {
  v1::ForwardRequest request;
  request.set_model("wide");
  *request.mutable_input() =
      ValuesTensor({1, 256}, std::vector<float>(256, 1.0f));
  v1::ForwardResponse response;
  grpc::Status status = Forward(stub, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

uint64_t VersionOf(Stub& stub, const std::string& model) {
  v1::GetModelRequest request;
  request.set_name(model);
  v1::ModelInfo info;
  EXPECT_TRUE(stub.GetModel(Context().get(), request, &info).ok());
  return info.version();
}

TEST(DurabilityTest, FullDiskFailsUpdatesWithUnavailableAndRecovers) {
  Tmpfs disk(8);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error()
                 << "); needs root or CAP_SYS_ADMIN";
  }
  auto server = StartServer({StoreFlag(disk.dir())});
  ASSERT_NE(server, nullptr);
  auto stub = StubFor(*server);
  ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kWide)).ok());
  const std::string filler = disk.dir() + "/filler";
  ASSERT_GT(Fill(filler), 0);

  grpc::Status status = Update(*stub, ReplaceWeight(0.5f));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(disk.dir() + "/state.db"));
  EXPECT_EQ(VersionOf(*stub, "wide"), 1u) << "nothing changed in memory";
  ExpectForwardWorks(*stub);
  EXPECT_GE(MetricValue(HttpGet(server->metrics_port(), "/metrics"),
                        "brainserve_store_commit_failures_total",
                        {{"operation", "append_update"}})
                .value_or(0),
            1);

  ASSERT_EQ(unlink(filler.c_str()), 0);  // space returns
  uint64_t version = 0;
  status = Update(*stub, ReplaceWeight(0.25f), &version);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(server->Stop(), 0);

  // What was acknowledged is on disk; a read-only store refuses to start.
  ASSERT_TRUE(disk.Remount(MS_RDONLY));
  absl::StatusOr<std::unique_ptr<ServerProcess>> refused =
      ServerProcess::Launch(BRAINSERVE_SERVER_BINARY, {StoreFlag(disk.dir())});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)->Wait(), 1);
  EXPECT_THAT((*refused)->log(), HasSubstr(disk.dir() + "/state.db"));
  ASSERT_TRUE(disk.Remount(0));
  server = StartServer({StoreFlag(disk.dir())});
  ASSERT_NE(server, nullptr);
  stub = StubFor(*server);
  EXPECT_EQ(VersionOf(*stub, "wide"), 2u);
}

TEST(DurabilityTest, FileSizeLimitFailsUpdatesWithUnavailableAndRecovers) {
  const std::string dir = FreshDir("fsize");
  auto server = StartServer({StoreFlag(dir)});
  ASSERT_NE(server, nullptr);
  auto stub = StubFor(*server);
  ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kWide)).ok());
  // No file of the server may grow any more (the 256 KiB weight must).
  const std::string pid = std::to_string(server->pid());
  absl::StatusOr<ProcessResult> limited =
      RunProcess({"/usr/bin/prlimit", "--pid", pid, "--fsize=65536:"});
  ASSERT_TRUE(limited.ok() && limited->exit_code == 0) << limited->err;

  grpc::Status status = Update(*stub, ReplaceWeight(0.5f));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_TRUE(server->Running()) << "SIGXFSZ must not kill the server";
  EXPECT_EQ(VersionOf(*stub, "wide"), 1u);
  ExpectForwardWorks(*stub);

  limited =
      RunProcess({"/usr/bin/prlimit", "--pid", pid, "--fsize=unlimited:"});
  ASSERT_TRUE(limited.ok() && limited->exit_code == 0) << limited->err;
  uint64_t version = 0;
  status = Update(*stub, ReplaceWeight(0.25f), &version);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(version, 2u);
}

// Starts a server on `dir`'s store, expecting it to refuse.
std::string RefusedStartLog(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> process =
      ServerProcess::Launch(BRAINSERVE_SERVER_BINARY, {StoreFlag(dir)});
  EXPECT_TRUE(process.ok());
  EXPECT_EQ((*process)->Wait(), 1) << (*process)->log();
  return (*process)->log();
}

TEST(DurabilityTest, ADamagedStoreFileStopsTheServerFromStarting) {
  const std::string dir = FreshDir("damaged");
  {
    auto server = StartServer({StoreFlag(dir)});
    ASSERT_NE(server, nullptr);
    auto stub = StubFor(*server);
    ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kLearner)).ok());
    EXPECT_EQ(server->Stop(), 0);
  }
  const std::string path = dir + "/state.db";
  {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(0);
    file << "this is not a database file at all";
  }
  const std::string log = RefusedStartLog(dir);
  EXPECT_THAT(log, HasSubstr(path));
  EXPECT_THAT(log, HasSubstr("not a database"));
}

}  // namespace
}  // namespace brainserve::testing
