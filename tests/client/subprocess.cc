#include "tests/client/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace brainserve::client::testing {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
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

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

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

absl::StatusOr<pid_t> SpawnBackground(const std::vector<std::string>& argv,
                                      const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args = argv;
  std::vector<char*> c_args = CStrings(args);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, c_args[0], &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    errno = spawned;
    return Errno(absl::StrCat("posix_spawn ", argv[0]));
  }
  return pid;
}

}  // namespace brainserve::client::testing
