#include "server/http/routes.h"

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "absl/synchronization/notification.h"
#include "server/http/v2_json.h"
#include "server/status_util.h"

namespace brainserve::server::http {

void ReplyError(const absl::Status& status, httplib::Response* response) {
  response->status = ToHttpStatus(status.code());
  response->set_content(ErrorJson(status.message()), "application/json");
}

void ReplyJson(std::string body, httplib::Response* response) {
  response->status = 200;
  response->set_content(std::move(body), "application/json");
}

absl::Status RunOnQueue(WorkQueue* queue, std::function<absl::Status()> work) {
  absl::Notification done;
  absl::Status result;
  absl::Status scheduled = queue->Schedule([&] {
    try {
      result = work();
    } catch (const std::bad_alloc&) {
      result = absl::ResourceExhaustedError("out of memory");
    } catch (const std::exception& e) {
      result = absl::InternalError(e.what());
    }
    done.Notify();
  });
  if (!scheduled.ok()) return scheduled;
  done.WaitForNotification();
  return result;
}

}  // namespace brainserve::server::http
