#pragma once
// An upstream MCP server reached over Streamable HTTP (MCP 2025-11-25 transport): every message
// is a POST; the answer is a JSON body, an SSE stream that carries the request's notifications,
// server→client requests and finally its response, or 202 for notifications and responses.
// A stream the server ends before the response (SSE polling) is resumed with GET and
// Last-Event-ID. The gateway's own upstream session (Mcp-Session-Id) serves list reads and
// callers without a session; a client's session-era calls go on a session of that client's own
// (CallHooks::own_session). When the upstream forgets a session (404), it is re-initialized
// and the call sent again (it never ran).
//
// Connections are kept alive and pooled: a tools/call costs no TCP handshake.
// Plain http:// only for now (https:// upstreams are refused at configuration).

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/upstream.hpp"
#include "http/address_policy.hpp"
#include "http/client.hpp"

namespace mcpgate::gateway {

struct HttpUpstreamOptions {
  std::string name;
  std::string url;
  // Sent on every request (e.g. Authorization or an API key header); values are secrets and
  // never logged.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_message_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t max_idle_connections = 32;
  // Operator-configured upstreams may be private or loopback addresses.
  http::AddressPolicy address_policy = http::AddressPolicy::kAny;
  // OAuth upstreams: the Authorization value for the gateway's shared session (initialize and
  // list reads), asked for on every such request; an error fails the request. Unset = none.
  std::function<asio::awaitable<Result<std::string>>()> shared_authorization;
};

class HttpUpstream final : public Upstream, public std::enable_shared_from_this<HttpUpstream> {
 public:
  static Result<std::shared_ptr<HttpUpstream>> create(asio::any_io_executor executor,
                                                      HttpUpstreamOptions options);
  ~HttpUpstream() override;

  const std::string& name() const override { return options_.name; }

  asio::awaitable<Status> ensure_ready() override;
  Json initialize_result() const override;
  asio::awaitable<Result<Json>> request(std::string method,
                                        Json params,
                                        CallHooks hooks,
                                        std::chrono::milliseconds timeout) override;
  asio::awaitable<Result<RawResponse>> request_raw(std::string method,
                                                   std::string params_json,
                                                   CallHooks hooks,
                                                   std::chrono::milliseconds timeout) override;
  asio::awaitable<Status> notify(std::string method, Json params) override;
  asio::awaitable<Result<std::string>> open_session(Json client_capabilities) override;
  asio::awaitable<void> close_session(std::string session) override;
  void set_unsolicited_handler(UnsolicitedHandler handler) override;
  void shutdown() override;

  struct Connection;
  struct Exchange;
  // One message to send: its text, and what post() needs to know about it.
  struct Outgoing {
    std::string body;    // the serialised JSON-RPC message
    std::string method;  // "" for a response
    Json id;             // null for a notification or a response
    bool is_request() const { return !method.empty() && !id.is_null(); }
  };
  static Outgoing outgoing(const Json& message);
  struct CancelWatch;

 private:
  HttpUpstream(asio::any_io_executor executor, HttpUpstreamOptions options, http::Url url);

  // The initialize handshake; `stale` is the session a 404 proved gone ("" at start). Two
  // calls that lose the session at once may both re-initialize: the later session wins.
  asio::awaitable<Status> initialize(std::string stale);
  // One POST of `message` and everything that comes back for it. `own` names the upstream
  // session to use ("" = none yet, e.g. the initialize that opens one: its id is stored in
  // `opened`); nullopt = the shared session.
  // A request whose caller cancels (hooks->cancelled) or that runs out of time is abandoned
  // and the upstream told with notifications/cancelled.
  asio::awaitable<Result<RawResponse>> post(const Outgoing& message,
                                     const CallHooks* hooks,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::optional<std::string> own = std::nullopt,
                                     std::string* opened = nullptr,
                                     std::string authorization = {});
  // One exchange of post(); `watch` (may be null) learns the connection in use.
  asio::awaitable<Result<RawResponse>> post_once(const Outgoing& message,
                                          const CallHooks* hooks,
                                          std::chrono::steady_clock::time_point deadline,
                                          std::optional<std::string> own,
                                          std::string* opened,
                                          CancelWatch* watch,
                                          const std::string& authorization);
  // open_session() with an Authorization value (the calling user's, OAuth upstreams).
  asio::awaitable<Result<std::string>> open_session_as(Json client_capabilities,
                                                       std::string authorization);
  // A request on a client's own upstream session (opened on use; re-opened once after a 404).
  asio::awaitable<Result<RawResponse>> request_own(const Outgoing& message,
                                            CallHooks& hooks,
                                            std::chrono::steady_clock::time_point deadline);
  // The upstream session a client's sealed id maps to here: a replacement made after its own
  // was lost, else the sealed one.
  std::string own_session_for(const OwnSession& own) const;
  // Cancellation watching (CancelWatch in the .cpp): one loop per upstream, running while any
  // watched exchange is in flight.
  void watch_start(std::shared_ptr<CancelWatch> watch);
  void watch_end(const CancelWatch* watch);
  static asio::awaitable<void> watch_loop(std::shared_ptr<HttpUpstream> self);
  void remember_replacement(std::string_view key, std::string session);
  asio::awaitable<Result<std::unique_ptr<Connection>>> connect(
      std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<Connection> take_idle();
  void give_back(std::unique_ptr<Connection> connection);
  // Dispatches one message that arrived on a stream; the response to `id` ends the exchange.
  asio::awaitable<void> on_message(Json message, const CallHooks* hooks, Exchange& exchange);
  std::string session_id() const;

  asio::any_io_executor executor_;
  HttpUpstreamOptions options_;
  http::Url url_;
  std::atomic<std::int64_t> next_id_{1};

  mutable std::mutex mu_;
  std::string session_id_;
  std::string protocol_version_;
  Json initialize_result_;
  bool ready_ = false;
  bool shut_down_ = false;
  UnsolicitedHandler unsolicited_;
  std::vector<std::unique_ptr<Connection>> idle_;
  // Client session → the upstream session that replaced its sealed one (bounded, oldest first
  // out; a forgotten entry costs one more re-open).
  std::unordered_map<std::string, std::string> replaced_;
  std::deque<std::string> replaced_order_;
  std::mutex watch_mu_;
  std::vector<std::shared_ptr<CancelWatch>> watches_;
  bool watcher_running_ = false;
};

}  // namespace mcpgate::gateway
