// The PostgreSQL change feed: a thread with its own connection that LISTENs
// on channel `brainserve` and hands each NOTIFY to a StoreSubscriber. When
// the connection is lost it tells the subscriber (OnConnection(false)),
// reconnects with exponential backoff (100 ms doubling to 2 s), LISTENs
// again and asks for a resync (OnResync()), since notifications sent while
// it was away are gone.
//
// Thread safety: construction and destruction from one thread; the
// subscriber is called from the listener's thread only.
#ifndef BRAINSERVE_SERVER_STORE_PG_LISTENER_H_
#define BRAINSERVE_SERVER_STORE_PG_LISTENER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/string_view.h"
#include "server/store/model_store.h"
#include "server/store/pg_connection.h"

namespace brainserve::server::store {

inline constexpr char kNotifyChannel[] = "brainserve";

// Parses a payload ("c ID T", "u ID VERSION T", "d ID T"); false if malformed.
bool ParseStoreEvent(absl::string_view payload, StoreEvent* event);

class PgListener {
 public:
  // Starts the thread; the first connection is made there (OnConnection and
  // OnResync follow once it is up).
  PgListener(std::string conninfo, std::string what,
             StoreSubscriber* subscriber);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void Loop();
  // Waits for notifications until the connection fails or we stop.
  void Listen(PgConnection& conn);

  const std::string conninfo_;
  const std::string what_;
  StoreSubscriber* const subscriber_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_PG_LISTENER_H_
