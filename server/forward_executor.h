// The seam between the Forward handler and the engine.
//
// The handler validates a request, wraps it in a ForwardCall and hands it to
// the model's ForwardExecutor; the executor decides when and with what the
// engine runs it (BatchedForwardExecutor: a dynamic batch scheduler), and
// completes the call on its own threads. Neither side knows the other's
// internals, so the scheduling policy can change without touching either.
#ifndef BRAINSERVE_SERVER_FORWARD_EXECUTOR_H_
#define BRAINSERVE_SERVER_FORWARD_EXECUTOR_H_

#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "server/forward_call.h"

namespace brainserve::server {

class ForwardExecutor {
 public:
  virtual ~ForwardExecutor() = default;

  // Takes ownership of `call` and completes it exactly once: with the
  // engine's result, or with an error (RESOURCE_EXHAUSTED when the call's cost
  // is over the admission limits or the queue is full, UNAVAILABLE after Shutdown, DEADLINE_EXCEEDED / CANCELLED when the
  // client gave up before compute). Never blocks on compute: safe to call
  // from a gRPC thread.
  virtual void Submit(std::unique_ptr<ForwardCall> call) = 0;

  // Stops accepting calls. drain=true runs every queued call; drain=false
  // answers queued calls UNAVAILABLE. Either way waits for running batches
  // and joins the executor's threads. `reason` (e.g. "the model was
  // deleted") goes into the UNAVAILABLE messages of dropped and later
  // calls. Idempotent; blocks, so never call it from a gRPC thread or from
  // the executor's own threads.
  virtual void Shutdown(bool drain, absl::string_view reason) = 0;

  // Calls waiting to run (excludes running batches).
  virtual int64_t queue_depth() const = 0;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FORWARD_EXECUTOR_H_
