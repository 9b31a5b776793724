#pragma once
// Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
// OAuth 2.1 §2.4, RFC 7523 §2.2; ATTACKS row 21):
//
//   none                 client_id in the body; only for clients registered with "none"
//                        (public clients, PKCE protects the code)
//   client_secret_basic  Authorization: Basic base64(urlencode(id) ":" urlencode(secret)):
//                        both halves are form-url-decoded (RFC 6749 §2.3.1)
//   client_secret_post   client_id + client_secret in the body
//   private_key_jwt      client_assertion_type = urn:ietf:params:oauth:client-assertion-type:
//                        jwt-bearer and client_assertion = a JWT signed by a key in the client's
//                        jwks / jwks_uri: iss = sub = client_id, aud = the issuer, the token
//                        endpoint or the endpoint called, exp required and at most 10 minutes
//                        ahead, jti required and single use (remembered until exp), alg ES256,
//                        RS256 or PS256 (never none/HS*).
//
// A client registered for client_secret_basic may also use client_secret_post and the other
// way round (both prove the same secret; several client libraries pick by themselves). A
// confidential client cannot fall back to "none". Two methods in one request (Basic plus a body
// secret or an assertion), or a body client_id that differs from the authenticated one, are
// invalid_client. Every failure is invalid_client (401 with WWW-Authenticate: Basic), with a
// description that does not say whether the client exists.
//
// jwks_uri documents are fetched with the outbound client under the SSRF policy (public
// addresses only; loopback too when cimd.allow_loopback_for_tests), cached five minutes, and
// refetched at most every 30 s when an assertion names an unknown kid.
// The jti replay cache is in memory: one process.
//
// Thread-safe.

#include <memory>
#include <string>

#include "crypto/jwk.hpp"
#include "http/asio.hpp"
#include "http/message.hpp"
#include "oauth/client_registry.hpp"
#include "oauth/error_response.hpp"
#include "oauth/expiring_map.hpp"
#include "oauth/form.hpp"

namespace mcpgate::oauth {

struct ServerContext;

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct AuthenticatedClient {
  ClientInfo client;
  std::string method;  // the method the request used
};

class ClientAuthenticator {
 public:
  explicit ClientAuthenticator(ServerContext& ctx);

  // `endpoint_url`: the absolute URL of the endpoint called (an accepted assertion audience).
  // The caller keeps `req` and `params` alive across the co_await.
  asio::awaitable<OAuthResult<AuthenticatedClient>> authenticate(const http::Request& req,
                                                                 const Params& params,
                                                                 std::string endpoint_url);

 private:
  asio::awaitable<OAuthResult<AuthenticatedClient>> authenticate_assertion(const Params& params,
                                                                           std::string endpoint_url);
  asio::awaitable<Result<std::shared_ptr<const crypto::JwkSet>>> client_keys(const ClientInfo& client,
                                                                              bool refetch);

  ServerContext& ctx_;
  ExpiringMap<bool> assertion_jtis_;
  ExpiringMap<std::shared_ptr<const crypto::JwkSet>> jwks_cache_;
  ExpiringMap<bool> refetch_guard_;
};

// Parses "Basic <base64>" into the url-decoded id and secret. nullopt when malformed.
struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};
std::optional<BasicCredentials> parse_basic_credentials(std::string_view header_value);

}  // namespace mcpgate::oauth
