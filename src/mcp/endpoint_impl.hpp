#pragma once
// Internal to src/mcp: the state behind Endpoint, shared by the transport part (endpoint.cpp)
// and the JSON-RPC method handlers (methods.cpp).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mcp/endpoint.hpp"
#include "mcp/json_io.hpp"
#include "mcp/session.hpp"
#include "mcp/stream.hpp"

namespace mcpgate::mcp {

// JSON-RPC / MCP error codes.
namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerError = -32000;  // transport-level failures (session-era SDK usage)
inline constexpr int kSessionNotFound = -32001;
inline constexpr int kResourceNotFound = -32002;  // session era
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
// URLElicitationRequiredError (2025-11-25): the user must first complete the URL-mode
// elicitations in data.elicitations (tool.hpp url_elicitation_required()).
inline constexpr int kUrlElicitationRequired = -32042;
// A tools/call the tool-level authorizer denied (access.hpp ToolAuthorizer). Outside both the
// JSON-RPC reserved range (-32768..-32000) and MCP's, so no client mistakes it for a protocol
// failure; the digits echo HTTP 403. data: {"tool", "decisionId"}.
inline constexpr int kToolCallForbidden = -31403;
inline constexpr int kUnsupportedProtocolVersion = -32022;
// A tools/call over a quota (access.hpp CallLimiter): outside the reserved ranges like
// kToolCallForbidden, echoing HTTP 429. data: {"tool", "limit", "retryAfterMs"}.
inline constexpr int kQuotaExceeded = -31429;
}  // namespace rpc

struct RpcError {
  int code = rpc::kInternalError;
  std::string message;
  Json data;  // null = absent
  // HTTP status when the error is the whole response (stateless era; JSON response).
  http::StatusCode status = http::StatusCode::ok;
};

struct Reply {
  std::optional<Json> result;
  // A result already serialised (ToolOutput::raw), sent instead of `result`.
  std::optional<std::string> raw_result;
  std::optional<RpcError> error;
  bool suppressed = false;  // cancelled: send nothing

  static Reply ok(Json r) {
    Reply reply;
    reply.result = std::move(r);
    return reply;
  }

  static Reply fail(RpcError e) {
    Reply reply;
    reply.error = std::move(e);
    return reply;
  }

  static Reply fail(int code,
                    std::string message,
                    Json data = nullptr,
                    http::StatusCode status = http::StatusCode::ok) {
    return fail(RpcError{code, std::move(message), std::move(data), status});
  }
};

// Everything a method handler needs to know about one request.
struct RequestScope {
  Era era = Era::kSession;
  std::shared_ptr<Session> session;  // session era only
  Json id;
  std::string id_text;  // `id` serialised once: the session's request key and the response's id
  std::string method;
  // Both set by whoever makes the scope (null until then: an empty object would be allocated
  // only to be replaced on every request).
  Json params;
  std::string protocol_version;
  Json client_capabilities;
  std::optional<Json> progress_token;
  std::optional<std::string> log_level;  // stateless era: _meta logLevel; nullopt = no logs
  std::string subject;                   // session binding key: "" or "<sub>\n<client_id>"
  std::shared_ptr<const Caller> caller;  // null without authentication
  std::string source_ip;                 // peer address of the HTTP request
  std::string request_id;                // the HTTP request id (X-Request-Id)
  std::shared_ptr<EventStream> stream;
  // Set by whoever makes the scope: the session's flag for the request id, or a fresh one.
  std::shared_ptr<std::atomic<bool>> cancelled;
  bool can_stream = true;  // the client accepts text/event-stream
};

// A stateless-era subscriptions/listen stream.
struct Listen {
  Json subscription_id;
  bool tools = false;
  bool prompts = false;
  bool resources = false;
  std::set<std::string> uris;
  std::shared_ptr<EventStream> stream;
};

struct Endpoint::Impl : std::enable_shared_from_this<Endpoint::Impl> {
  Impl(EndpointOptions opts, std::shared_ptr<Registry> reg);

  EndpointOptions options;
  std::shared_ptr<Registry> registry;
  SessionTable sessions;
  const std::string state_key;  // HMAC key for MRTR requestState, per process
  uint64_t listener_id = 0;

  std::mutex listens_mu;
  std::vector<std::shared_ptr<Listen>> listens;

  // methods.cpp
  asio::awaitable<Reply> dispatch(RequestScope& scope);
  Json server_capabilities(Era era) const;
  Json server_info() const;
  // MRTR requestState protection, bound to the request's method, primitive name and subject.
  std::string seal_state(const RequestScope& scope,
                         const std::string& name,
                         const std::string& state) const;
  std::optional<std::string> open_state(const RequestScope& scope,
                                        const std::string& name,
                                        const std::string& sealed) const;

  // endpoint.cpp
  void on_change(const ChangeEvent& event);
};

// The ToolContext handed to tools, prompts and resource readers.
class CallContext final : public ToolContext {
 public:
  CallContext(Endpoint::Impl& impl, RequestScope& scope) : impl_(impl), scope_(scope) {}

  asio::awaitable<void> progress(double progress,
                                 std::optional<double> total,
                                 std::string message) override;
  asio::awaitable<void> log(std::string level, Json data) override;

  bool cancelled() const override { return scope_.cancelled->load(); }

  std::shared_ptr<const std::atomic<bool>> cancellation() const override {
    return scope_.cancelled;
  }

  const std::string& subject() const override {
    static const std::string kAnonymous;
    return scope_.caller ? scope_.caller->subject : kAnonymous;
  }

  const Caller* caller() const override { return scope_.caller.get(); }

  Era era() const override { return scope_.era; }

  const std::string& protocol_version() const override { return scope_.protocol_version; }

  const Json& client_capabilities() const override { return scope_.client_capabilities; }

  asio::awaitable<Result<Json>> request_client(std::string method, Json params) override;

  const Json& input_responses() const override { return input_responses_; }

  const std::optional<std::string>& request_state() const override { return request_state_; }

  const std::string& session_id() const override {
    static const std::string kNone;
    return scope_.session ? scope_.session->id() : kNone;
  }

  const Json& session_attachments() const override {
    static const Json kNone = Json::object();
    return scope_.session ? scope_.session->attachments() : kNone;
  }

  void close_stream() override;

  void set_mrtr(Json input_responses, std::optional<std::string> request_state) {
    input_responses_ = std::move(input_responses);
    request_state_ = std::move(request_state);
  }

 private:
  void send(const Json& message);

  Endpoint::Impl& impl_;
  RequestScope& scope_;
  Json input_responses_;
  std::optional<std::string> request_state_;
};

// "debug" → 0 … "emergency" → 7; -1 for unknown names.
int log_level_rank(std::string_view level);

// The one place a Result error returned by a tool / reader / prompt becomes a JSON-RPC error.
// An error carrying a UrlElicitationRequired detail becomes -32042 with its elicitations when the
// request's client takes URL elicitation (client_takes_url_elicitation()); otherwise it maps by
// its code like any other.
RpcError rpc_error_from(const Error& error, const RequestScope& scope);

// Session era and the client declared `elicitation: {url: {}}` at initialize. (-32042 is a
// 2025-11-25 code; the stateless era carries client input through MRTR instead.)
bool client_takes_url_elicitation(const RequestScope& scope);

}  // namespace mcpgate::mcp
