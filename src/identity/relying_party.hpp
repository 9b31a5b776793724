#pragma once
// RelyingParty: the gate signing a user in through one upstream OpenID Provider. It owns the
// provider's discovery metadata and JWKS (each a RefreshingCache), the pending logins, and the
// steps of the authorization code flow; the login page (a later step) calls begin_login when the
// user picks "Continue with <IdP>" and complete_login from the callback route.
//
//   metadata()        discovery document, validated (provider.hpp), cached for
//                     discovery_cache.ttl; a failing refresh keeps the last good one for
//                     max_stale
//   begin_login()     fresh state, nonce and PKCE verifier, kept server-side against the
//                     browser session; returns the provider URL to redirect to
//   complete_login()  state (single use, same browser) -> RFC 9207 iss -> error response ->
//                     code exchange with the configured client authentication -> ID token
//                     validated (id_token.hpp) -> Identity keyed by (iss, sub)
//   validate_id_token() the ID token step alone. The JWKS is the cached one; a token whose kid
//                     is not in it triggers one refetch (shared by concurrent callers, at most
//                     one per jwks_cache.min_refetch_interval) and is validated again; a kid
//                     still unknown fails closed (kUnauthenticated)
//
// The tokens the provider returns are used for validation only (at_hash) and then dropped:
// nothing here keeps, returns or logs an authorization code, access token, refresh token, ID
// token, client secret or client assertion. Log lines carry the issuer and error codes.
//
// Errors (Error::message is for logs; the login page chooses what the user sees):
//   kInvalidArgument    malformed callback or token
//   kNotFound           unknown, used or expired state
//   kPermissionDenied   state from another browser; iss mismatch; the provider returned an
//                       error (message names its sanitized error code) or refused the exchange
//   kUnauthenticated    the ID token was refused (signature, alg, claims, unknown kid)
//   kUnavailable, kDeadlineExceeded, kPermissionDenied (address policy)  provider unreachable
//   kFailedPrecondition configuration and provider metadata do not fit (no common alg, auth
//                       method not offered)
//
// Threading: thread-safe; one RelyingParty per provider may serve every connection. Copies
// share state. The coroutines own what they use: a RelyingParty may be destroyed while a call
// runs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "http/asio.hpp"
#include "http/client.hpp"
#include "identity/authorization.hpp"
#include "identity/identity.hpp"
#include "identity/provider.hpp"
#include "identity/refreshing_cache.hpp"

namespace mcpgate::identity {

struct RelyingPartyOptions {
  // Empty: http::default_http_client() (system CA store).
  std::shared_ptr<const http::HttpClient> http_client;
  // Unix seconds; empty: the system clock.
  std::function<std::int64_t()> now;
  CachePolicy discovery_cache{
      std::chrono::seconds(3600), std::chrono::seconds(30), std::chrono::seconds(24 * 3600)};
  CachePolicy jwks_cache{
      std::chrono::seconds(3600), std::chrono::seconds(30), std::chrono::seconds(24 * 3600)};
  std::chrono::milliseconds fetch_timeout{5000};
  std::chrono::seconds login_ttl{600};
};

struct LoginOptions {
  std::string browser_key;  // required: the gate's pre-login browser session
  std::string prompt;
  std::string login_hint;
  std::optional<std::int64_t> max_age;
  std::string return_to;
};

struct LoginRedirect {
  std::string url;    // the provider's authorization endpoint with the request
  std::string state;  // also in the URL; for tests and logs correlation
};

struct SignIn {
  Identity identity;
  std::string return_to;  // from LoginOptions
};

// What validate_id_token needs besides the token (the pending login supplies it).
struct IdTokenContext {
  std::string nonce;
  std::optional<std::int64_t> max_age;
  std::string access_token;  // for at_hash
  std::string code;          // for c_hash
};

class RelyingParty {
 public:
  // Validates the configuration (validate_provider_config); fetches nothing yet.
  static Result<RelyingParty> create(ProviderConfig config, RelyingPartyOptions options = {});

  const ProviderConfig& config() const;

  asio::awaitable<Result<std::shared_ptr<const ProviderMetadata>>> metadata() const;
  asio::awaitable<Result<LoginRedirect>> begin_login(LoginOptions options) const;
  asio::awaitable<Result<SignIn>> complete_login(CallbackParams params,
                                                 std::string browser_key) const;
  asio::awaitable<Result<Identity>> validate_id_token(std::string id_token,
                                                      IdTokenContext context) const;

  // For tests and metrics.
  std::size_t pending_logins() const;
  std::size_t discovery_fetches() const;
  std::size_t jwks_fetches() const;

  struct Impl;

 private:
  explicit RelyingParty(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpgate::identity
