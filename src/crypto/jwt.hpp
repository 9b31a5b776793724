#pragma once
// JSON Web Tokens (RFC 7519) in JWS compact serialization, parsed strictly and verified against
// an algorithm allow-list chosen by the caller.
//
// What verification guarantees, in order:
//  1. Structure: at most limits.max_token_bytes; exactly three non-empty dot-separated parts;
//     each canonical unpadded base64url; header and payload are JSON objects (strict_json.hpp:
//     depth cap, no duplicate names). No "crit" (we implement no extension), no "cty" (no
//     nested tokens); "kid" and "typ" must be strings when present.
//  2. Algorithm: the header's "alg" must be one we implement (jwa.hpp: never "none", never
//     HS*) AND be in options.allowed_algs. The header never chooses the key type: the key must
//     support that alg too, so an RSA/EC public key can never be used as an HMAC secret.
//  3. typ: when options.typ is set, the header's "typ" must match it (case-insensitive, the
//     "application/" prefix optional, RFC 7515 §4.1.9). Missing typ fails.
//  4. Key: with a JwkSet the header's "kid" selects the key (require_kid: a token without kid is
//     refused; otherwise it is accepted only if exactly one key fits the alg). Header keys
//     ("jwk", "jku", "x5u", "x5c") are never used to pick or fetch a key.
//  5. Signature over the exact received "<header>.<payload>" bytes.
// Claims (exp, iss, aud, ...) are NOT checked by verify_jwt: call check_claims after it.
//
// Error codes: kInvalidArgument = malformed token; kUnauthenticated = alg/typ/key/signature
// refused; kNotFound = the kid is in no key of the set (a JWKS refetch may help, once).
//
// Thread-safe (pure functions over immutable keys).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "crypto/jwa.hpp"
#include "crypto/jwk.hpp"

namespace mcpgate::crypto {

struct JwtLimits {
  std::size_t max_token_bytes = std::size_t{16} * 1024;
  int max_json_depth = 16;
};

// A token split and decoded. From decode_jwt alone it is NOT verified.
struct Jwt {
  nlohmann::json header;   // object
  nlohmann::json payload;  // object: the claims
  JwsAlgorithm alg = JwsAlgorithm::kES256;
  std::string kid;            // "" when absent
  std::string typ;            // "" when absent
  std::string signing_input;  // "<header b64url>.<payload b64url>" as received
  std::string signature;      // raw signature bytes
};

// Structure checks (1 above) and alg is one we implement. No signature check.
Result<Jwt> decode_jwt(std::string_view token, const JwtLimits& limits = {});

struct JwtVerifyOptions {
  std::vector<JwsAlgorithm> allowed_algs;  // empty: every token is refused
  std::string typ;                         // expected typ, e.g. "at+jwt"; "" = not checked
  bool require_kid = true;
  JwtLimits limits;
};

// Full verification with a key set (our JWKS, a client's, an IdP's).
Result<Jwt> verify_jwt(std::string_view token, const JwkSet& keys, const JwtVerifyOptions& options);

// Verification with one key the caller already chose (DPoP's embedded jwk, a client's only
// key). The header's kid is not consulted.
Result<Jwt> verify_jwt(std::string_view token,
                       const PublicKey& key,
                       const JwtVerifyOptions& options);

// Signs `claims` (a JSON object) with header {"alg": key.alg(), "kid": key.kid(), "typ": typ}
// ("typ" omitted when empty). kInvalidArgument when claims is not an object or holds strings
// that are not UTF-8.
Result<std::string> sign_jwt(const SigningKey& key,
                             const nlohmann::json& claims,
                             std::string_view typ = "JWT");

// Registered-claim checks (RFC 7519 §4.1) after verify_jwt. All times are unix seconds.
struct ClaimChecks {
  std::int64_t now = 0;
  std::int64_t leeway = 60;           // allowed clock skew for exp, nbf, iat
  std::string issuer;                 // "iss" must equal it ("" = not checked)
  std::string audience;               // "aud" must equal it or contain it ("" = not checked)
  bool require_exp = true;            // "exp" must be present (it is always checked when present)
  std::int64_t max_age = 0;           // > 0: "iat" required and at most this old
  std::vector<std::string> required;  // further claims that must be present
};

// kUnauthenticated naming the first failed check. Numeric dates must be JSON numbers; "iat"
// and "nbf" in the future beyond the leeway fail.
Status check_claims(const nlohmann::json& claims, const ClaimChecks& checks);

}  // namespace mcpgate::crypto
