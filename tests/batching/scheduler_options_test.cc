#include "server/batching/scheduler_options.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/batching/batch_scheduler.h"
#include "tests/batching/test_util.h"

namespace brainserve::batching::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(SchedulerOptionsTest, DefaultsAreValid) {
  const SchedulerOptions options;
  EXPECT_TRUE(ValidateSchedulerOptions(options).ok());
  EXPECT_EQ(options.max_batch_size, 64);
  EXPECT_EQ(options.max_queue_delay_us, 0);
  EXPECT_EQ(options.max_queue_size, 1024);
  EXPECT_EQ(options.num_batch_workers, 1);
  EXPECT_EQ(options.clock, nullptr);
}

struct InvalidCase {
  const char* field;
  std::function<void(SchedulerOptions&)> break_it;
  std::string value;
};

TEST(SchedulerOptionsTest, EachInvalidFieldIsNamedWithItsValue) {
  const std::vector<InvalidCase> cases = {
      {"max_batch_size", [](SchedulerOptions& o) { o.max_batch_size = 0; },
       "0"},
      {"max_batch_size", [](SchedulerOptions& o) { o.max_batch_size = -5; },
       "-5"},
      {"max_queue_delay_us",
       [](SchedulerOptions& o) { o.max_queue_delay_us = -1; }, "-1"},
      {"max_queue_size", [](SchedulerOptions& o) { o.max_queue_size = 0; },
       "0"},
      {"num_batch_workers",
       [](SchedulerOptions& o) { o.num_batch_workers = 0; }, "0"},
      {"num_batch_workers",
       [](SchedulerOptions& o) { o.num_batch_workers = kMaxBatchWorkersLimit + 1; },
       std::to_string(kMaxBatchWorkersLimit + 1)},
  };
  for (const InvalidCase& c : cases) {
    SchedulerOptions options;
    options.name = "mlp";
    c.break_it(options);
    const absl::Status status = ValidateSchedulerOptions(options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(status.message(), AllOf(HasSubstr(c.field), HasSubstr(c.value),
                                        HasSubstr("mlp")));
  }
}

TEST(SchedulerOptionsTest, BoundaryValuesAreValid) {
  SchedulerOptions options;
  options.max_batch_size = 1;
  options.max_queue_delay_us = 0;
  options.max_queue_size = 1;
  options.num_batch_workers = kMaxBatchWorkersLimit;
  EXPECT_TRUE(ValidateSchedulerOptions(options).ok());
}

TEST(SchedulerOptionsTest, CreateRejectsInvalidOptionsAndMissingCallbacks) {
  Recorder recorder;
  SchedulerOptions bad;
  bad.max_queue_size = 0;
  auto created =
      TestScheduler::Create(bad, recorder.ProcessFn(), recorder.DropFn());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(created.status().message(), HasSubstr("max_queue_size"));

  const SchedulerOptions good;
  EXPECT_EQ(
      TestScheduler::Create(good, nullptr, recorder.DropFn()).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TestScheduler::Create(good, recorder.ProcessFn(), nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);

  auto scheduler =
      TestScheduler::Create(good, recorder.ProcessFn(), recorder.DropFn());
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  EXPECT_EQ((*scheduler)->options().max_batch_size, 64);
}

}  // namespace
}  // namespace brainserve::batching::testing
