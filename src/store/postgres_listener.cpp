#include "store/postgres_listener.hpp"

#include <poll.h>

#include <algorithm>
#include <array>

#include "core/log.hpp"

namespace mcpgate::store::pg {

bool parse_change_payload(std::string_view payload, std::string_view schema, ChangeTopic& topic) {
  const std::size_t slash = payload.rfind('/');
  if (slash == std::string_view::npos || payload.substr(0, slash) != schema) {
    return false;
  }
  const std::string_view name = payload.substr(slash + 1);
  if (name == "revocations") {
    topic = ChangeTopic::kRevocations;
  } else if (name == "authz") {
    topic = ChangeTopic::kAuthz;
  } else if (name == "keys") {
    topic = ChangeTopic::kSigningKeys;
  } else if (name == "users") {
    topic = ChangeTopic::kUsers;
  } else {
    return false;
  }
  return true;
}

PostgresListener::PostgresListener(ListenerOptions options, std::function<void(ChangeTopic)> on_change)
    : options_(std::move(options)), on_change_(std::move(on_change)) {
  options_.connect.statement_timeout_ms = 0;
  options_.connect.application_name += " (listen)";
  thread_ = std::thread([this] { run(); });
}

PostgresListener::~PostgresListener() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  thread_.join();
}

bool PostgresListener::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

Result<std::unique_ptr<Connection>> PostgresListener::connect(std::string& schema) {
  MCPGATE_ASSIGN_OR_RETURN(auto conn, Connection::open(options_.connect));
  const std::string listen = std::string("LISTEN ") + kChangeChannel;
  MCPGATE_TRY(conn->exec(listen.c_str()));
  MCPGATE_ASSIGN_OR_RETURN(auto s, conn->prepare("SELECT current_schema()"));
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  schema = row && !s.is_null(0) ? s.text(0) : std::string();
  return conn;
}

void PostgresListener::run() {
  std::chrono::milliseconds backoff = options_.reconnect_backoff_min;
  while (!stop_.load()) {
    std::string schema;
    auto conn = connect(schema);
    if (!conn) {
      log::warn("store_listen_failed", {{"error", conn.error().message}, {"retry_ms", backoff.count()}});
      if (!pause(backoff)) {
        return;
      }
      backoff = std::min(backoff * 2, options_.reconnect_backoff_max);
      continue;
    }
    backoff = options_.reconnect_backoff_min;
    connections_.fetch_add(1);
    // Whatever changed while no one listened: every topic once.
    for (std::size_t t = 0; t < kChangeTopicCount; ++t) {
      on_change_(static_cast<ChangeTopic>(t));
    }
    Connection& c = **conn;
    while (!stop_.load()) {
      pollfd p{c.socket(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(options_.wait.count()));
      if (ready < 0 && errno != EINTR) {
        break;
      }
      if (ready <= 0) {
        continue;
      }
      auto payloads = c.take_notifications(kChangeChannel);
      if (!payloads) {
        log::warn("store_listen_lost", {{"error", payloads.error().message}});
        break;
      }
      // A burst (fifty revocations) reaches the callback once per topic.
      std::array<bool, kChangeTopicCount> seen{};
      for (const std::string& payload : *payloads) {
        ChangeTopic topic{};
        if (parse_change_payload(payload, schema, topic)) {
          seen[static_cast<std::size_t>(topic)] = true;
        }
      }
      for (std::size_t t = 0; t < kChangeTopicCount; ++t) {
        if (seen[t]) {
          on_change_(static_cast<ChangeTopic>(t));
        }
      }
    }
  }
}

}  // namespace mcpgate::store::pg
