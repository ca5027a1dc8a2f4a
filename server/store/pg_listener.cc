#include "server/store/pg_listener.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace brainserve::server::store {

bool ParseStoreEvent(absl::string_view payload, StoreEvent* event) {
  std::vector<absl::string_view> parts = absl::StrSplit(payload, ' ');
  if (parts.empty() || parts[0].size() != 1) return false;
  int64_t id = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &id)) return false;
  event->id = id;
  size_t time_at = 2;
  switch (parts[0][0]) {
    case 'c':
      event->kind = StoreEvent::Kind::kCreated;
      break;
    case 'd':
      event->kind = StoreEvent::Kind::kDeleted;
      break;
    case 'u': {
      event->kind = StoreEvent::Kind::kUpdated;
      uint64_t version = 0;
      if (parts.size() < 3 || !absl::SimpleAtoi(parts[2], &version)) return false;
      event->version = version;
      time_at = 3;
      break;
    }
    default:
      return false;
  }
  double seconds = 0;
  if (parts.size() > time_at && absl::SimpleAtod(parts[time_at], &seconds)) {
    event->committed_unix_seconds = seconds;
  }
  return true;
}

PgListener::PgListener(std::string conninfo, std::string what,
                       StoreSubscriber* subscriber)
    : conninfo_(std::move(conninfo)),
      what_(std::move(what)),
      subscriber_(subscriber) {
  thread_ = std::thread([this] { Loop(); });
}

PgListener::~PgListener() {
  stopping_ = true;
  thread_.join();
}

void PgListener::Loop() {
  auto backoff = std::chrono::milliseconds(100);
  bool was_up = true;  // report the first failure
  while (!stopping_) {
    absl::StatusOr<std::unique_ptr<PgConnection>> conn =
        PgConnection::Connect(conninfo_, what_);
    absl::Status status = conn.status();
    if (status.ok()) {
      status = (*conn)->Run(absl::StrCat("LISTEN ", kNotifyChannel), "listen");
    }
    if (!status.ok()) {
      if (was_up) {
        std::fprintf(stderr, "brainserve-server: change feed down: %s\n",
                     std::string(status.message()).c_str());
        subscriber_->OnConnection(false);
        was_up = false;
      }
      // Sleep in small steps so shutdown is prompt.
      const auto until = std::chrono::steady_clock::now() + backoff;
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (!was_up) {
      std::fprintf(stderr, "brainserve-server: change feed up again\n");
    }
    was_up = true;
    subscriber_->OnConnection(true);
    // Anything committed before LISTEN took effect may have been missed.
    subscriber_->OnResync();
    Listen(**conn);
    if (!stopping_) {
      std::fprintf(stderr, "brainserve-server: change feed lost: %s",
                   PQerrorMessage((*conn)->raw()));
      subscriber_->OnConnection(false);
      was_up = false;
    }
  }
}

void PgListener::Listen(PgConnection& conn) {
  PGconn* raw = conn.raw();
  while (!stopping_) {
    pollfd fd{PQsocket(raw), POLLIN, 0};
    if (fd.fd < 0) return;
    const int ready = poll(&fd, 1, /*timeout_ms=*/100);
    if (ready < 0) continue;  // EINTR
    if (ready > 0) {
      if (PQconsumeInput(raw) == 0) return;  // the connection failed
      while (PGnotify* notify = PQnotifies(raw)) {
        StoreEvent event;
        if (ParseStoreEvent(notify->extra, &event)) {
          subscriber_->OnEvent(event);
        }
        PQfreemem(notify);
      }
    }
    if (PQstatus(raw) != CONNECTION_OK) return;
  }
}

}  // namespace brainserve::server::store
