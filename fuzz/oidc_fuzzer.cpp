// The OIDC relying party's parsers of provider-controlled input (src/identity). The first byte
// picks the path, the rest is the input:
//   0  a JWKS document            -> identity::parse_jwks
//   1  a discovery document       -> identity::parse_provider_metadata (fixed configuration)
//   2  an ID token                -> verify_id_token_signature against a fixed JWKS, then
//                                    check_id_token_claims and map_identity
//   3  ID token claims (JSON)     -> check_id_token_claims + map_identity directly (a fuzzer
//                                    cannot forge signatures, so the claim checks get their own
//                                    path); the second byte picks the alg for at_hash/c_hash
//   4  a callback query string    -> parse_callback_query + check_callback_issuer
// Beyond "no crash":
//  * an accepted JWKS has 1..kMaxJwksKeys keys;
//  * accepted metadata names exactly the configured issuer and https endpoints only;
//  * accepted claims carry the expected iss, nonce and audience, and the identity's key is
//    (iss, sub) — never anything else;
//  * an accepted callback with an iss names the provider's issuer.
// The fixed JWKS holds one P-256 key whose tokens are seeds (its private half was used once to
// sign them and is not kept).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/strict_json.hpp"
#include "identity/authorization.hpp"
#include "identity/id_token.hpp"
#include "identity/identity.hpp"
#include "identity/provider.hpp"

namespace {

using namespace mcpgate;  // NOLINT(google-build-using-namespace)

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kIssuer = "https://idp.example.com";
constexpr const char* kClient = "gate";
constexpr const char* kNonce = "n-fuzz";

const char* const kSeedJwk =
    R"({"kty":"EC","crv":"P-256","x":"GXF1KvFhqbTrWaHJUMBNidy-KS46xQK-uK-mnOhRVhc",)"
    R"("y":"ncdXffWslmHzwplvRlepqj86-dv-nN63tYsj42EwSrA","alg":"ES256","use":"sig",)"
    R"("kid":"QWNEV1ffEM-nN5m41Cyca471-4yzdMgBjP5XWceyWx0"})";

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

const crypto::JwkSet& fixed_keys() {
  static const crypto::JwkSet kKeys = [] {
    crypto::JwkSet set;
    set.add(crypto::PublicKey::from_jwk(nlohmann::json::parse(kSeedJwk)).value());
    return set;
  }();
  return kKeys;
}

const identity::ProviderConfig& fixed_config() {
  static const identity::ProviderConfig kConfig = [] {
    identity::ProviderConfig c;
    c.issuer = kIssuer;
    c.client_id = kClient;
    c.client_secret = "s";
    c.redirect_uri = "https://gate.example.com/sso/callback";
    return c;
  }();
  return kConfig;
}

identity::IdTokenChecks fixed_checks(crypto::JwsAlgorithm alg_hint) {
  identity::IdTokenChecks c;
  c.issuer = kIssuer;
  c.client_id = kClient;
  c.trusted_audiences = {"api://other"};
  c.allowed_algs = {crypto::JwsAlgorithm::kES256,
                    crypto::JwsAlgorithm::kRS256,
                    crypto::JwsAlgorithm::kPS256,
                    crypto::JwsAlgorithm::kEdDSA};
  c.nonce = kNonce;
  c.now = kNow;
  c.access_token = "at";
  c.code = "c";
  if (alg_hint == crypto::JwsAlgorithm::kEdDSA) {
    c.max_age = 300;
  }
  return c;
}

bool audience_has_client(const nlohmann::json& aud) {
  if (aud.is_string()) {
    return aud == kClient;
  }
  for (const auto& a : aud) {
    if (a == kClient) {
      return true;
    }
  }
  return false;
}

void check_accepted_claims(const nlohmann::json& claims, crypto::JwsAlgorithm alg) {
  const auto st = identity::check_id_token_claims(claims, alg, fixed_checks(alg));
  if (!st) {
    check(!st.error().message.empty());
    return;
  }
  check(claims.at("iss") == kIssuer);
  check(claims.at("nonce") == kNonce);
  check(audience_has_client(claims.at("aud")));
  for (const char* groups : {"groups", "realm_access.roles", "/groups"}) {
    identity::ClaimMapping mapping;
    mapping.groups = groups;
    const auto id = identity::map_identity(claims, mapping);
    if (id) {
      check(id->key() == (identity::SubjectKey{kIssuer, claims.at("sub").get<std::string>()}));
      check(identity::SubjectKey::from_string(id->key().to_string()).value() == id->key());
      check(!id->verified_email() || id->email_verified);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);  // NOLINT
  switch (data[0] % 5) {
    case 0: {
      const auto set = identity::parse_jwks(text);
      if (set) {
        check(!set->empty() && set->keys().size() <= identity::kMaxJwksKeys);
      } else {
        check(!set.error().message.empty());
      }
      break;
    }
    case 1: {
      const auto m = identity::parse_provider_metadata(text, fixed_config());
      if (m) {
        check(m->issuer == kIssuer);
        for (const auto* url : {&m->authorization_endpoint, &m->token_endpoint, &m->jwks_uri}) {
          check(identity::endpoint_url_allowed(*url, false));
        }
        (void)identity::effective_id_token_algs(fixed_config(), *m);
      }
      break;
    }
    case 2: {
      const auto checks = fixed_checks(crypto::JwsAlgorithm::kES256);
      const auto jwt = identity::verify_id_token_signature(text, fixed_keys(), checks);
      if (jwt) {
        check(jwt->alg == crypto::JwsAlgorithm::kES256);
        check_accepted_claims(jwt->payload, jwt->alg);
      } else {
        check(!jwt.error().message.empty());
      }
      break;
    }
    case 3: {
      if (text.empty()) {
        break;
      }
      const auto alg = static_cast<crypto::JwsAlgorithm>(static_cast<unsigned char>(text[0]) % 4);
      const auto claims = crypto::parse_json_strict(text.substr(1));
      if (claims) {
        check_accepted_claims(*claims, alg);
      }
      break;
    }
    default: {
      const auto params = identity::parse_callback_query(text);
      if (params) {
        identity::ProviderMetadata m;
        m.issuer = kIssuer;
        m.authorization_response_iss_parameter_supported = true;
        if (identity::check_callback_issuer(*params, m)) {
          check(params->iss.has_value() && *params->iss == kIssuer);
        }
        if (params->error) {
          const std::string code = identity::sanitized_error_code(*params->error);
          check(code.size() <= 64 && code.find('"') == std::string::npos);
        }
      }
      break;
    }
  }
  return 0;
}
