#pragma once
// The browser-facing part of the authorization server: /authorize (RFC 6749 §4.1.1, OAuth 2.1
// §4.1.1, RFC 7636, RFC 8707, RFC 9207), the login and consent pages, and /logout.
//
// /authorize (GET, or POST with a form body) checks, in this order:
//   1. client_id (static, DCR, or CIMD through the resolver) and redirect_uri (exact match,
//      loopback port rule: redirect_uri.hpp). Until both pass, every error is an HTML page with
//      status 400 and never a redirect (ATTACKS rows 1, 2, 3). A repeated client_id or
//      redirect_uri is such an error too.
//   2. Then errors go back to the client as a redirect with error, error_description, state and
//      iss (rows 4-7, 9, 60): repeated parameters (resource excepted) invalid_request;
//      response_type other than "code" unsupported_response_type; response_mode other than
//      "query", request objects, missing/plain/malformed PKCE challenge invalid_request; a
//      client not registered for authorization_code unauthorized_client; unknown scope
//      invalid_scope; bad resource invalid_target (missing resource with several configured:
//      invalid_request).
//   3. prompt=none answers at once: login_required without a session, consent_required
//      without a stored consent covering client + scope + resource, else the code.
//   4. Otherwise the request is kept (bound to the browser's cookie) and the login page or the
//      consent page is shown (or the code issued when a stored consent covers it and the user
//      is signed in). prompt=login forces the login page, prompt=consent the consent page.
//
// /login (POST username, password, csrf, flow) verifies the password (Argon2id; an unknown user
// costs the same as a wrong password) and answers 303 to /consent?flow=...; a failure 303s back
// to /login?flow=... with a message. GET /login?flow= and GET /consent?flow= show the page the
// request needs next.
// /consent (POST decision=approve|deny, csrf, flow) consumes the request (single use) and
// answers 303 to the redirect URI with code, state, iss or error=access_denied, state, iss.
// /logout (POST) ends the session and 303s to GET /logout.
//
// POSTs must be application/x-www-form-urlencoded (415 page otherwise: row 12); an Origin
// header, when present and not "null", must be the issuer's origin; login attempts are rate
// limited per source IP. No CORS headers are ever sent here (row 61). All pages carry the
// security headers of login_pages.hpp (row 14).

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "http/exchange.hpp"
#include "oauth/browser_session.hpp"
#include "oauth/client_registry.hpp"
#include "oauth/error_response.hpp"
#include "oauth/form.hpp"

namespace mcpgate::oauth {

struct ServerContext;

class SsoEndpoint;

class AuthorizeEndpoint {
 public:
  // `sso` (may be null) adds "Continue with <IdP>" to the login page and home-realm discovery
  // to the login form.
  explicit AuthorizeEndpoint(ServerContext& ctx, SsoEndpoint* sso = nullptr)
      : ctx_(ctx), sso_(sso) {}

  asio::awaitable<void> authorize(http::Exchange& ex);
  asio::awaitable<void> login(http::Exchange& ex);
  asio::awaitable<void> consent(http::Exchange& ex);
  asio::awaitable<void> logout(http::Exchange& ex);

 private:
  struct Validated {
    PendingAuthorization flow;
    bool prompt_none = false;
  };
  using Validation = std::variant<Validated, http::Response>;

  asio::awaitable<Validation> validate(const Params& params, http::StatusCode redirect_status);
  // What the request needs next: the login page, the consent page, or (consent stored) the
  // code redirect.
  asio::awaitable<http::Response> continue_flow(PendingAuthorization flow,
                                                std::optional<BrowserSession> session);
  // True when a stored consent covers the request.
  asio::awaitable<Result<bool>> consent_covers(const std::string& user_id,
                                               const PendingAuthorization& flow);
  // Issues a code for the request (re-checking the client and its redirect URI), optionally
  // recording the consent. Returns the redirect to the client.
  // The code records the user's organization (the token's org_id); a client the
  // organization does not allow gets a refusal page instead.
  asio::awaitable<http::Response> issue_code(PendingAuthorization flow, std::string user_id,
                                             std::string org_id, bool record_consent,
                                             http::StatusCode status);
  // The refusal page when the organization's client policy does not allow the flow's client
  // (nullopt when it does).
  std::optional<http::Response> refuse_client(const PendingAuthorization& flow,
                                              store::ClientKind kind,
                                              const std::string& org_id) const;

  http::Response login_page(const PendingAuthorization& flow) const;
  http::Response consent_page(const PendingAuthorization& flow, const std::string& username) const;
  // Checks method, content type and origin of a page POST, and parses it. nullopt: `error`
  // holds the page to send.
  std::optional<Params> read_post(const http::Request& req, http::Response& error) const;

  ServerContext& ctx_;
  SsoEndpoint* sso_;
};

}  // namespace mcpgate::oauth
