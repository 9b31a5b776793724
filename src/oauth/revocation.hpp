#pragma once
// POST /revoke (RFC 7009; ATTACKS rows 42, 43).
//
// The caller authenticates as a client (public clients with their client_id). token_type_hint
// only orders the search; unknown hints are ignored.
//  * a refresh token of the caller: its grant is revoked, which revokes the whole family and
//    puts every unexpired access token of the grant on the revocation list (the bearer guard's
//    in-memory set is told at once through the revocation listener, and other processes read
//    the store's revoked_since() feed);
//  * an access token (our JWT) of the caller: its jti goes on the revocation list;
//  * anything else (unknown, garbage, another client's token, expired): nothing happens.
// The answer is 200 with an empty body in every one of those cases; client-authentication
// failures are 401 invalid_client, a missing token 400 invalid_request, store trouble 503.

#include <string>

#include "http/exchange.hpp"
#include "oauth/client_auth.hpp"

namespace mcpgate::oauth {

struct ServerContext;

class RevocationEndpoint {
 public:
  RevocationEndpoint(ServerContext& ctx, ClientAuthenticator& authenticator)
      : ctx_(ctx), authenticator_(authenticator) {}

  asio::awaitable<void> handle(http::Exchange& ex);

 private:
  asio::awaitable<OAuthResult<bool>> revoke(const http::Request& req, const std::string& remote_ip);
  // Blocking (store executor).
  Status revoke_token(const ClientInfo& caller, const std::string& token);

  ServerContext& ctx_;
  ClientAuthenticator& authenticator_;
};

}  // namespace mcpgate::oauth
