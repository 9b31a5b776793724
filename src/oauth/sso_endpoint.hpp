#pragma once
// The gate's side of an SSO sign-in (the life of one: docs/ARCHITECTURE.md "SSO sign-in"):
//
//   GET <issuer path>/sso/start?flow=F&org=O   the "Continue with <IdP>" link of the login page.
//       The flow must be a live pending authorization of this browser (cookie); rate limited per
//       client IP. Answers 302 to the organization's IdP (state, nonce, PKCE kept server-side,
//       bound to this browser: identity::RelyingParty::begin_login).
//   begin()                                    the same from the login form's home-realm
//       discovery (the identifier's domain belongs to an organization with SSO), with login_hint.
//   GET <issuer path>/sso/callback?code&state&iss | ?error&state
//       the state is taken first (single use, this browser, not expired), then RFC 9207 iss,
//       an `error` ends the sign-in with a page naming its sanitized code, then the code
//       exchange and the ID token checks (identity::RelyingParty::complete_login). The
//       identity maps to a user by (org, iss, sub) (sso_accounts.hpp); the gate session opens
//       for that user (a new cookie value) and the pending authorization continues exactly as
//       after a password sign-in: consent, then the code.
//
// Every refusal is an HTML page (never a redirect to the client: nothing about the IdP's
// answer is trusted yet) and a log line `sso_login_refused` with the organization and the
// reason; codes, tokens and cookies are never logged.
//
// Thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http/exchange.hpp"
#include "oauth/browser_session.hpp"
#include "oauth/expiring_map.hpp"
#include "oauth/sso_directory.hpp"

namespace mcpgate::oauth {

struct ServerContext;

class SsoEndpoint {
 public:
  SsoEndpoint(ServerContext& ctx, std::shared_ptr<const SsoDirectory> directory);

  asio::awaitable<void> start(http::Exchange& ex);
  asio::awaitable<void> callback(http::Exchange& ex);

  // The redirect to `connection`'s IdP for `flow` (already checked to belong to the browser),
  // or a page when the IdP cannot be reached or the client IP is over its limit.
  asio::awaitable<http::Response> begin(PendingAuthorization flow, const SsoConnection* connection,
                                        std::string login_hint, std::string remote_ip);

  const SsoDirectory& directory() const { return *directory_; }
  // Origins a login form may be redirected to (CSP form-action): each IdP's issuer origin and
  // the authorization endpoints seen so far. Space-separated.
  std::string form_action_origins() const;

 private:
  struct Pending {
    std::string org_id;
    std::string flow_id;
  };

  ServerContext& ctx_;
  std::shared_ptr<const SsoDirectory> directory_;
  ExpiringMap<Pending> pending_;  // IdP state -> which organization and flow
  mutable std::mutex origins_mu_;
  std::unordered_map<std::string, std::string> authorize_origins_;  // org -> origin
};

}  // namespace mcpgate::oauth
