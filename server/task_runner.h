// Something that runs closures later, on threads it chooses: the server's
// WorkQueues and each model's update queue. Front ends finish calls on a
// TaskRunner without knowing which one.
#ifndef BRAINSERVE_SERVER_TASK_RUNNER_H_
#define BRAINSERVE_SERVER_TASK_RUNNER_H_

#include <functional>

#include "absl/status/status.h"

namespace brainserve::server {

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;

  // Queues `work`; never blocks. On error (RESOURCE_EXHAUSTED when full,
  // UNAVAILABLE when shutting down) `work` is not run and not kept.
  virtual absl::Status Schedule(std::function<void()> work) = 0;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_TASK_RUNNER_H_
