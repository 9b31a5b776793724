#pragma once
// POST /introspect (RFC 7662; ATTACKS rows 39-41).
//
// Callers must authenticate as a confidential client (client_secret_basic/post or
// private_key_jwt): public clients and anonymous callers get 401 invalid_client.
// Tokens: our JWT access tokens (signature, typ at+jwt, iss, expiry, revocation list) and our
// refresh tokens (by hash: unused, unrevoked, unexpired, grant live, user enabled).
// Visibility policy (row 40): a static (configured, operator-trusted) client may introspect
// any token, e.g. a resource server registered for the purpose; a DCR or CIMD client only the
// tokens issued to itself. Everything else, and every inactive, unknown, expired, revoked or
// malformed token, is exactly {"active":false}.
// Active answers: active, scope, client_id, username, token_type ("Bearer" or
// "refresh_token"), exp, iat, nbf (access tokens), sub, aud, iss, jti (access tokens).
// Cache-Control: no-store. No CORS.

#include <string>

#include <nlohmann/json.hpp>

#include "http/exchange.hpp"
#include "oauth/client_auth.hpp"

namespace mcpgate::oauth {

struct ServerContext;

class IntrospectionEndpoint {
 public:
  IntrospectionEndpoint(ServerContext& ctx, ClientAuthenticator& authenticator)
      : ctx_(ctx), authenticator_(authenticator) {}

  asio::awaitable<void> handle(http::Exchange& ex);

 private:
  asio::awaitable<OAuthResult<nlohmann::json>> introspect(const http::Request& req,
                                                          const std::string& remote_ip);
  // Blocking (store executor): the introspection answer for `token` as seen by `caller`.
  Result<nlohmann::json> inspect(const ClientInfo& caller, const std::string& token);

  ServerContext& ctx_;
  ClientAuthenticator& authenticator_;
};

}  // namespace mcpgate::oauth
