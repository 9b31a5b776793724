#pragma once
// In-process MCP tools: a descriptor (the MCP Tool object) and a handler. Tool sets (src/tools)
// register them in a Registry; the protocol layer lists and calls them.
//
// Contract for handlers:
//  - `arguments` has already been checked to be a JSON object and validated against the tool's
//    inputSchema (with schema defaults filled in) by the protocol layer before the call;
//  - return a CallToolResult JSON object ({"content":[...], "structuredContent"?: {...},
//    "isError"?: true}) for success AND for tool-level failures (isError: true, clear text);
//    in the 2026-07-28 era a handler may instead return an InputRequiredResult
//    (input_required_result()); the protocol layer adds `resultType` and protects `requestState`;
//  - return an Error only for protocol-level failures (kInvalidArgument → -32602, ...), or
//    url_elicitation_required() when the user must first complete a step in the browser;
//
// Threading: a handler runs on the executor of the HTTP exchange that carried the request. It may
// co_await; the ToolContext stays valid until the handler's awaitable completes.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/asio.hpp"
#include "mcp/access.hpp"

namespace mcpgate::mcp {

using Json = nlohmann::json;

// Which protocol generation serves the current request.
enum class Era {
  kSession,    // 2024-11-05 … 2025-11-25: initialize handshake, Mcp-Session-Id, SSE requests
  kStateless,  // 2026-07-28: per-request _meta, MRTR instead of server→client requests
};

// What a running tool may do besides returning its result. Valid until the handler returns.
// Implemented by the protocol layer; tests use a fake.
class ToolContext {
 public:
  virtual ~ToolContext() = default;

  // notifications/progress on the request's progressToken (no-op when the client sent none).
  virtual asio::awaitable<void> progress(double progress,
                                         std::optional<double> total,
                                         std::string message) = 0;
  // notifications/message at `level` ("debug".."emergency"), filtered by the client's level.
  virtual asio::awaitable<void> log(std::string level, Json data) = 0;
  // True once the client cancelled the request (notifications/cancelled or closed stream).
  virtual bool cancelled() const = 0;

  // The same as a shared flag, for work that may outlive this context (null: never set).
  virtual std::shared_ptr<const std::atomic<bool>> cancellation() const { return nullptr; }

  // Authenticated subject ("" when the endpoint has no authentication).
  virtual const std::string& subject() const = 0;

  // The authenticated caller (user, client, scopes); null without authentication.
  virtual const Caller* caller() const { return nullptr; }

  // --- Protocol details (defaults suit fakes in unit tests). ---

  virtual Era era() const { return Era::kSession; }

  // The negotiated (session era) or declared (stateless era) protocol version.
  virtual const std::string& protocol_version() const;
  // The client's capabilities object ({} when it declared none).
  virtual const Json& client_capabilities() const;
  // Session era: sends a server→client request (sampling/createMessage, elicitation/create,
  // roots/list) on the request's SSE stream and waits for the client's response. Fails with
  // kFailedPrecondition when the client did not declare the capability, or in the stateless era
  // (use an InputRequiredResult there).
  virtual asio::awaitable<Result<Json>> request_client(std::string method, Json params);
  // Stateless era (MRTR): the `inputResponses` object of the retried request (null when absent)
  // and the verified `requestState` this server issued in the previous round (nullopt when absent).
  virtual const Json& input_responses() const;
  virtual const std::optional<std::string>& request_state() const;

  // Session era: the client's Mcp-Session-Id ("" otherwise) and what SessionHooks attached
  // to the session when it opened ({} otherwise). The gateway finds the client's own upstream
  // sessions there.
  virtual const std::string& session_id() const;
  virtual const Json& session_attachments() const;

  // Session era: ends the HTTP response stream of this request now (the client reconnects with
  // Last-Event-ID and receives the rest). Used to exercise SSE resumability.
  virtual void close_stream() {}
};

using ToolHandler = std::function<asio::awaitable<Result<Json>>(Json arguments, ToolContext& ctx)>;

// What a raw handler returns: a CallToolResult either as JSON or as text to send as it is. A
// gateway forwards its upstream's result this way, without parsing it into a DOM and
// serialising it again.
struct ToolOutput {
  Json result;  // used when `raw` is empty
  // A CallToolResult object's JSON text, spliced into the response unchanged. The handler
  // vouches for it: well-formed JSON, an object with a `content` array, no `resultType` and no
  // ambiguous (escaped or duplicate) top-level keys.
  std::string raw;
  bool raw_is_error = false;  // the raw object's `isError` is true
};
using RawToolHandler =
    std::function<asio::awaitable<Result<ToolOutput>>(Json arguments, ToolContext& ctx)>;

struct Tool {
  Json descriptor;  // name, title?, description, inputSchema, outputSchema?, annotations?, ...
  ToolHandler handler;
  // The MCP server the tool belongs to, for authorization (policy objects `tool:{server}/{name}`):
  // the upstream's name for a federated tool, the tool set's server name for a built-in one.
  std::string server{};
  // The tool's name in authorization objects (`tool:{server}/{policy_name}`) when it differs
  // from the listed name: a federated tool's name at its upstream ("echo", not "up__echo").
  std::string policy_name{};
  // Client capabilities the tool needs, e.g. {"sampling": {}}. A stateless-era call that lacks
  // one is rejected with MissingRequiredClientCapabilityError (-32021) before the handler runs.
  Json required_client_capabilities = Json::object();
  // Only listed and callable in the stateless (2026-07-28) era.
  bool stateless_only = false;
  // Optional; when set, tools/call runs it instead of `handler` (which must give the same
  // answer as JSON, for callers that want one).
  RawToolHandler raw_handler{};
  // Set by Registry::add_tool from descriptor.inputSchema (whatever the caller put here is
  // replaced): every JSON object is valid and gets no defaults, so tools/call need not walk the
  // schema for an object of arguments.
  bool input_accepts_any_object = false;
};

// A call that cannot proceed until the user completes an out-of-band step at a URL (MCP
// 2025-11-25 URL-mode elicitation, client/elicitation.mdx; e.g. connecting a SaaS account).
// A handler returns url_elicitation_required(...) as its Error (kFailedPrecondition). The
// endpoint answers a session-era client that declared the `elicitation.url` capability with
// JSON-RPC error -32042 (URLElicitationRequiredError), data {"elicitations": [{"mode": "url",
// "elicitationId", "url", "message"}]}; any other client gets a tool error (isError) whose text
// is the Error's message, so that message must name the URL too.
struct UrlElicitation {
  std::string elicitation_id;  // unique per elicitation (for notifications/elicitation/complete)
  std::string url;             // what the user opens
  std::string message;         // why, for the user
};

struct UrlElicitationRequired final : ErrorDetail {
  std::vector<UrlElicitation> elicitations;  // at least one
};

Error url_elicitation_required(std::string message, std::vector<UrlElicitation> elicitations);
// The detail when `error` carries one (null otherwise).
const UrlElicitationRequired* url_elicitation_of(const Error& error);

// Helpers for building CallToolResult objects.
Json text_content(std::string text);
Json tool_result_text(std::string text);
Json tool_error(std::string text);  // {"content":[text], "isError": true}
// {"resultType":"input_required","inputRequests":{...},"requestState"?: state}.
Json input_required_result(Json input_requests,
                           std::optional<std::string> request_state = std::nullopt);

}  // namespace mcpgate::mcp
