#pragma once
// Endpoint: one MCP endpoint (Streamable HTTP) serving both protocol eras on the same path.
//
//  - 2024-11-05 … 2025-11-25 ("session era"): initialize handshake, Mcp-Session-Id, POST answered
//    as JSON or SSE, GET standalone SSE stream, DELETE, Last-Event-ID resumption on the same
//    stream, server→client requests on the request's SSE stream.
//  - 2026-07-28 ("stateless era"): per-request _meta, server/discover, Mcp-Method/Mcp-Name header
//    validation, resultType/caching hints, MRTR with HMAC-protected requestState,
//    subscriptions/listen; GET/DELETE answered 405.
// A request carrying the modern _meta (or a modern MCP-Protocol-Version without a session) is
// served statelessly; `initialize` selects the session era.
//
// handle() is the http::Handler for the MCP path; the transport has already enforced the body
// size limit. It also applies the DNS-rebinding defence (Origin, and Host on loopback binds).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/asio.hpp"
#include "http/exchange.hpp"
#include "mcp/access.hpp"
#include "mcp/registry.hpp"
#include "mcp/session_hooks.hpp"
#include "mcp/session_seal.hpp"

namespace mcpgate::mcp {

// Protocol versions.
inline constexpr const char* kLatestSessionVersion = "2025-11-25";
inline constexpr const char* kStatelessVersion = "2026-07-28";
bool is_session_era_version(std::string_view version);
bool is_stateless_era_version(std::string_view version);

struct EndpointOptions {
  std::string server_name = "mcpgate";
  std::string server_version;
  std::string instructions;
  // Origins (scheme://host[:port], compared case-insensitively) allowed besides same-origin
  // loopback pages. A request with any other Origin gets 403.
  std::vector<std::string> allowed_origins;
  size_t max_sessions = 10000;
  std::chrono::seconds session_idle_timeout{30 * 60};
  // Items per tools/list, prompts/list, resources/list, resources/templates/list page.
  size_t page_size = 100;
  // Events kept per SSE stream for delivery and Last-Event-ID replay.
  size_t max_stream_events = 1024;
  size_t max_json_depth = 64;
  // SSE `retry:` sent with the priming event (session era).
  std::chrono::milliseconds sse_retry{1000};
  // SSE comment sent on quiet streams.
  std::chrono::seconds keepalive_interval{15};
  // How long a tool waits for the client's answer to sampling/elicitation/roots requests.
  std::chrono::seconds client_request_timeout{300};
  // ttlMs on cacheable stateless-era results (lists, server/discover).
  int64_t list_ttl_ms = 60000;
  bool enable_session_era = true;
  bool enable_stateless_era = true;
  // Authentication and tool-level authorization (access.hpp); null = anonymous, all tools.
  // Sessions are bound to the (subject, client) that created them.
  std::shared_ptr<const AccessPolicy> access;
  // Per-call authorization with the tool's arguments (access.hpp); null = none. A denial is a
  // JSON-RPC error (kToolCallForbidden) and the session stays usable.
  std::shared_ptr<const ToolAuthorizer> authorizer;
  // Quotas on tools/call (access.hpp CallLimiter); null = none.
  std::shared_ptr<const CallLimiter> limiter;
  // The audit trail of tools/call (access.hpp CallAudit); null = none.
  std::shared_ptr<const CallAudit> audit;
  // Session era: seal each session's state into its Mcp-Session-Id (session_seal.hpp) so any
  // process with the key resumes it; null = random ids known to this process only.
  std::shared_ptr<const SessionSealer> session_sealer;
  // Session era: told when a client opens or ends a session (session_hooks.hpp); null = none.
  std::shared_ptr<SessionHooks> session_hooks;
};

class Endpoint {
 public:
  Endpoint(EndpointOptions options, std::shared_ptr<Registry> registry);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  asio::awaitable<void> handle(http::Exchange& ex);

  // Number of open sessions (session era).
  size_t session_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpgate::mcp
