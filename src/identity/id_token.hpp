#pragma once
// ID token validation, OpenID Connect Core 1.0 §3.1.3.7, split in its two halves so each can be
// tested and fuzzed alone:
//
// verify_id_token_signature — the JOSE part, through crypto::verify_jwt:
//   * at most max_token_bytes, three canonical base64url parts, JSON objects without duplicate
//     names, no crit/cty;
//   * `alg` in the allow-list (the configuration ∩ the provider's
//     id_token_signing_alg_values_supported). "none" and HS* do not exist in crypto::JwsAlgorithm,
//     so an unsigned token, or an HS256 token whose HMAC key is the provider's public key, is
//     refused before any key is looked at;
//   * `typ` absent or "JWT": an access token (at+jwt), a logout token or any other typed JWT of
//     the same provider is not an ID token;
//   * the key: the header's kid selects it in the provider's JWKS, and it must fit the alg (an
//     RSA key never verifies ES256 or EdDSA). Without a kid the token is accepted only when the
//     JWKS has exactly one key for its alg. kNotFound when the kid is in no key — or, for a
//     token without kid, when no key of the set verifies it (a provider with a single key may
//     have rotated it): the caller may refetch the JWKS once (RelyingParty does, rate-limited)
//     and try again.
//
// check_id_token_claims — the claims (steps 2-12):
//   iss equals the issuer exactly; aud contains client_id, and every other audience is one the
//   configuration trusts; azp, when present or when there are several audiences, equals
//   client_id; exp in the future, iat present, not in the future and at most max_token_age old,
//   nbf (if any) reached — each with `leeway`; sub a non-empty string of at most 255 bytes;
//   nonce equal (constant time) to the one sent; auth_time present and recent enough when
//   max_age was sent; at_hash / c_hash, when present, equal the left half of the alg's hash
//   (SHA-256; SHA-512 for EdDSA with Ed25519) of the access token / code.
//
// Errors: kInvalidArgument = malformed token; kUnauthenticated = refused (the message names the
// failed check, for logs; it never quotes claim values); kNotFound = unknown kid.
//
// Thread-safe (pure functions).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "crypto/jwa.hpp"
#include "crypto/jwk.hpp"
#include "crypto/jwt.hpp"

namespace mcpgate::identity {

struct IdTokenChecks {
  std::string issuer;
  std::string client_id;
  std::vector<std::string> trusted_audiences;
  std::vector<crypto::JwsAlgorithm> allowed_algs;
  std::string nonce;  // required: the token's nonce must equal it
  std::int64_t now = 0;
  std::int64_t leeway = 60;
  std::int64_t max_token_age = 600;
  std::optional<std::int64_t> max_age;  // the max_age sent in the authorization request
  std::string access_token;             // for at_hash ("" = none was issued)
  std::string code;                     // for c_hash
  std::size_t max_token_bytes = std::size_t{32} * 1024;
};

Result<crypto::Jwt> verify_id_token_signature(std::string_view token,
                                              const crypto::JwkSet& keys,
                                              const IdTokenChecks& checks);

Status check_id_token_claims(const nlohmann::json& claims,
                             crypto::JwsAlgorithm alg,
                             const IdTokenChecks& checks);

// base64url(left half of hash(value)), the hash chosen by the ID token's alg (OIDC Core
// §3.1.3.6; EdDSA/Ed25519 uses SHA-512, as the OpenID Connect working group settled).
std::string oidc_token_hash(std::string_view value, crypto::JwsAlgorithm alg);

}  // namespace mcpgate::identity
