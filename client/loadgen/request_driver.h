// The interface the Runner drives load through: ForwardDriver (gRPC:
// brainserve Forward or the Open Inference Protocol's ModelInfer) and
// HttpDriver (the protocol's REST infer).
//
// Thread safety: Start*/StopAndDrain are called by one controlling thread;
// TakeRecords and the counters may be called from any thread.
#ifndef BRAINSERVE_CLIENT_LOADGEN_REQUEST_DRIVER_H_
#define BRAINSERVE_CLIENT_LOADGEN_REQUEST_DRIVER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "client/loadgen/arrival_schedule.h"

namespace brainserve::loadgen {

// One completed inference call.
struct CallRecord {
  int64_t intended_ns = 0;  // steady clock: when the call was meant to go out
  int64_t done_ns = 0;      // steady clock: when its completion was seen
  int32_t code = 0;         // grpc::StatusCode (HTTP statuses are mapped)
  bool version_regressed = false;  // response version < floor at send time
  bool bad_response = false;       // OK status but the body did not parse
};

class RequestDriver {
 public:
  virtual ~RequestDriver() = default;

  // Starts `concurrency` closed-loop callers; sends at most `max_calls`
  // calls in this phase (0 = unlimited). The driver must be idle.
  virtual void StartClosedLoop(int concurrency, int64_t max_calls) = 0;

  // Starts open-loop dispatch at the schedule's times; at most `max_calls`.
  virtual void StartOpenLoop(std::unique_ptr<ArrivalSchedule> schedule,
                             int64_t max_calls) = 0;

  // Stops sending and blocks until every outstanding call has completed
  // (bounded by the per-call deadline). Leaves the driver idle.
  virtual void StopAndDrain() = 0;

  // Moves out the records completed since the last call.
  virtual std::vector<CallRecord> TakeRecords() = 0;

  // Calls sent in the current (or last) phase.
  virtual int64_t issued() const = 0;
  // True once the phase's max_calls have all been sent.
  virtual bool budget_exhausted() const = 0;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_REQUEST_DRIVER_H_
