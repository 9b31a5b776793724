#pragma once
// Refreshes a connection's access token so that, per connection, exactly one refresh happens at
// the provider however many calls need it (issue 6 item 6; the classic failure: rotating
// refresh tokens + concurrent refreshers = invalid_grant for the whole token family).
//
//  - inside a process: the first caller leads, the others wait for its result (a flight per
//    connection, keyed by the connection id);
//  - across processes: the leader takes the store's refresh lease; while another process holds
//    it, the leader polls the row and takes that process's tokens once its version moves;
//  - after taking the lease it re-reads the row: if someone else refreshed meanwhile (version
//    moved past what the caller saw), their tokens are used and no request is made;
//  - the new tokens are committed (vault compare-and-set) before anyone uses the new access
//    token; if the commit loses, the winner's tokens are re-read and used instead;
//  - invalid_grant marks the connection needs_reconsent; invalid_client opens the connector's
//    credential breaker (that connector only).
//
// Thread-safe. Must outlive the refreshes in flight (the runtime owns it).

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "connectors/connector.hpp"
#include "connectors/oauth_token_client.hpp"
#include "core/result.hpp"
#include "http/asio.hpp"
#include "http/client.hpp"
#include "http/resilience.hpp"
#include "store/executor.hpp"
#include "vault/vault.hpp"

namespace mcpgate::connectors {

struct RefresherOptions {
  std::string tenant = "default";
  std::string holder;                        // lease holder: this process ("" = random)
  std::int64_t lease_ttl_s = 30;             // longer than a token request may take
  std::chrono::milliseconds lease_poll{50};  // while another process refreshes
  std::chrono::milliseconds token_timeout{10000};
  http::AddressPolicy address_policy = http::AddressPolicy::kPublicOnly;
  http::BreakerOptions credential_breaker{1, std::chrono::milliseconds(60000)};
  std::function<std::int64_t()> clock;  // unix seconds (default: system clock)
  // Tests: runs on the store executor after the token request succeeded and before the
  // commit (simulates another writer winning the compare-and-set).
  std::function<void()> before_commit;
};

// What a refresh gives back: the current secrets, or why there are none.
enum class RefreshOutcome { kRefreshed, kOtherWriter, kNeedsReconsent, kFailed };

struct RefreshResult {
  RefreshOutcome outcome = RefreshOutcome::kFailed;
  vault::SecretsPtr secrets;  // set for kRefreshed / kOtherWriter
  Error error;                // set for kNeedsReconsent / kFailed (never holds a token)
};

class TokenRefresher {
 public:
  using CredentialsLookup =
      std::function<std::optional<ConnectorCredentials>(const std::string& connector_id)>;

  TokenRefresher(vault::Vault& vault, store::Store& store, store::Executor& executor,
                 std::shared_ptr<const http::HttpClient> client, CredentialsLookup credentials,
                 RefresherOptions options);

  // Refreshes `seen` (the secrets the caller holds) unless someone already replaced them.
  // `forced`: the provider refused the access token (401), so refresh even if not yet due.
  asio::awaitable<RefreshResult> refresh(std::shared_ptr<const ConnectorDef> connector,
                                         std::string user, vault::SecretsPtr seen, bool forced);

  // The connector's app-credential breaker (open after invalid_client).
  http::CircuitBreaker::State credential_state(const std::string& connector_id);

  // Token requests sent so far (tests and metrics).
  std::uint64_t requests_sent() const { return requests_.load(); }

 private:
  struct Flight;

  asio::awaitable<RefreshResult> lead(std::shared_ptr<const ConnectorDef> connector,
                                      std::string user, vault::SecretsPtr seen, bool forced);
  asio::awaitable<RefreshResult> refresh_under_lease(std::shared_ptr<const ConnectorDef> connector,
                                                     std::string user, vault::SecretsPtr current);
  http::CircuitBreaker& breaker_for(const std::string& connector_id);
  std::int64_t now() const;

  vault::Vault& vault_;
  store::Store& store_;
  store::Executor& executor_;
  std::shared_ptr<const http::HttpClient> client_;
  CredentialsLookup credentials_;
  RefresherOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // connection id → refresh in flight
  std::map<std::string, std::unique_ptr<http::CircuitBreaker>> breakers_;  // per connector
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace mcpgate::connectors
