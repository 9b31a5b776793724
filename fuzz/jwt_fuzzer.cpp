// Bytes -> crypto::decode_jwt / verify_jwt, the path every bearer token, client assertion and
// upstream ID token takes. Beyond "no crash":
//  * whatever decode_jwt accepts has object header and payload, a supported alg, and parts
//    that are canonical base64url (re-encoding gives back the exact input);
//  * verify_jwt never accepts a token decode_jwt refuses, nor an alg outside the allow-list;
//  * a refusal always says why.
// The key set holds the RFC 7515 A.3 key (no kid) and two generated keys whose tokens are seeds.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/encoding.hpp"
#include "crypto/jwt.hpp"
#include "crypto/strict_json.hpp"

namespace {

using namespace mcpgate::crypto;  // NOLINT(google-build-using-namespace)

const char* const kEcJwk =
    "{\"alg\":\"ES256\",\"crv\":\"P-256\",\"kid\":\"U6ZIPoKDX-Np1jMdgh5lPvOD_sBS4OQq5MqE1cmDfQQ\","
    "\"kty\":\""
    "EC\",\"use\":\"sig\",\"x\":\"o3lVValBiAG1R_LGhrfIrlGPCy4nNZbu0y1ZWzfq7vU\",\"y\":"
    "\"9jwphd6d5uIOFJPkQ"
    "NKDgRW_h1LzHTZVqwixuNiXqYI\"}";
const char* const kRsaJwk =
    "{\"alg\":\"PS256\",\"e\":\"AQAB\",\"kid\":\"kqWb3YsHnXnwA4BI81vXpMUqH_QejN6WXLmRiG8B5hM\","
    "\"kty\":\"RSA"
    "\",\"n\":\"oomQ8j7g_BRzVZo9rK-1uyqPpy1cZzXUsWW7iSzUc_vhJz8Iz6FvilORRGFqmqQtb-EfF1hiek9l_bWVj"
    "A8ehmtQsv0HCFX7tUF0yIx4exZMG_YEiNVnTkjCszaa4jhu0_NnZi6cxeuPHu9N9Dufv7zDB46q24qgdFa4sCfAd"
    "v4rFfgKgaCpAv8EsS2PPXPqCeuEpdRJru3jdb4ZNYN-CM5JQNC2dE8wW7Zjgi30SlatO8K1IGzboSzCwZoqFTd0G"
    "2a4mNRgkxJwdz41pOlZAWWKw9tWagleoP57cgfiYWUCF98_X7Pb4JFa0bq-i8ybAPHf1Z0D9zwJUjTJDrNhnBh7D"
    "vVAxfsfd0tXCSS1XY22I8SJNkVSD7A2YI2tHHOaUcj-GnYaJwwXSGuFGF8_h0FB-WJO9Y9H0NVcr084ZL8p1KwED"
    "_Gj3Q3ameyIajPEzfbyF11AqtoMoNOXbIf1QcIL2oFkY-Mok6s8tg98X3l5tjiIpxzR277PyMqLwf6z\",\"use\":\""
    "sig\"}";
const char* const kA3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

const JwkSet& keys() {
  static const JwkSet kKeys = [] {
    JwkSet set;
    for (const char* jwk : {kEcJwk, kRsaJwk, kA3Jwk}) {
      set.add(PublicKey::from_jwk(nlohmann::json::parse(jwk)).value());
    }
    return set;
  }();
  return kKeys;
}

JwtVerifyOptions options(std::vector<JwsAlgorithm> algs, std::string typ, bool require_kid) {
  JwtVerifyOptions o;
  o.allowed_algs = std::move(algs);
  o.typ = std::move(typ);
  o.require_kid = require_kid;
  return o;
}

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

bool canonical_b64(std::string_view part) {
  const auto bytes = base64url_decode(part);
  return bytes.ok() && base64url_encode(*bytes) == part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT

  // The decoder on its own.
  const auto decoded = decode_jwt(text);
  if (decoded) {
    check(decoded->header.is_object() && decoded->payload.is_object());
    check(parse_jws_algorithm(decoded->header.at("alg").get<std::string>()) == decoded->alg);
    const std::size_t dot1 = text.find('.');
    const std::size_t dot2 = text.rfind('.');
    check(dot1 != dot2 && text.substr(0, dot2) == decoded->signing_input);
    check(canonical_b64(text.substr(0, dot1)));
    check(canonical_b64(text.substr(dot1 + 1, dot2 - dot1 - 1)));
    check(base64url_encode(decoded->signature) == text.substr(dot2 + 1));
  } else {
    check(!decoded.error().message.empty());
  }

  // Full verification under several policies.
  const JwtVerifyOptions policies[] = {
      options({JwsAlgorithm::kES256}, "at+jwt", true),
      options({JwsAlgorithm::kES256, JwsAlgorithm::kRS256, JwsAlgorithm::kPS256}, "", false),
      options({JwsAlgorithm::kRS256}, "", true),
      options({}, "", false),
  };
  for (const auto& policy : policies) {
    const auto verified = verify_jwt(text, keys(), policy);
    if (verified) {
      check(decoded.ok());
      check(std::find(policy.allowed_algs.begin(), policy.allowed_algs.end(), verified->alg)
            != policy.allowed_algs.end());
      ClaimChecks claims;
      claims.now = 1700000000;
      claims.audience = "https://mcp.example/mcp";
      (void)check_claims(verified->payload, claims);
    } else {
      check(!verified.error().message.empty());
    }
  }
  for (const auto& key : keys().keys()) {
    const auto verified = verify_jwt(text, key, policies[1]);
    check(!verified || decoded.ok());
  }

  // The strict JSON reader and base64url on raw bytes.
  (void)parse_json_strict(text);
  if (const auto bytes = base64url_decode(text); bytes) {
    check(base64url_encode(*bytes) == text);
  }
  return 0;
}
