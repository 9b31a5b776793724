#pragma once
// The connector runtime: what a connector tool needs beyond templates — the caller's
// connection from the vault, a fresh access token (token_refresher.hpp), and the HTTP call to
// the provider with the token injected, retries (retry_policy.hpp), a retry budget and a
// circuit breaker per API host. bind() gives make_mcp_tool() its ConnectorRuntime.
//
// Identity: the connection is always the authenticated caller's own (ToolContext::caller()
// subject, else subject()), never anything from the tool arguments; without an authenticated
// caller there is no connection (no shared fallback: ContextForge #1078).
//
// Not connected, or the connection needs consent again: connection()/send() fail with
// connect_required_error() (kFailedPrecondition, the message carries <public_base_url>/connect/
// <connector>), which make_mcp_tool returns to the client as is.
//
// Thread-safe; must outlive every call in flight.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connect_required.hpp"
#include "connectors/connector.hpp"
#include "connectors/mcp_tool.hpp"
#include "connectors/retry_policy.hpp"
#include "connectors/token_refresher.hpp"
#include "http/client.hpp"
#include "http/resilience.hpp"
#include "store/executor.hpp"
#include "vault/vault.hpp"

namespace mcpgate::connectors {

struct RuntimeOptions {
  std::string public_base_url;  // the gate's external URL: connect links point here
  std::string tenant = "default";
  RetryOptions retry;
  std::chrono::milliseconds request_timeout{15000};  // one attempt (the deadline caps it)
  // Per connector id, instead of request_timeout (the configuration's `timeout_ms`).
  std::map<std::string, std::chrono::milliseconds> request_timeouts;
  http::BreakerOptions host_breaker{5, std::chrono::milliseconds(10000)};  // per API host
  double retry_budget_ratio = 0.2;  // retries may add this fraction of the calls, per host
  std::int64_t refresh_jitter_s = 30;  // proactive refresh up to this much earlier, at random
  RefresherOptions refresher;          // its tenant and clock are taken from here
  std::function<std::int64_t()> clock;  // unix seconds (default: system clock)
  // Tests: divides every wait (backoff, Retry-After) by this much. 1 in production.
  int delay_divisor = 1;
};

class Runtime {
 public:
  Runtime(std::vector<std::shared_ptr<const ConnectorDef>> connectors, vault::Vault& vault,
          store::Store& store, store::Executor& executor,
          std::shared_ptr<const http::HttpClient> client,
          TokenRefresher::CredentialsLookup credentials, RuntimeOptions options);

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The two functions make_mcp_tool takes. They refer to this Runtime.
  ConnectorRuntime bind();

  asio::awaitable<Result<ConnectionVars>> connection(const ToolDef& tool, mcp::ToolContext& ctx);
  asio::awaitable<Result<UpstreamReply>> send(const ToolDef& tool, HttpRequest request,
                                              mcp::ToolContext& ctx);

  // Observability and tests.
  http::CircuitBreaker::State host_breaker_state(const std::string& host);
  const TokenRefresher& refresher() const { return refresher_; }
  TokenRefresher& refresher() { return refresher_; }

 private:
  struct HostGuard {
    http::CircuitBreaker breaker;
    http::RetryBudget budget;
    HostGuard(http::BreakerOptions b, double ratio) : breaker(b), budget(ratio) {}
  };

  // The caller's usable secrets: refreshed when due; a connect-required error otherwise.
  asio::awaitable<Result<vault::SecretsPtr>> usable_secrets(const ConnectorDef& connector,
                                                            const std::string& user);
  asio::awaitable<Result<vault::SecretsPtr>> refreshed(const ConnectorDef& connector,
                                                       const std::string& user,
                                                       vault::SecretsPtr seen, bool forced);
  Error connect_error(const ConnectorDef& connector, bool reconsent) const;
  const ConnectorDef* find(const std::string& connector_id) const;

  // The tool's connector and the caller whose connection it uses; an error when the connector
  // is not configured or the call has no authenticated caller.
  struct CallerConnection {
    const ConnectorDef* connector = nullptr;
    std::string user;
  };
  Result<CallerConnection> resolve(const ToolDef& tool, const mcp::ToolContext& ctx) const;
  std::shared_ptr<const ConnectorDef> find_shared(const std::string& connector_id) const;
  HostGuard& guard_for(const std::string& host);
  std::int64_t now() const;

  std::map<std::string, std::shared_ptr<const ConnectorDef>> connectors_;
  vault::Vault& vault_;
  store::Executor& executor_;
  std::shared_ptr<const http::HttpClient> client_;
  RuntimeOptions options_;
  TokenRefresher refresher_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<HostGuard>> hosts_;
};

// The caller's user id for connection lookups: the authenticated subject ("" = anonymous).
std::string connection_user(const mcp::ToolContext& ctx);

}  // namespace mcpgate::connectors
