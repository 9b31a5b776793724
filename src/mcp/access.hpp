#pragma once
// Access control seen from the MCP endpoint: who is calling (Caller) and what they may do
// (AccessPolicy). The endpoint knows nothing about OAuth; the app plugs in an implementation
// (src/oauth/bearer_guard.hpp) when `auth:` is on. Without one, every request is anonymous and
// every tool is visible and callable.
//
// Order inside Endpoint::handle: DNS-rebinding check, then authenticate(), then the protocol.
// A tools/call whose tool the caller may not call is answered by forbid_tool() before any
// session or tool code runs; tools/list shows only the tools may_call() allows.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <optional>

#include <nlohmann/json.hpp>

#include "http/asio.hpp"
#include "http/message.hpp"

namespace mcpgate::mcp {

// The authenticated caller of one request.
struct Caller {
  std::string subject;              // the user (token `sub`)
  std::string client_id;            // the agent / OAuth client acting for the user
  std::vector<std::string> scopes;  // granted scopes, as the token lists them
  std::string org_id;               // the user's organization (token `org_id`)
};

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;

  // The caller of an HTTP request to the MCP path, or the complete response refusing it
  // (400 for a malformed or duplicated credential, 401 with a WWW-Authenticate challenge for a
  // missing or invalid one). Called on a network thread: must not block.
  virtual std::variant<Caller, http::Response> authenticate(const http::Request& request) const = 0;

  // Checks of an authenticated caller that may need the store (so they run as a coroutine,
  // after authenticate() and before anything else): nothing, or the response refusing the
  // request. The default has nothing to check.
  virtual asio::awaitable<std::optional<http::Response>> confirm(const Caller& caller) const {
    (void)caller;
    co_return std::nullopt;
  }

  // Whether `caller` may call the tool named `tool` (also decides tools/list visibility).
  virtual bool may_call(const Caller& caller, std::string_view tool) const = 0;

  // The response for a tools/call of `tool` that may_call() refused (403 insufficient_scope
  // naming what a token would need). The endpoint adds nothing to it.
  virtual http::Response forbid_tool(const Caller& caller, std::string_view tool) const = 0;
};

struct Tool;  // tool.hpp

// One tools/call as the tool-level authorizer sees it: after authentication, after the scope
// check above, after the arguments were validated against the tool's inputSchema (defaults
// filled in), before any tool code runs.
struct ToolCall {
  const Caller* caller = nullptr;            // null when the endpoint has no authentication
  const Tool* tool = nullptr;                // descriptor (name, inputSchema) and server
  const nlohmann::json* arguments = nullptr;  // validated object, defaults filled in
  std::string_view source_ip;                // peer address of the HTTP request
};

struct ToolDecision {
  bool allowed = false;
  std::string decision_id;  // correlates the client's error with the decision log
  std::string message;      // for the client: clear and non-leaky ("tool x is not permitted ...")
};

// Fine-grained, per-call authorization (src/policy binds the authz engine here). Called on a
// network thread: must not block (microseconds). Any doubt denies.
class ToolAuthorizer {
 public:
  virtual ~ToolAuthorizer() = default;

  virtual ToolDecision authorize_call(const ToolCall& call) const = 0;

  // For each of `tools`, whether tools/list shows it to `caller` (null without authentication).
  // One call per list, so what depends only on the caller is worked out once. A tool whose
  // decision depends on arguments not known at list time counts as visible; the call decides.
  virtual std::vector<bool> may_list(const Caller* caller, const std::vector<Tool>& tools) const = 0;
};

// Quotas on tools/call (calls per minute, concurrent calls) per user, client and tool. Called on
// a network thread after authorization, before the tool runs: must not block.
class CallLimiter {
 public:
  virtual ~CallLimiter() = default;

  struct Refusal {
    std::string rule;  // which limit refused (for the caller and the audit)
    std::chrono::milliseconds retry_after{1000};
  };
  // Admits the call — the returned token holds its concurrency slot until destroyed — or
  // refuses it.
  virtual std::variant<std::shared_ptr<void>, Refusal> admit(const ToolCall& call) const = 0;
};

// One finished tools/call for the audit trail: refused at the gate (decision "deny", the tool
// never ran) or run (decision "allow", with the tool's outcome). Built only when an audit sink
// is configured.
struct CallRecord {
  const Caller* caller = nullptr;             // null without authentication
  const Tool* tool = nullptr;                 // server and policy name
  const nlohmann::json* arguments = nullptr;  // as validated (defaults filled in)
  std::string_view request_id;                // the HTTP request id (X-Request-Id)
  std::string_view decision;                  // "allow" | "deny"
  std::string_view decision_id;               // the authorizer's id, when it gave one
  std::string_view reason;                    // why a deny
  // "ok" | "tool_error" (isError result) | "error" (protocol error) | "not_called"
  std::string_view outcome;
  std::int64_t started_unix_ms = 0;
  std::int64_t latency_us = 0;
  std::int64_t result_bytes = 0;
};

// Receives every CallRecord; must not block (queue and return).
class CallAudit {
 public:
  virtual ~CallAudit() = default;
  virtual void record(const CallRecord& call) const = 0;
};

}  // namespace mcpgate::mcp
