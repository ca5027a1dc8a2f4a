#include "client/loadgen/level_report.h"

#include <sstream>

#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace brainserve::loadgen {
namespace {

std::vector<LevelReport> SampleReports() {
  LevelReport base;
  base.model = "w2";
  base.concurrency = 64;
  base.phase = "baseline";
  base.throughput_rps = 1000;
  base.latency.count = 3000;
  base.latency.p99_us = 2000;
  base.sent = 3100;
  base.codes = {{"OK", 3099}, {"RESOURCE_EXHAUSTED", 1}};
  base.server.available = true;
  base.server.batch_size_mean = 12.5;
  LevelReport upd = base;
  upd.phase = "updates";
  upd.latency.p99_us = 2200;
  upd.has_updates = true;
  upd.update_mode = "replace";
  upd.update_latency.count = 30;
  upd.update_codes = {{"OK", 30}};
  upd.codes = {{"OK", 3100}};
  return {base, upd};
}

TEST(LoadgenLevelReportTest, FailedCountsEverythingButOk) {
  auto reports = SampleReports();
  EXPECT_EQ(reports[0].Failed(), 1);
  EXPECT_EQ(reports[1].Failed(), 0);
  EXPECT_EQ(reports[0].LoadLabel(), "c=64");
}

TEST(LoadgenLevelReportTest, JsonIsValidAndCarriesTheFigures) {
  const std::string json = ToJson(SampleReports());
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  const auto& levels = parsed.fields().at("levels").list_value();
  ASSERT_EQ(levels.values_size(), 2);
  const auto& first = levels.values(0).struct_value().fields();
  EXPECT_EQ(first.at("phase").string_value(), "baseline");
  EXPECT_EQ(first.at("codes").struct_value().fields().at("OK").number_value(),
            3099);
  EXPECT_EQ(first.at("server")
                .struct_value()
                .fields()
                .at("batch_size_mean")
                .number_value(),
            12.5);
  const auto& second = levels.values(1).struct_value().fields();
  EXPECT_EQ(
      second.at("updates").struct_value().fields().at("mode").string_value(),
      "replace");
}

TEST(LoadgenLevelReportTest, CsvHasOneRowPerLevelWithSameColumns) {
  const std::string csv = ToCsv(SampleReports());
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  const size_t columns =
      std::vector<std::string>(absl::StrSplit(lines[0], ',')).size();
  for (const std::string& line : lines) {
    EXPECT_EQ(std::vector<std::string>(absl::StrSplit(line, ',')).size(),
              columns)
        << line;
  }
}

TEST(LoadgenLevelReportTest, TableShowsUpdateRatio) {
  std::ostringstream out;
  PrintTable(SampleReports(), out);
  EXPECT_NE(out.str().find("updates under load"), std::string::npos);
  EXPECT_NE(out.str().find("1.10"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace brainserve::loadgen
