// The read-your-writes rule, for every front end's reads: brainserve.v1
// Forward, GetModel and GetParameters (`min_version`), the Open Inference
// Protocol's ModelInfer and ModelMetadata (`model_version`), and their HTTP
// forms.
//
//   min_version == 0  the model as it is now; NOT_FOUND if this replica has
//                     no model of that name.
//   min_version > 0   the client has seen that version (it wrote it, here
//                     or on another replica). On a shared store a model this
//                     replica has not loaded yet is looked up in the store
//                     (off the caller's thread). Then the read waits until
//                     the model has applied min_version: at most
//                     --max_min_version_wait_ms (then UNAVAILABLE: retry) or
//                     until the client's deadline (DEADLINE_EXCEEDED),
//                     whichever comes first; the message names `field`.
//
// Find() validates the name (INVALID_ARGUMENT naming `name_field`) and calls
// `then` exactly once: on the caller's thread when nothing has to wait, else
// on the thread that applied the version, the timer's or the lookup queue's.
// `then` must not block.
//
// Thread-safe. Borrowed pointers must outlive the reader.
#ifndef BRAINSERVE_SERVER_MODEL_READER_H_
#define BRAINSERVE_SERVER_MODEL_READER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/model_manager.h"
#include "server/model_registry.h"
#include "server/served_model.h"
#include "server/work_queue.h"

namespace brainserve::server {

class ModelReader {
 public:
  using Found =
      std::function<void(absl::StatusOr<std::shared_ptr<ServedModel>>)>;

  // `lookup_queue` runs store lookups of models created elsewhere.
  ModelReader(ModelRegistry* registry, ModelManager* manager,
              WorkQueue* lookup_queue, absl::Duration max_wait);

  ModelReader(const ModelReader&) = delete;
  ModelReader& operator=(const ModelReader&) = delete;

  // See the file comment. `client_deadline` is InfiniteFuture for none.
  void Find(absl::string_view name, absl::string_view name_field,
            uint64_t min_version, absl::string_view version_field,
            absl::Time client_deadline, Found then) const;

 private:
  void AwaitVersion(std::shared_ptr<ServedModel> model, uint64_t min_version,
                    absl::string_view version_field,
                    absl::Time client_deadline, Found then) const;

  ModelRegistry* const registry_;
  ModelManager* const manager_;
  WorkQueue* const lookup_queue_;
  const absl::Duration max_wait_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_READER_H_
