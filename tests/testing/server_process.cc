#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

extern char** environ;

namespace brainserve::testing {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> BuildEnvironment(
    const std::vector<std::string>& changes) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) env[text.substr(0, equals)] = text;
  }
  for (const std::string& change : changes) {
    const size_t equals = change.find('=');
    if (equals == std::string::npos) {
      env.erase(change);
    } else {
      env[change.substr(0, equals)] = change;
    }
  }
  std::vector<std::string> out;
  for (const auto& [key, entry] : env) out.push_back(entry);
  return out;
}

// Starts `argv` with stdin from /dev/null and stdout and stderr written to
// `log_path` (truncated). The child gets SIGTERM when the calling thread
// exits. Only async-signal-safe calls run between fork() and execv().
absl::StatusOr<pid_t> SpawnToLog(const std::vector<std::string>& argv,
                                 const std::string& log_path) {
  std::vector<std::string> args = argv;
  std::vector<char*> c_args = CStrings(args);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid > 0) return pid;
  // Never outlive the test process, even if it is killed.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    if (null_fd != STDIN_FILENO) close(null_fd);
  }
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd != STDOUT_FILENO && fd != STDERR_FILENO) close(fd);
  }
  execv(c_args[0], c_args.data());
  _exit(127);
}

// Waits for `pid` up to `timeout`; true with *status once it has exited.
bool WaitWithTimeout(pid_t pid, absl::Duration timeout, int* status) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const pid_t reaped = waitpid(pid, status, WNOHANG);
    if (reaped == pid) return true;
    if (reaped < 0 && errno != EINTR) return false;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

bool HasFlag(const std::vector<std::string>& flags, const std::string& name) {
  for (const std::string& flag : flags) {
    if (flag == "--" + name || absl::StartsWith(flag, "--" + name + "=")) {
      return true;
    }
  }
  return false;
}

}  // namespace

ServerProcess::ServerProcess(pid_t pid, std::string dir)
    : pid_(pid), dir_(std::move(dir)) {}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Launch(
    const std::string& binary, const std::vector<std::string>& extra_flags) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/brainserve-server-",
                                 getpid(), "-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) return Errno("mkdtemp");
  std::vector<std::string> argv = {binary,
                                   "--ready_file=" + dir + "/ready.json"};
  if (!HasFlag(extra_flags, "listen")) argv.push_back("--listen=127.0.0.1:0");
  if (!HasFlag(extra_flags, "metrics_listen")) {
    argv.push_back("--metrics_listen=127.0.0.1:0");
  }
  if (!HasFlag(extra_flags, "http_listen")) {
    argv.push_back("--http_listen=127.0.0.1:0");
  }
  // Each server its own fresh embedded store (the real default kind), so no
  // state leaks between tests through the working directory.
  if (!HasFlag(extra_flags, "store")) {
    argv.push_back("--store=sqlite:" + dir + "/state.db");
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  absl::StatusOr<pid_t> pid = SpawnToLog(argv, dir + "/server.log");
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<ServerProcess>(new ServerProcess(*pid, dir));
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& extra_flags,
    absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      Launch(binary, extra_flags);
  if (!server.ok()) return server.status();
  absl::Status ready = (*server)->WaitReady(timeout);
  if (!ready.ok()) return ready;
  return server;
}

absl::Status ServerProcess::WaitReady(absl::Duration timeout) {
  const std::string ready_path = dir_ + "/ready.json";
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    // The server writes the file atomically (temp file + rename), but a
    // partial or unparsable file is simply retried.
    google::protobuf::Struct ready;
    const std::string json = ReadAll(ready_path);
    if (!json.empty() &&
        google::protobuf::util::JsonStringToMessage(json, &ready).ok()) {
      const auto& fields = ready.fields();
      auto grpc = fields.find("grpc_port");
      auto metrics = fields.find("metrics_port");
      auto health = fields.find("health_port");
      auto http = fields.find("http_port");
      if (grpc != fields.end() && grpc->second.number_value() > 0) {
        grpc_port_ = static_cast<int>(grpc->second.number_value());
        metrics_port_ = metrics == fields.end()
                            ? 0
                            : static_cast<int>(metrics->second.number_value());
        health_port_ = health == fields.end()
                           ? 0
                           : static_cast<int>(health->second.number_value());
        http_port_ = http == fields.end()
                         ? 0
                         : static_cast<int>(http->second.number_value());
        return absl::OkStatus();
      }
    }
    if (!Running()) {
      return absl::FailedPreconditionError(
          absl::StrCat("brainserve-server exited with code ", exit_code_,
                       " before it was ready; log:\n", log()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("brainserve-server not ready after ",
                       absl::FormatDuration(timeout), "; log:\n", log()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

std::string ServerProcess::http_url() const {
  return absl::StrCat("http://127.0.0.1:", http_port_);
}

std::string ServerProcess::metrics_url() const {
  return absl::StrCat("http://127.0.0.1:", metrics_port_, "/metrics");
}

std::string ServerProcess::log() const { return ReadAll(dir_ + "/server.log"); }

void ServerProcess::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

bool ServerProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    exit_code_ = ExitCodeOf(status);
    return false;
  }
  return true;
}

int ServerProcess::Wait() {
  if (pid_ > 0) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    exit_code_ = ExitCodeOf(status);
  }
  return exit_code_;
}

int ServerProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  int status = 0;
  if (!WaitWithTimeout(pid_, timeout, &status)) {
    kill(pid_, SIGKILL);
    return Wait();
  }
  pid_ = -1;
  exit_code_ = ExitCodeOf(status);
  return exit_code_;
}

absl::StatusOr<ProcessResult> RunProcess(
    const std::vector<std::string>& argv, const std::string& stdin_data,
    const std::vector<std::string>& env_changes) {
  signal(SIGPIPE, SIG_IGN);  // a child may exit without reading its stdin
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Errno("pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnvironment(env_changes);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, c_args[0], &actions, nullptr,
                                  c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    errno = spawned;
    return Errno(absl::StrCat("posix_spawn ", argv[0]));
  }

  ProcessResult result;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3] = {
        {in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return Errno("poll");
    }
    if (in_fd >= 0 && fds[0].revents != 0) {
      const ssize_t n = write(in_fd, stdin_data.data() + written,
                              stdin_data.size() - written);
      if (n > 0) written += n;
      if (n < 0 && errno != EAGAIN) written = stdin_data.size();  // EPIPE
      if (written == stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    for (int i = 1; i <= 2; ++i) {
      int& fd = i == 1 ? out_fd : err_fd;
      if (fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n > 0) {
        (i == 1 ? result.out : result.err).append(buffer, n);
      } else if (n == 0 || errno != EINTR) {
        close(fd);
        fd = -1;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Errno("waitpid");
  }
  result.exit_code = ExitCodeOf(status);
  return result;
}

absl::StatusOr<int> RunToCompletion(const std::vector<std::string>& argv,
                                    const std::string& log_path,
                                    absl::Duration timeout) {
  absl::StatusOr<pid_t> pid = SpawnToLog(argv, log_path);
  if (!pid.ok()) return pid.status();
  int status = 0;
  if (!WaitWithTimeout(*pid, timeout, &status)) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    return absl::DeadlineExceededError(absl::StrCat(
        argv[0], " did not finish in ", absl::FormatDuration(timeout)));
  }
  if (!WIFEXITED(status)) {
    return absl::InternalError(
        absl::StrCat(argv[0], " was killed by signal ", WTERMSIG(status)));
  }
  return WEXITSTATUS(status);
}

}  // namespace brainserve::testing
