#pragma once
// Minting what the token endpoint hands out:
//  * access tokens: RFC 9068 JWTs, header {alg: ES256, typ: at+jwt, kid}, claims iss, sub (the
//    user id), aud (the one resource, canonical), client_id, scope (when not empty), iat, nbf,
//    exp (at most 15 minutes), jti (ATTACKS rows 26, 35, 36), org_id (the user's organization;
//    the bearer guard refuses a token whose org_id is not the user's);
//  * opaque secrets (authorization codes, refresh tokens): 256 random bits, base64url; only
//    their hash (store::hash_secret) is ever stored.
//
// Thread-safe (pure functions over an immutable key snapshot).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "oauth/key_manager.hpp"

namespace mcpgate::oauth {

struct AccessTokenSpec {
  std::string subject;    // user id
  std::string client_id;
  std::string scope;      // space-separated, may be empty
  std::string resource;   // the audience
  std::string jti;        // "" = a fresh random one (set when it was recorded beforehand)
  std::string org_id;     // the user's organization (claim org_id)
};

// exp - iat of an access token minted with `ttl_s` (clamped to 1..kMaxAccessTokenTtl).
std::int64_t access_token_lifetime(std::int64_t ttl_s);

struct IssuedAccessToken {
  std::string token;
  std::string jti;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

// Signs an access token with the active key. kFailedPrecondition without an active key.
Result<IssuedAccessToken> mint_access_token(const SigningKeys& keys, std::string_view issuer,
                                            const AccessTokenSpec& spec, std::int64_t now,
                                            std::int64_t ttl_s);

// A new opaque secret (code, refresh token, client secret, registration token).
std::string new_opaque_token();

// The RFC 6749 §5.1 success body: access_token, token_type "Bearer", expires_in, scope, and
// refresh_token when one was issued.
nlohmann::json token_response_body(const IssuedAccessToken& access, std::string_view scope,
                                   const std::optional<std::string>& refresh_token,
                                   std::int64_t now);

}  // namespace mcpgate::oauth
