#pragma once
// Internal to src/oauth: the state the authorization server's endpoints share. Owned by
// AuthorizationServer; endpoints hold a reference. Everything here is safe to use from any
// connection strand (each member documents or provides its own locking).

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "oauth/browser_session.hpp"
#include "oauth/cimd.hpp"
#include "oauth/client_registry.hpp"
#include "oauth/deprovisioning.hpp"
#include "oauth/expiring_map.hpp"
#include "oauth/key_manager.hpp"
#include "oauth/options.hpp"
#include "oauth/organizations.hpp"
#include "oauth/rate_limiter.hpp"
#include "oauth/resource_indicator.hpp"
#include "oauth/scopes.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

// The issuer and the URLs and router paths of every endpoint.
struct Endpoints {
  explicit Endpoints(const std::string& issuer);

  std::string issuer;     // no trailing slash
  std::string origin;     // scheme://host[:port]
  std::string base_path;  // the issuer's path ("" or "/tenant")

  // Paths as the router sees them (base_path + "/authorize", ...).
  std::string authorize_path, token_path, register_path, jwks_path, introspect_path,
      revoke_path, login_path, consent_path, logout_path, sso_start_path, sso_callback_path;
  // Absolute URLs (issuer + "/authorize", ...).
  std::string authorization_endpoint, token_endpoint, registration_endpoint, jwks_uri,
      introspection_endpoint, revocation_endpoint, sso_callback_url;
};

// Serializes redemptions of one code or refresh token inside this process, so that of N
// concurrent presentations exactly one completes issuance before the replays revoke the grant
// (the store's atomic single use decides the winner; this only orders the aftermath).
class StripedLocks {
 public:
  std::mutex& for_key(std::string_view key);

 private:
  std::array<std::mutex, 64> locks_;
};

struct ServerContext {
  ServerContext(AuthOptions options, store::Store& store, store::Executor& executor,
                CimdResolver* cimd, Clock clock);

  std::int64_t now() const { return clock(); }
  // Tells the registered listener (the bearer guard's revocation set) about new entries.
  void notify_revoked(const std::vector<store::RevokedToken>& entries);
  void set_revocation_listener(std::function<void(const std::vector<store::RevokedToken>&)> fn);

  // Whether a signed-in browser session may still act for its user, read from the store at
  // every use (the user may have been deprovisioned through another replica; deprovisioning.hpp
  // session_survives), and still belongs to the organization the session signed in to. false
  // for a user that is gone; a store error is an error (callers fail closed).
  asio::awaitable<Result<bool>> session_active(const BrowserSession& session);

  // The address policy for outbound fetches (jwks_uri).
  bool allow_loopback_fetch() const { return options.cimd.allow_loopback_for_tests; }

  const AuthOptions options;
  const Endpoints urls;
  store::Store& store;
  store::Executor& executor;
  CimdResolver* cimd;
  const Clock clock;
  const ScopeSet scopes;
  const ResourceSet resources;
  // The configured organizations: which one an identifier signs in to, and their policies.
  const OrganizationDirectory organizations;
  KeyManager keys;
  ClientRegistry clients;
  BrowserSessions sessions;
  RateLimiter token_limiter;
  RateLimiter login_limiter;
  RateLimiter registration_limiter;
  RateLimiter sso_limiter;  // redirects to identity providers, per source IP
  StripedLocks redemption_locks;
  // Tells this process's bearer guard (notify_revoked) and browser sessions (drop_user).
  UserDeprovisioning deprovisioning;

 private:
  std::mutex listener_mu_;
  std::function<void(const std::vector<store::RevokedToken>&)> listener_;
};

}  // namespace mcpgate::oauth
