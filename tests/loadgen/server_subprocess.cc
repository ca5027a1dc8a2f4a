#include "tests/loadgen/server_subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Never outlive the test process, even if it is killed.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// Waits for `pid` up to `timeout`; returns true with *status when it exited.
bool WaitWithTimeout(pid_t pid, absl::Duration timeout, int* status) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (waitpid(pid, status, WNOHANG) == pid) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerSubprocess>> ServerSubprocess::Start(
    const std::string& binary, const std::string& models_file,
    const std::vector<std::string>& extra_args) {
  std::unique_ptr<ServerSubprocess> server(new ServerSubprocess());
  std::string tmpl = absl::StrCat(::testing::TempDir(), "/loadgen_srv_XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  server->temp_dir_ = tmpl;
  const std::string ready = absl::StrCat(tmpl, "/ready.json");
  std::vector<std::string> argv = {binary, "--listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0",
                                   absl::StrCat("--ready_file=", ready),
                                   absl::StrCat("--models_file=", models_file)};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  server->pid_ = Spawn(argv, absl::StrCat(tmpl, "/server.log"));
  if (server->pid_ < 0) return absl::InternalError("fork failed");
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "server exited during start-up; see ", tmpl, "/server.log"));
    }
    std::ifstream file(ready);
    if (file) {
      std::stringstream text;
      text << file.rdbuf();
      google::protobuf::Struct json;
      if (google::protobuf::util::JsonStringToMessage(text.str(), &json).ok() &&
          json.fields().count("grpc_port") &&
          json.fields().count("metrics_port")) {
        server->grpc_port_ =
            static_cast<int>(json.fields().at("grpc_port").number_value());
        server->metrics_port_ =
            static_cast<int>(json.fields().at("metrics_port").number_value());
        return server;
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("server did not become ready in 60 s");
}

ServerSubprocess::~ServerSubprocess() { Stop(); }

std::string ServerSubprocess::grpc_target() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

std::string ServerSubprocess::metrics_url() const {
  return absl::StrCat("http://127.0.0.1:", metrics_port_, "/metrics");
}

int ServerSubprocess::Stop() {
  if (pid_ < 0) return 0;
  int status = 0;
  kill(pid_, SIGTERM);
  if (!WaitWithTimeout(pid_, absl::Seconds(30), &status)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return status;
}

absl::StatusOr<int> RunToCompletion(const std::vector<std::string>& argv,
                                    const std::string& log_path,
                                    int timeout_s) {
  const pid_t pid = Spawn(argv, log_path);
  if (pid < 0) return absl::InternalError("fork failed");
  int status = 0;
  if (!WaitWithTimeout(pid, absl::Seconds(timeout_s), &status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish in ", timeout_s, " s"));
  }
  if (!WIFEXITED(status)) return absl::InternalError("child was killed");
  return WEXITSTATUS(status);
}

}  // namespace brainserve::loadgen::testing
