#pragma once
// Session-era (2024-11-05 … 2025-11-25) state: one Session per Mcp-Session-Id, kept in a
// SessionTable with idle expiry and a cap. All members are thread-safe: requests of one session
// arrive on different connections (strands).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mcp/json_io.hpp"
#include "mcp/stream.hpp"

namespace mcpgate::mcp {

// A server→client request waiting for the client's JSON-RPC response (POSTed back to us).
struct PendingClientRequest {
  explicit PendingClientRequest(std::shared_ptr<Notifier> n) : notifier(std::move(n)) {}

  std::shared_ptr<Notifier> notifier;
  std::mutex mu;
  std::optional<Json> response;  // the whole JSON-RPC response message
};

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  Session(std::string id,
          std::string protocol_version,
          Json client_capabilities,
          Json client_info,
          std::string subject,
          size_t max_stream_events,
          Json attachments = Json::object());

  const std::string& id() const { return id_; }

  // State an EndpointOptions::session_hooks implementation attached when the session opened
  // (the gateway: this client's own upstream session ids); sealed into a sealed id.
  const Json& attachments() const { return attachments_; }

  const std::string& protocol_version() const { return protocol_version_; }

  const Json& client_capabilities() const { return client_capabilities_; }

  const Json& client_info() const { return client_info_; }

  // The authenticated subject the session was created for ("" without authentication).
  const std::string& subject() const { return subject_; }

  void mark_initialized() { initialized_ = true; }

  bool initialized() const { return initialized_; }

  // logging/setLevel threshold (default "debug": everything).
  void set_log_level(std::string level);
  std::string log_level() const;

  void subscribe(const std::string& uri);
  void unsubscribe(const std::string& uri);
  bool subscribed(const std::string& uri) const;

  // The standalone (GET) stream for messages not tied to a request.
  const std::shared_ptr<EventStream>& standalone() const { return standalone_; }

  // A new response stream for a POSTed request; remembered for Last-Event-ID resumption (the
  // oldest finished ones are forgotten beyond a small bound).
  std::shared_ptr<EventStream> new_stream();
  std::shared_ptr<EventStream> find_stream(const std::string& stream_id) const;

  // In-flight client requests, for notifications/cancelled.
  std::shared_ptr<std::atomic<bool>> begin_request(const std::string& request_key);
  void end_request(const std::string& request_key);
  void cancel_request(const std::string& request_key);

  // Server→client requests.
  std::pair<int64_t, std::shared_ptr<PendingClientRequest>> begin_client_request(
      std::shared_ptr<Notifier> notifier);
  void end_client_request(int64_t id);
  // Routes a client's JSON-RPC response; false when no request with that id is waiting.
  bool resolve_client_request(const Json& id, Json message);

  void touch();
  bool idle_since(Clock::time_point deadline) const;
  // Ends the session: streams are killed and waiters woken.
  void close();

  bool closed() const { return closed_; }

 private:
  const std::string id_;
  const std::string protocol_version_;
  const Json client_capabilities_;
  const Json client_info_;
  const std::string subject_;
  const size_t max_stream_events_;
  const Json attachments_;
  std::atomic<bool> initialized_{false};
  std::atomic<bool> closed_{false};

  mutable std::mutex mu_;
  std::string log_level_ = "debug";
  std::set<std::string> subscriptions_;
  std::shared_ptr<EventStream> standalone_;
  std::vector<std::shared_ptr<EventStream>> streams_;
  uint64_t next_stream_ = 1;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> in_flight_;
  std::map<int64_t, std::shared_ptr<PendingClientRequest>> pending_;
  int64_t next_client_request_ = 1;
  Clock::time_point last_active_ = Clock::now();
};

class SessionTable {
 public:
  SessionTable(size_t max_sessions, std::chrono::seconds idle_timeout);

  // What a new or resumed session starts with. `id` "" = a fresh random id.
  struct NewSession {
    std::string id;
    std::string protocol_version;
    Json client_capabilities = Json::object();
    Json client_info = Json::object();
    std::string subject;
    Json attachments = Json::object();
    size_t max_stream_events = 1024;
  };

  // Adds a session; nullptr when the table is full (call has_room() first: it expires idle
  // sessions). When a session with that id exists already (two requests resuming it at once),
  // that one is returned.
  std::shared_ptr<Session> create(NewSession fresh);
  // Expires idle sessions; whether a create() would find room now.
  bool has_room();
  std::shared_ptr<Session> find(const std::string& id);
  // Removes and closes the session; false when unknown.
  bool remove(const std::string& id);
  // Remembers that the client ended `id` (DELETE) until `until` (steady clock), so a sealed id
  // is not resumed by this process afterwards.
  void mark_terminated(const std::string& id, Session::Clock::time_point until);
  bool terminated(const std::string& id) const;
  std::vector<std::shared_ptr<Session>> all() const;
  size_t size() const;
  // Closes sessions idle for longer than the timeout.
  void expire_idle();

 private:
  const size_t max_sessions_;
  const std::chrono::seconds idle_timeout_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::map<std::string, Session::Clock::time_point> terminated_;
};

}  // namespace mcpgate::mcp
