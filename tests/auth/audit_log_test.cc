#include "server/auth/audit_log.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Struct ParseJson(const std::string& line) {
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << line;
  return parsed;
}

AuditEvent UpdateEvent() {
  AuditEvent event;
  event.time = absl::FromCivil(absl::CivilSecond(2026, 11, 21, 21, 20, 0),
                               absl::UTCTimeZone()) +
               absl::Microseconds(123456);
  event.operation = "UpdateParameters";
  event.outcome = absl::OkStatus();
  event.token_id = "trainer-1";
  event.role = "writer";
  event.peer = "ipv4:127.0.0.1:5000";
  event.model = "mlp";
  event.old_version = 1;
  event.new_version = 2;
  event.mode = "ADD";
  event.parameters = {{"fc2", "bias", "ADD"}, {"fc1", "weight", "ADD"}};
  return event;
}

TEST(AuditJsonTest, OneLineWithEveryFieldAndNullsForAbsentOnes) {
  const std::string line = AuditJson(UpdateEvent());
  EXPECT_THAT(line, EndsWith("}\n"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_THAT(line, HasSubstr("{\"time\":\"2026-11-21T21:20:00.123456Z\","
                              "\"type\":\"audit\","
                              "\"operation\":\"UpdateParameters\","
                              "\"outcome\":\"OK\""));
  google::protobuf::Struct json = ParseJson(line);
  const auto& f = json.fields();
  EXPECT_EQ(f.at("token_id").string_value(), "trainer-1");
  EXPECT_EQ(f.at("role").string_value(), "writer");
  EXPECT_EQ(f.at("old_version").number_value(), 1);
  EXPECT_EQ(f.at("new_version").number_value(), 2);
  EXPECT_TRUE(f.at("expected_version").has_null_value());
  EXPECT_TRUE(f.at("tls_subject").has_null_value());
  EXPECT_EQ(f.at("mode").string_value(), "ADD");
  ASSERT_EQ(f.at("parameters").list_value().values_size(), 2);
  EXPECT_EQ(f.at("parameters")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("layer")
                .string_value(),
            "fc2");
}

TEST(AuditJsonTest, EscapesEverythingAClientCanChoose) {
  AuditEvent event = UpdateEvent();
  event.model = "a\"b\\c\nd\x01";
  event.parameters = {{"l\"", "n\t", "ADD"}};
  event.outcome = absl::NotFoundError("model 'a\"b' not found\n");
  event.token_id = "";
  const std::string line = AuditJson(event);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  google::protobuf::Struct json = ParseJson(line);
  EXPECT_EQ(json.fields().at("model").string_value(), "a\"b\\c\nd\x01");
  EXPECT_EQ(json.fields().at("outcome").string_value(), "NOT_FOUND");
  EXPECT_TRUE(json.fields().at("token_id").has_null_value());
}

TEST(AuditLogTest, AppendsOneLinePerEventToA0600File) {
  const std::string path = ::testing::TempDir() + "/audit-test.log";
  std::remove(path.c_str());
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) (*log)->Write(UpdateEvent());
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ((*log)->write_failures(), 0);
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(line + "\n", AuditJson(UpdateEvent()));  // never interleaved
  }
  EXPECT_EQ(lines, 200);
  // Re-opening appends.
  absl::StatusOr<std::unique_ptr<AuditLog>> again = AuditLog::Open(path);
  ASSERT_TRUE(again.ok());
  (*again)->Write(UpdateEvent());
  std::ifstream in2(path);
  lines = 0;
  while (std::getline(in2, line)) ++lines;
  EXPECT_EQ(lines, 201);
}

TEST(AuditLogTest, UnopenablePathIsUnavailableNamingTheFlag) {
  absl::StatusOr<std::unique_ptr<AuditLog>> log =
      AuditLog::Open("/nonexistent-dir/audit.log");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(log.status().message()),
              HasSubstr("--audit_log_file"));
}

}  // namespace
}  // namespace brainserve::auth
