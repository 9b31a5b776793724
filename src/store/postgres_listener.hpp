#pragma once
// PostgresListener: the PostgreSQL side of Store::watch_changes. One thread with a connection of
// its own runs LISTEN mcpgate_changes and turns each notification of its schema (payload
// "<schema>/<topic>", sent by the triggers of migration 3, see schema.cpp) into a call of
// `on_change`. When the connection drops it reconnects with backoff, and after every
// (re)connection it reports every topic once, because what other replicas changed meanwhile
// was not announced to it.
//
// Threading: on_change runs on the listener's thread, one call at a time; it should hand work
// to an executor rather than block. The destructor stops the thread (within one wait period)
// and joins it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "store/postgres_connection.hpp"
#include "store/store.hpp"

namespace mcpgate::store::pg {

inline constexpr const char* kChangeChannel = "mcpgate_changes";

struct ListenerOptions {
  ConnectOptions connect;  // as the pool's (same schema), the statement timeout unused
  std::chrono::milliseconds wait{250};  // longest single wait on the socket (bounds stop latency)
  std::chrono::milliseconds reconnect_backoff_min{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
};

// The topic a payload names for `schema`; false when it is another schema's or unknown.
bool parse_change_payload(std::string_view payload, std::string_view schema, ChangeTopic& topic);

class PostgresListener final : public ChangeWatch {
 public:
  PostgresListener(ListenerOptions options, std::function<void(ChangeTopic)> on_change);
  ~PostgresListener() override;

  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  // Connections made so far (tests: a reconnect happened).
  std::uint64_t connections() const { return connections_.load(); }

 private:
  void run();
  // Connects and LISTENs; returns the connection and its schema, or an error.
  Result<std::unique_ptr<Connection>> connect(std::string& schema);
  // Sleeps up to `d` unless stopped; false when stopped.
  bool pause(std::chrono::milliseconds d);

  ListenerOptions options_;
  std::function<void(ChangeTopic)> on_change_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace mcpgate::store::pg
