#include "tests/testing/postgres_cluster.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace brainserve::testing {
namespace {

std::string PgBin() {
  const char* env = std::getenv("BRAINSERVE_PG_BIN");
  return env != nullptr ? env : "/usr/lib/postgresql/15/bin";
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// Runs `command` through the shell as the postgres user when we are root.
int Shell(const std::string& command) {
  const std::string wrapped =
      geteuid() == 0 ? absl::StrCat("runuser -u postgres -- sh -c '", command, "'")
                     : command;
  return std::system(wrapped.c_str());
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::Start() {
  if (access((PgBin() + "/initdb").c_str(), X_OK) != 0) {
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL is not installed (no ", PgBin(),
                     "/initdb); scripts/install-deps.sh installs it"));
  }
  std::string dir = absl::StrCat(::testing::TempDir(), "/pg-", getpid(), "-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  if (geteuid() == 0) {
    // The postgres user must reach the directory through the temp dir.
    const std::string chown = absl::StrCat("chown postgres: '", dir, "'");
    std::system(chown.c_str());
  }
  const int port = FreePort();
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster(dir, port));
  absl::Status status = cluster->RunPg(
      "initdb", absl::StrCat("-D ", dir, "/data -U postgres --auth=trust "
                             "--no-sync -E UTF8 --locale=C.UTF-8"));
  if (!status.ok()) return status;
  status = cluster->Restart();
  if (!status.ok()) return status;
  status = cluster->RunPg(
      "psql", absl::StrCat("-h 127.0.0.1 -p ", port,
                           " -U postgres -q -c \"CREATE DATABASE brainserve\""));
  if (!status.ok()) return status;
  return cluster;
}

PostgresCluster::~PostgresCluster() {
  if (running_) Stop().IgnoreError();
  const std::string rm = absl::StrCat("rm -rf '", dir_, "'");
  std::system(rm.c_str());
}

std::string PostgresCluster::url() const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/brainserve");
}

absl::StatusOr<std::string> PostgresCluster::NewDatabase() {
  const std::string name = absl::StrCat("test_", ++databases_);
  absl::Status status = RunPg(
      "psql", absl::StrCat("-h 127.0.0.1 -p ", port_,
                           " -U postgres -q -c \"CREATE DATABASE ", name, "\""));
  if (!status.ok()) return status;
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", name);
}

absl::Status PostgresCluster::RunPg(const std::string& tool,
                                    const std::string& args) const {
  const std::string command = absl::StrCat(
      PgBin(), "/", tool, " ", args, " >>", dir_, "/tools.log 2>&1");
  if (Shell(command) != 0) {
    return absl::UnavailableError(absl::StrCat(tool, " failed: ", command,
                                               "\n", log()));
  }
  return absl::OkStatus();
}

absl::Status PostgresCluster::Stop() {
  absl::Status status = RunPg("pg_ctl", absl::StrCat("-D ", dir_, "/data -m fast -w stop"));
  if (status.ok()) running_ = false;
  return status;
}

absl::Status PostgresCluster::Restart() {
  // fsync stays on: the tests also check durability across restarts.
  absl::Status status = RunPg(
      "pg_ctl",
      absl::StrCat("-D ", dir_, "/data -l ", dir_, "/server.log -w -t 60 -o \"-p ",
                   port_, " -c listen_addresses=127.0.0.1 -c unix_socket_directories=",
                   dir_, " -c max_connections=200\" start"));
  if (status.ok()) running_ = true;
  return status;
}

std::string PostgresCluster::log() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream text;
  text << in.rdbuf();
  std::ifstream tools(dir_ + "/tools.log");
  text << tools.rdbuf();
  return text.str();
}

}  // namespace brainserve::testing
