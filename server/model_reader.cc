#include "server/model_reader.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/request_validation.h"

namespace brainserve::server {

ModelReader::ModelReader(ModelRegistry* registry, ModelManager* manager,
                         WorkQueue* lookup_queue, absl::Duration max_wait)
    : registry_(registry),
      manager_(manager),
      lookup_queue_(lookup_queue),
      max_wait_(max_wait) {}

void ModelReader::Find(absl::string_view name, absl::string_view name_field,
                       uint64_t min_version, absl::string_view version_field,
                       absl::Time client_deadline, Found then) const {
  absl::Status valid = ValidateModelName(name, name_field);
  if (!valid.ok()) return then(valid);
  absl::StatusOr<std::shared_ptr<ServedModel>> local = registry_->Get(name);
  if (min_version == 0) return then(std::move(local));
  if (local.ok()) {
    return AwaitVersion(*std::move(local), min_version, version_field,
                        client_deadline, std::move(then));
  }
  if (!absl::IsNotFound(local.status()) || !manager_->shared_store()) {
    return then(local.status());
  }
  // The client has seen this model: another replica may have created it and
  // this one not loaded it yet. Look in the store, off the caller's thread.
  auto shared_then = std::make_shared<Found>(std::move(then));
  absl::Status scheduled = lookup_queue_->Schedule(
      [this, name = std::string(name), min_version,
       version_field = std::string(version_field), client_deadline,
       shared_then] {
        absl::StatusOr<std::shared_ptr<ServedModel>> found =
            manager_->FindOrLoad(name);
        if (!found.ok()) return (*shared_then)(found.status());
        AwaitVersion(*std::move(found), min_version, version_field,
                     client_deadline, std::move(*shared_then));
      });
  if (!scheduled.ok()) (*shared_then)(scheduled);
}

void ModelReader::AwaitVersion(std::shared_ptr<ServedModel> model,
                               uint64_t min_version,
                               absl::string_view version_field,
                               absl::Time client_deadline, Found then) const {
  absl::Time deadline = absl::Now() + max_wait_;
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  if (client_deadline < deadline) {
    deadline = client_deadline;
    code = absl::StatusCode::kDeadlineExceeded;
  }
  ServedModel& gate_owner = *model;
  gate_owner.gate().WhenAtLeast(
      min_version, deadline, code,
      [model = std::move(model), field = std::string(version_field),
       then = std::move(then)](const absl::Status& status) {
        if (status.ok()) return then(model);
        // The gate speaks of min_version; name the field the client set.
        constexpr absl::string_view kGatePrefix = "min_version: ";
        if (field != "min_version" &&
            absl::StartsWith(status.message(), kGatePrefix)) {
          return then(absl::Status(
              status.code(),
              absl::StrCat(field, ": ",
                           status.message().substr(kGatePrefix.size()))));
        }
        then(status);
      });
}

}  // namespace brainserve::server
