#include "server/fd_limits.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace brainserve::server {
namespace {

int64_t KernelNrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  int64_t value = 0;
  if (in >> value && value > 0) return value;
  return 1 << 20;
}

}  // namespace

OpenFileLimit RaiseOpenFileLimit() {
  OpenFileLimit result;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = absl::StrCat("getrlimit: ", std::strerror(errno));
    return result;
  }
  result.soft_before = static_cast<int64_t>(limit.rlim_cur);
  const int64_t hard = limit.rlim_max == RLIM_INFINITY
                           ? KernelNrOpen()
                           : static_cast<int64_t>(limit.rlim_max);
  result.hard = hard;
  result.soft = result.soft_before;
  if (limit.rlim_cur != RLIM_INFINITY && result.soft_before < hard) {
    limit.rlim_cur = static_cast<rlim_t>(hard);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      result.error = absl::StrCat("setrlimit: ", std::strerror(errno));
    } else {
      result.soft = hard;
    }
  }
  return result;
}

DescriptorReserve::DescriptorReserve(int count) : count_(count) { Refill(); }

DescriptorReserve::~DescriptorReserve() { Release(); }

void DescriptorReserve::Release() {
  for (int fd : fds_) close(fd);
  fds_.clear();
}

void DescriptorReserve::Refill() {
  while (static_cast<int>(fds_.size()) < count_) {
    const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    fds_.push_back(fd);
  }
}

}  // namespace brainserve::server
