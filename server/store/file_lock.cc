#include "server/store/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace brainserve::server::store {

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::Acquire(
    const std::string& lock_path, const std::string& what) {
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("store '", what,
                                               "': cannot open lock file '",
                                               lock_path, "': ",
                                               std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat(
          "store '", what, "': in use by another process (it holds '",
          lock_path, "'); two servers cannot share an embedded store"));
    }
    return absl::UnavailableError(absl::StrCat("store '", what,
                                               "': cannot lock '", lock_path,
                                               "': ", std::strerror(error)));
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { close(fd_); }

}  // namespace brainserve::server::store
