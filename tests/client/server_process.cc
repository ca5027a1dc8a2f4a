#include "tests/client/server_process.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/client/subprocess.h"

namespace brainserve::client::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// The port from a complete ready file, or 0 if it is not there (yet).
int ReadyPort(const std::string& path) {
  const std::string json = ReadAll(path);
  google::protobuf::Struct ready;
  if (json.empty() ||
      !google::protobuf::util::JsonStringToMessage(json, &ready).ok()) {
    return 0;
  }
  auto it = ready.fields().find("grpc_port");
  if (it == ready.fields().end()) return 0;
  return static_cast<int>(it->second.number_value());
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& extra_flags,
    absl::Duration timeout) {
  std::string pattern =
      std::filesystem::path(::testing::TempDir()) / "brainserve-server-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  const std::string ready_path = pattern + "/ready.json";
  std::vector<std::string> argv = {
      binary, "--listen=127.0.0.1:0",
      "--metrics_listen=", "--ready_file=" + ready_path};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  absl::StatusOr<pid_t> pid = SpawnBackground(argv, pattern + "/server.log");
  if (!pid.ok()) return pid.status();
  std::unique_ptr<ServerProcess> server(new ServerProcess(*pid, pattern));

  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      return absl::FailedPreconditionError(absl::StrCat(
          "brainserve-server exited with code ", ExitCodeOf(status),
          " before it was ready; log:\n", server->log()));
    }
    server->grpc_port_ = ReadyPort(ready_path);
    if (server->grpc_port_ > 0) return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("brainserve-server not ready after ",
                   absl::FormatDuration(timeout), "; log:\n", server->log()));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

std::string ServerProcess::log() const { return ReadAll(dir_ + "/server.log"); }

absl::StatusOr<int> ServerProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return ExitCodeOf(status);
}

}  // namespace brainserve::client::testing
