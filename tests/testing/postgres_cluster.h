// A throwaway PostgreSQL 15 cluster for tests: initdb in a fresh temporary
// directory, postgres on a free 127.0.0.1 port with trust authentication,
// stopped (and its directory removed) at destruction.
//
// PostgreSQL refuses to run as root, and CI runs as root: then initdb,
// pg_ctl and postgres run as the `postgres` system user (created by Debian's
// postgresql package) through runuser, and the directory is given to it.
// Binaries come from /usr/lib/postgresql/15/bin (or $BRAINSERVE_PG_BIN).
//
// Thread safety: none; one owner (the test).
#ifndef BRAINSERVE_TESTS_TESTING_POSTGRES_CLUSTER_H_
#define BRAINSERVE_TESTS_TESTING_POSTGRES_CLUSTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace brainserve::testing {

class PostgresCluster {
 public:
  // initdb + start + CREATE DATABASE brainserve. UNAVAILABLE (with the
  // server's log) if PostgreSQL is not installed or does not start.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> Start();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // libpq URI of the brainserve database, e.g.
  // postgresql://postgres@127.0.0.1:54321/brainserve
  std::string url() const;
  int port() const { return port_; }
  // Creates a fresh, empty database and returns its URI (one per test, so
  // tests never see each other's tables).
  absl::StatusOr<std::string> NewDatabase();

  // Stops the server (fast shutdown: open connections are dropped) and
  // starts it again on the same directory and port.
  absl::Status Stop();
  absl::Status Restart();
  // The server's log so far.
  std::string log() const;

 private:
  PostgresCluster(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  absl::Status RunPg(const std::string& tool, const std::string& args) const;

  const std::string dir_;
  const int port_;
  bool running_ = false;
  int databases_ = 0;
};

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_TESTING_POSTGRES_CLUSTER_H_
