#include "client/cli_args.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "client/cli_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ParseCliArgs resets every CLI flag it does not set, so tests need no
// FlagSaver.
class CliArgsTest : public ::testing::Test {};

TEST_F(CliArgsTest, FlagsAnywhereAndBothSpellings) {
  absl::StatusOr<CliInvocation> invocation = ParseCliArgs(
      {"--server=h:1", "update", "--layer", "fc", "m", "--param=weight",
       "--value", "-", "--expected-version=7", "--json"});
  ASSERT_TRUE(invocation.ok()) << invocation.status();
  EXPECT_EQ(invocation->subcommand, "update");
  EXPECT_THAT(invocation->args, ElementsAre("m"));
  EXPECT_EQ(absl::GetFlag(FLAGS_server), "h:1");
  EXPECT_EQ(absl::GetFlag(FLAGS_layer), "fc");
  EXPECT_EQ(absl::GetFlag(FLAGS_param), "weight");
  EXPECT_EQ(absl::GetFlag(FLAGS_value), "-");
  EXPECT_EQ(absl::GetFlag(FLAGS_expected_version), "7");
  EXPECT_TRUE(absl::GetFlag(FLAGS_json));
  EXPECT_EQ(invocation->flags_set.count("expected_version"), 1u);
  EXPECT_EQ(invocation->flags_set.count("mode"), 0u);
}

TEST_F(CliArgsTest, MaskRepeats) {
  absl::StatusOr<CliInvocation> invocation = ParseCliArgs(
      {"forward", "m", "--mask", "ln=a,b.npy", "--mask=ln2=c.json"});
  ASSERT_TRUE(invocation.ok()) << invocation.status();
  EXPECT_THAT(absl::GetFlag(FLAGS_mask),
              ElementsAre("ln=a,b.npy", "ln2=c.json"));
}

TEST_F(CliArgsTest, BooleanForms) {
  ASSERT_TRUE(ParseCliArgs({"list", "--json=false"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
  ASSERT_TRUE(ParseCliArgs({"list", "-json"}).ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_json));
  ASSERT_TRUE(ParseCliArgs({"list", "--nojson"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
}

TEST_F(CliArgsTest, DoubleDashEndsFlags) {
  absl::StatusOr<CliInvocation> invocation =
      ParseCliArgs({"get", "--", "--weird-name"});
  ASSERT_TRUE(invocation.ok()) << invocation.status();
  EXPECT_THAT(invocation->args, ElementsAre("--weird-name"));
}

TEST_F(CliArgsTest, Help) {
  EXPECT_TRUE(ParseCliArgs({"help"})->help);
  EXPECT_TRUE(ParseCliArgs({"--help"})->help);
  EXPECT_TRUE(ParseCliArgs({"list", "-h"})->help);
  absl::StatusOr<CliInvocation> none = ParseCliArgs({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->help);
  EXPECT_TRUE(none->missing_subcommand);
  EXPECT_TRUE(ParseCliArgs({"--json"})->missing_subcommand);
}

TEST_F(CliArgsTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"list", "--bogus"}, "unknown flag '--bogus'"},
      {{"frobnicate"}, "unknown subcommand 'frobnicate'"},
      {{"get"}, "'get' takes 1 positional argument(s), got 0"},
      {{"list", "extra"}, "got 1 (extra)"},
      {{"list", "--layer=x"}, "--layer does not apply to 'list'"},
      {{"get", "m", "--timeout_ms=soon"}, "invalid value 'soon'"},
      {{"forward", "m", "--input"}, "--input needs a value"},
      {{"list", "--noserver"}, "unknown flag"},
      {{"list", "--json=maybe"}, "invalid value 'maybe' for --json"},
      {{"list", "--flagfile=x"}, "unknown flag"},  // absl's own flags too
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliInvocation> invocation = ParseCliArgs(c.args);
    EXPECT_EQ(invocation.status().code(), absl::StatusCode::kInvalidArgument)
        << c.args[0];
    EXPECT_THAT(invocation.status().message(), HasSubstr(c.message));
  }
}

TEST_F(CliArgsTest, EveryDeclaredFlagIsLinked) {
  for (const std::string& name : GlobalFlags()) {
    EXPECT_NE(absl::FindCommandLineFlag(name), nullptr) << name;
  }
  for (const SubcommandInfo& info : Subcommands()) {
    for (const std::string& name : info.flags) {
      EXPECT_NE(absl::FindCommandLineFlag(name), nullptr) << name;
    }
  }
}

TEST_F(CliArgsTest, DefaultsWhenNotGiven) {
  absl::StatusOr<CliInvocation> invocation = ParseCliArgs({"forward", "m"});
  ASSERT_TRUE(invocation.ok());
  EXPECT_THAT(invocation->flags_set, IsEmpty());
  EXPECT_EQ(absl::GetFlag(FLAGS_input), "-");
  EXPECT_EQ(absl::GetFlag(FLAGS_encoding), "raw");
  EXPECT_THAT(absl::GetFlag(FLAGS_mask), IsEmpty());
}

}  // namespace
}  // namespace brainserve::client
