#include "server/auth/file_poller.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

bool WaitFor(const std::function<bool()>& condition,
             absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST(FilePollerTest, NoticesInPlaceWritesRenamesAndDeletion) {
  const std::string path = ::testing::TempDir() + "/poller-test.txt";
  Write(path, "one");
  std::atomic<int> calls{0};
  FilePoller poller(absl::Milliseconds(10));
  poller.Watch(path, [&] { ++calls; });
  poller.Start();
  Write(path, "two, longer");  // size changes
  ASSERT_TRUE(WaitFor([&] { return calls.load() == 1; }));
  const std::string tmp = path + ".new";
  Write(tmp, "three");
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);  // new inode
  ASSERT_TRUE(WaitFor([&] { return calls.load() == 2; }));
  std::remove(path.c_str());
  ASSERT_TRUE(WaitFor([&] { return calls.load() == 3; }));
  poller.Shutdown();
}

TEST(FilePollerTest, ReloadNowRunsEveryCallbackWithoutPolling) {
  const std::string a = ::testing::TempDir() + "/poller-a.txt";
  const std::string b = ::testing::TempDir() + "/poller-b.txt";
  Write(a, "a");
  Write(b, "b");
  int calls_a = 0, calls_b = 0;
  FilePoller poller(absl::ZeroDuration());  // SIGHUP only
  poller.Watch(a, [&] { ++calls_a; });
  poller.Watch(b, [&] { ++calls_b; });
  poller.Start();
  poller.ReloadNow();
  EXPECT_EQ(calls_a, 1);
  EXPECT_EQ(calls_b, 1);
  Write(a, "changed but nobody polls");
  poller.ReloadNow();
  EXPECT_EQ(calls_a, 2);
  poller.Shutdown();
  poller.Shutdown();  // idempotent
}

}  // namespace
}  // namespace brainserve::auth
