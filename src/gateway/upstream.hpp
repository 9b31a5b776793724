#pragma once
// The client side of one upstream MCP server: a JSON-RPC connection over Streamable HTTP
// (http_upstream) or a supervised child's stdio (stdio_upstream). The gateway speaks the
// session-era protocol (2025-11-25, falling back to what the upstream negotiates) to upstreams.
//
// Error contract of request() (the call pipeline's retry rules depend on it):
//   kUnavailable        the request provably did not reach the upstream (connection refused,
//                       child not running, upstream session gone): safe to retry
//   kDeadlineExceeded   no response in time (the upstream may have acted)
//   kInternal           the exchange broke after the request was sent: connection lost,
//                       malformed response (garbage JSON, wrong id), an HTTP error status
//   kResourceExhausted  the response was over the size limit
//   kFailedPrecondition the upstream answered HTTP 502, 503 or 504 (it may or may not have
//                       acted: only read-only tools are retried)
//   kCancelled          the caller cancelled (CallHooks::cancelled); the upstream was told
// On kDeadlineExceeded and kCancelled the upstream gets notifications/cancelled (best effort).
// A JSON-RPC error response is NOT an Error: request() returns the response message
// ({"result": ...} or {"error": {...}}) as the upstream sent it.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/asio.hpp"

namespace mcpgate::gateway {

using Json = nlohmann::json;

// The caller's own session at an upstream. An HTTP upstream gives each client session of the
// gateway a session of its own (opened when the client's session opens, its id sealed into the
// client's Mcp-Session-Id), so upstream session state never mixes users and any gateway
// process continues it. A stdio upstream has one connection: it ignores this.
// Views into the calling client's session (ToolContext), which outlives the request: built on
// every forwarded call, so nothing is copied.
struct OwnSession {
  std::string_view key;     // the client's gateway session id
  std::string_view sealed;  // the upstream session id it carries ("" = none yet: opened on use)
  const Json* client_capabilities = nullptr;  // declared upstream when a session is opened
};

// What the gateway does with the messages an upstream sends while one of its requests runs.
struct CallHooks {
  // notifications/progress for this request's progress token, notifications/message, ...
  std::function<asio::awaitable<void>(Json notification)> on_notification;
  // A server→client request (sampling/createMessage, elicitation/create, roots/list) made while
  // this request runs; returns the result to send back, or an Error (sent as a JSON-RPC error).
  std::function<asio::awaitable<Result<Json>>(std::string method, Json params)> on_request;
  // Whose session carries the request; nullopt = the gateway's shared session.
  std::optional<OwnSession> own_session;
  // Set once the caller cancelled (looked at every kCancelPoll while the request runs): the
  // request is abandoned (kCancelled) and the upstream told with notifications/cancelled.
  // Shared, so a watcher never outlives what it reads.
  std::shared_ptr<const std::atomic<bool>> cancelled;
  // The Authorization header value for this request ("Bearer <the caller's upstream token>",
  // OAuth upstreams only; "" = none). Never the caller's token to the gate.
  std::string authorization;
};

// How often a running request looks at CallHooks::cancelled.
inline constexpr std::chrono::milliseconds kCancelPoll{100};

// A response as received (Upstream::request_raw). When the response was a plain success --
// an object with unambiguous keys (json_outline.hpp), the request's id, a `result` and neither
// `error` nor `method` -- it is kept as text, checked well-formed but not parsed, so the result
// can be forwarded as the bytes the upstream sent. Anything else is parsed into `message`.
struct RawResponse {
  std::string text;  // the response's text ("" = see `message`)
  std::size_t result_begin = 0;  // where its `result` value is in `text`
  std::size_t result_size = 0;
  Json message;  // the parsed response when `text` is empty (null for a 202)

  std::string_view result_text() const {
    return std::string_view(text).substr(result_begin, result_size);
  }
  // The response as a parsed message either way.
  Json to_message() &&;
};

// Notifications that belong to no request (list_changed, resources/updated).
using UnsolicitedHandler = std::function<void(const Json& notification)>;

class Upstream {
 public:
  virtual ~Upstream() = default;

  // The upstream's name (config) and what its initialize result said.
  virtual const std::string& name() const = 0;
  // Connects (or starts the child) and runs the initialize handshake when not yet done.
  virtual asio::awaitable<Status> ensure_ready() = 0;
  // The upstream's InitializeResult (capabilities, serverInfo, protocolVersion); null before.
  virtual Json initialize_result() const = 0;

  virtual asio::awaitable<Result<Json>> request(std::string method,
                                                Json params,
                                                CallHooks hooks,
                                                std::chrono::milliseconds timeout) = 0;
  // request() with `params` already serialised (a JSON object's text), answered as received.
  // The default parses both ways; an HTTP upstream sends the text and keeps a plain success
  // unparsed (the tools/call path: no DOM for the upstream's request or its answer).
  virtual asio::awaitable<Result<RawResponse>> request_raw(std::string method,
                                                           std::string params_json,
                                                           CallHooks hooks,
                                                           std::chrono::milliseconds timeout);
  virtual asio::awaitable<Status> notify(std::string method, Json params) = 0;

  // A new upstream session for one client (OwnSession): its id, or "" when this upstream has no
  // per-client sessions (stdio; an HTTP server that issues no session id).
  virtual asio::awaitable<Result<std::string>> open_session(Json client_capabilities) = 0;
  // Ends such a session (the client ended its own). Failures are only logged.
  virtual asio::awaitable<void> close_session(std::string session) = 0;

  // Where unsolicited notifications go (set once, before ensure_ready()).
  virtual void set_unsolicited_handler(UnsolicitedHandler handler) = 0;
  // Stops background work (streams, the child process). Idempotent.
  virtual void shutdown() = 0;
};

// The client capabilities the gateway declares upstream: what it can relay downstream.
Json gateway_client_capabilities();
// What it declares for one client's own session: the client's capabilities it can relay.
Json relayable_capabilities(const Json& client_capabilities);
// The protocol version the gateway asks upstreams for.
inline constexpr const char* kUpstreamProtocolVersion = "2025-11-25";

// True for a JSON-RPC response message (has "result" or "error" and an id, no method).
bool is_response(const Json& message);

}  // namespace mcpgate::gateway
