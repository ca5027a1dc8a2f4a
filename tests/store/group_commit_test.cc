// GroupCommit: concurrent writers share one transaction, an op's failure
// undoes only that op, and a failed commit fails every op of its group.
#include "server/store/group_commit.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace brainserve::server::store {
namespace {

// Records the calls a group makes, as a transcript.
struct FakeDb {
  absl::Mutex mu;
  std::vector<std::string> calls;
  absl::Status commit_result;
  void Log(const std::string& call) {
    absl::MutexLock lock(&mu);
    calls.push_back(call);
  }
  int Count(const std::string& call) {
    absl::MutexLock lock(&mu);
    return static_cast<int>(std::count(calls.begin(), calls.end(), call));
  }
};

GroupCommitHooks HooksFor(FakeDb* db) {
  GroupCommitHooks hooks;
  hooks.begin = [db] { db->Log("begin"); return absl::OkStatus(); };
  hooks.commit = [db] {
    db->Log("commit");
    absl::MutexLock lock(&db->mu);
    return db->commit_result;
  };
  hooks.rollback = [db] { db->Log("rollback"); };
  hooks.savepoint = [db] { db->Log("savepoint"); return absl::OkStatus(); };
  hooks.release = [db] { db->Log("release"); return absl::OkStatus(); };
  hooks.rollback_to_savepoint = [db] { db->Log("rollback_to"); };
  return hooks;
}

bool WaitUntil(const std::function<bool()>& condition) {
  for (int i = 0; i < 10000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Holds a leader inside its op until released, while `followers` writers
// queue up behind it; returns their results.
std::vector<absl::Status> RunBehindLeader(
    GroupCommit& group, int followers,
    const std::function<absl::Status(int)>& follower_op) {
  absl::Notification leader_inside, release_leader;
  std::thread leader([&] {
    group.Run([&] {
      leader_inside.Notify();
      release_leader.WaitForNotification();
      return absl::OkStatus();
    }).IgnoreError();
  });
  leader_inside.WaitForNotification();
  std::vector<absl::Status> results(followers);
  std::vector<std::function<absl::Status()>> ops(followers);
  std::vector<std::thread> threads;
  for (int i = 0; i < followers; ++i) {
    ops[i] = [&follower_op, i] { return follower_op(i); };
    threads.emplace_back([&, i] { results[i] = group.Run(ops[i]); });
  }
  EXPECT_TRUE(WaitUntil([&] { return group.pending() == followers; }));
  release_leader.Notify();
  leader.join();
  for (std::thread& t : threads) t.join();
  return results;
}

TEST(GroupCommit, WritersQueuedBehindALeaderShareOneCommit) {
  FakeDb db;
  GroupCommit group(HooksFor(&db));
  std::vector<absl::Status> results = RunBehindLeader(
      group, 5, [](int) { return absl::OkStatus(); });
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(group.largest_group(), 5);
  // One transaction for the leader, one for the five followers.
  EXPECT_EQ(db.Count("begin"), 2);
  EXPECT_EQ(db.Count("commit"), 2);
  EXPECT_EQ(db.Count("savepoint"), 6);
}

TEST(GroupCommit, AFailingOpUndoesOnlyItself) {
  FakeDb db;
  GroupCommit group(HooksFor(&db));
  std::vector<absl::Status> results =
      RunBehindLeader(group, 4, [](int i) {
        return i == 2 ? absl::NotFoundError("op 2") : absl::OkStatus();
      });
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(results[i].ok(), i != 2) << i << ": " << results[i];
  }
  EXPECT_EQ(db.Count("rollback_to"), 1);
  EXPECT_EQ(db.Count("rollback"), 0);
}

TEST(GroupCommit, AFailedCommitFailsTheWholeGroup) {
  FakeDb db;
  GroupCommit group(HooksFor(&db));
  // The leader's own group commits; then every commit fails.
  std::vector<absl::Status> results =
      RunBehindLeader(group, 3, [&db](int) {
        absl::MutexLock lock(&db.mu);
        db.commit_result = absl::UnavailableError("disk full");
        return absl::OkStatus();
      });
  for (const absl::Status& s : results) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  }
  EXPECT_EQ(db.Count("rollback"), 1);
}

}  // namespace
}  // namespace brainserve::server::store
