#pragma once
// POST /token (RFC 6749 §3.2, §4.1.3, §6; OAuth 2.1 §3.2; RFC 7636 §4.6; RFC 8707 §2.2).
//
// grant_type=authorization_code
//   The code is looked up by hash and consumed atomically by the store. A replay (or the loser
//   of a race) gets invalid_grant and revokes the grant: its refresh family and every access
//   token issued from it (ATTACKS rows 17, 18). After consumption the code must belong to the
//   authenticated client, a redirect_uri sent here must equal the authorization request's, the
//   code_verifier must match the S256 challenge (a verifier for a code without challenge is a
//   PKCE downgrade: invalid_grant; row 19), and a resource sent here must be the one authorized
//   (invalid_target; row 25). Any of these failures also revokes the grant (the code is spent).
// grant_type=refresh_token
//   Rotation on every use through the store's atomic rotate (exactly one winner: row 29).
//   Reuse of a rotated token revokes the family and its access tokens (row 28). A token of
//   another client is invalid_grant (row 30); scope may only narrow (invalid_scope) and resource
//   only repeat the granted one (invalid_target). Idle and absolute expiry come from the store
//   (row 33). A disabled user or client fails (row 32).
// Anything else: unsupported_grant_type (row 20).
//
// Inside one process, redemptions of the same code or refresh token are serialized, so the
// winner finishes issuing before a concurrent replay revokes the grant: of N simultaneous
// exchanges exactly one answers 200 (and the grant is then revoked by the others, as a replay
// must).
//
// Responses: 200 JSON {access_token, token_type "Bearer", expires_in, scope, refresh_token?};
// errors per error_response.hpp; always Cache-Control: no-store and Pragma: no-cache (row 23);
// CORS allowed (row 61). Requests are rate limited per source IP.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "http/exchange.hpp"
#include "oauth/client_auth.hpp"
#include "oauth/error_response.hpp"

namespace mcpgate::oauth {

struct ServerContext;

class TokenEndpoint {
 public:
  TokenEndpoint(ServerContext& ctx, ClientAuthenticator& authenticator)
      : ctx_(ctx), authenticator_(authenticator) {}

  asio::awaitable<void> handle(http::Exchange& ex);

  struct CodeRequest {
    std::string code;
    std::optional<std::string> redirect_uri;
    std::optional<std::string> code_verifier;
    std::optional<std::string> resource;  // canonical
  };
  struct RefreshRequest {
    std::string refresh_token;
    std::optional<std::vector<std::string>> scopes;  // narrowed scope, when requested
    std::optional<std::string> resource;              // canonical
  };

 private:
  asio::awaitable<OAuthResult<nlohmann::json>> token(const http::Request& req,
                                                     const std::string& remote_ip);
  // Blocking (store executor).
  OAuthResult<nlohmann::json> redeem_code(const ClientInfo& client, const CodeRequest& request);
  OAuthResult<nlohmann::json> refresh(const ClientInfo& client, const RefreshRequest& request);
  // Revokes a grant after a replay or a failed check; tells the revocation listener.
  void revoke_grant(const std::string& grant_id, std::int64_t now, std::string_view reason,
                    const std::string& client_id);

  ServerContext& ctx_;
  ClientAuthenticator& authenticator_;
};

}  // namespace mcpgate::oauth
