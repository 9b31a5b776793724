#pragma once
// Dynamic client registration: RFC 7591 POST /register and RFC 7592 GET/DELETE
// /register/{client_id} (ATTACKS rows 45-50).
//
// POST /register (application/json, at most 16 KiB, rate limited per source IP, at most
// dcr.max_clients DCR clients in total: 429 beyond either):
//  * redirect_uris: required, 1..20 entries, each passing validate_redirect_uri() (https,
//    loopback http, private-use schemes for native apps; never fragments, wildcards,
//    javascript:, data:) -> invalid_redirect_uri;
//  * token_endpoint_auth_method: none | client_secret_basic | client_secret_post |
//    private_key_jwt; absent: chosen from token_endpoint_auth_methods_supported when given
//    (private_key_jwt with keys, then client_secret_basic, client_secret_post, none), else
//    client_secret_basic (RFC 7591's default) -> invalid_client_metadata otherwise;
//  * grant_types (default [authorization_code]) may hold authorization_code and refresh_token;
//    implicit, password and client_credentials are refused, other extension grants dropped;
//    authorization_code is required. response_types (default [code]) only "code";
//  * jwks xor jwks_uri (https), required for private_key_jwt; token_endpoint_auth_signing_alg
//    ES256 | RS256 | PS256;
//  * client_name, client_uri/logo_uri/tos_uri/policy_uri (https), contacts, scope (filtered to
//    configured scopes), software_id/version, application_type web|native are kept and echoed;
//    software_statement is refused (unapproved_software_statement: no statement issuer is
//    trusted); client_id, client_secret and the other server-assigned members are ignored
//    (RFC 9700 §4.15), as is everything unknown.
// The answer is 201 with the registered metadata, client_id ("dcr_" + 128 random bits: never a
// URL, never a user id), client_id_issued_at, registration_access_token and
// registration_client_uri, plus client_secret and client_secret_expires_at (0: no expiry) for
// the secret methods.
//
// GET /register/{id} (Authorization: Bearer <registration_access_token>): the metadata (no
// secret: only its hash is kept). DELETE: removes the client, revoking its grants and tokens,
// 204. A wrong or missing token, or an unknown client: 401 invalid_token.
// CORS is allowed on all of it (browser-based MCP clients register themselves).

#include <string>

#include <nlohmann/json.hpp>

#include "http/exchange.hpp"
#include "oauth/error_response.hpp"

namespace mcpgate::oauth {

struct ServerContext;

// Validates RFC 7591 client metadata; returns what is registered (the echo). Exposed for tests.
OAuthResult<nlohmann::json> validate_client_metadata(const nlohmann::json& input,
                                                     const ServerContext& ctx);

class RegistrationEndpoint {
 public:
  explicit RegistrationEndpoint(ServerContext& ctx) : ctx_(ctx) {}

  // POST /register
  asio::awaitable<void> register_client(http::Exchange& ex);
  // GET | DELETE /register/{client_id}
  asio::awaitable<void> manage_client(http::Exchange& ex);

 private:
  asio::awaitable<OAuthResult<nlohmann::json>> create(const http::Request& req,
                                                      const std::string& remote_ip);

  ServerContext& ctx_;
};

}  // namespace mcpgate::oauth
