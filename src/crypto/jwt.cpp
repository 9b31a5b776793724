#include "crypto/jwt.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"
#include "crypto/strict_json.hpp"

namespace mcpgate::crypto {
namespace {

Error malformed(const char* message) {
  return make_error(ErrorCode::kInvalidArgument, std::string("jwt: ") + message);
}

Error refused(const std::string& message) {
  return make_error(ErrorCode::kUnauthenticated, "jwt: " + message);
}

Result<nlohmann::json> decode_part(std::string_view part, const JwtLimits& limits) {
  auto bytes = base64url_decode(part);
  if (!bytes) {
    return malformed("part is not canonical base64url");
  }
  auto json = parse_json_strict(*bytes, JsonLimits{limits.max_token_bytes, limits.max_json_depth});
  if (!json || !json->is_object()) {
    return malformed("part is not a JSON object");
  }
  return json;
}

// RFC 7515 §4.1.9 / RFC 2045: media types compare case-insensitively, and "application/" may be
// left out when there is no other '/'.
std::string normalize_typ(std::string_view typ) {
  std::string out;
  out.reserve(typ.size());
  for (const char c : typ) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  constexpr std::string_view kPrefix = "application/";
  if (out.rfind(kPrefix, 0) == 0 && out.find('/', kPrefix.size()) == std::string::npos) {
    out.erase(0, kPrefix.size());
  }
  return out;
}

Status check_header(const Jwt& jwt, const JwtVerifyOptions& options) {
  if (std::find(options.allowed_algs.begin(), options.allowed_algs.end(), jwt.alg)
      == options.allowed_algs.end()) {
    return refused("alg " + std::string(jws_algorithm_name(jwt.alg)) + " not allowed here");
  }
  if (!options.typ.empty() && normalize_typ(jwt.typ) != normalize_typ(options.typ)) {
    return refused("typ mismatch");
  }
  return {};
}

Result<Jwt> verify_with(Jwt jwt, const PublicKey& key) {
  MCPGATE_TRY(jws_verify(key, jwt.alg, jwt.signing_input, jwt.signature));
  return jwt;
}

std::optional<double> numeric_date(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) {
    return std::nullopt;
  }
  return it->get<double>();
}

}  // namespace

Result<Jwt> decode_jwt(std::string_view token, const JwtLimits& limits) {
  if (token.empty() || token.size() > limits.max_token_bytes) {
    return malformed("empty or too large");
  }
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("not three parts");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty()) {
    return malformed("empty part");
  }

  Jwt jwt;
  MCPGATE_ASSIGN_OR_RETURN(jwt.header, decode_part(header_b64, limits));
  const auto alg = jwt.header.find("alg");
  if (alg == jwt.header.end() || !alg->is_string()) {
    return malformed("header has no alg");
  }
  const auto parsed_alg = parse_jws_algorithm(alg->get_ref<const std::string&>());
  if (!parsed_alg) {
    // "none", HS256 and everything else we do not implement.
    return refused("alg not supported");
  }
  jwt.alg = *parsed_alg;
  if (jwt.header.contains("crit")) {
    return malformed("crit extensions are not supported");
  }
  if (jwt.header.contains("cty")) {
    return malformed("cty (nested tokens) is not supported");
  }
  if (const auto kid = jwt.header.find("kid"); kid != jwt.header.end()) {
    if (!kid->is_string()) {
      return malformed("kid is not a string");
    }
    jwt.kid = kid->get<std::string>();
  }
  if (const auto typ = jwt.header.find("typ"); typ != jwt.header.end()) {
    if (!typ->is_string()) {
      return malformed("typ is not a string");
    }
    jwt.typ = typ->get<std::string>();
  }
  MCPGATE_ASSIGN_OR_RETURN(jwt.payload, decode_part(payload_b64, limits));
  auto signature = base64url_decode(signature_b64);
  if (!signature || signature->empty()) {
    return malformed("signature is not canonical base64url");
  }
  jwt.signature = std::move(signature).value();
  jwt.signing_input = std::string(token.substr(0, dot2));
  return jwt;
}

Result<Jwt> verify_jwt(std::string_view token,
                       const JwkSet& keys,
                       const JwtVerifyOptions& options) {
  MCPGATE_ASSIGN_OR_RETURN(auto jwt, decode_jwt(token, options.limits));
  MCPGATE_TRY(check_header(jwt, options));
  if (!jwt.header.contains("kid")) {
    if (options.require_kid) {
      return refused("kid required");
    }
    const PublicKey* only = nullptr;
    for (const auto& key : keys.keys()) {
      if (key.supports(jwt.alg)) {
        if (only != nullptr) {
          return refused("no kid and several candidate keys");
        }
        only = &key;
      }
    }
    if (only == nullptr) {
      return refused("no key for this alg");
    }
    return verify_with(std::move(jwt), *only);
  }
  const PublicKey* key = keys.find(jwt.kid, jwt.alg);
  if (key == nullptr) {
    return make_error(ErrorCode::kNotFound, "jwt: unknown kid");
  }
  return verify_with(std::move(jwt), *key);
}

Result<Jwt> verify_jwt(std::string_view token,
                       const PublicKey& key,
                       const JwtVerifyOptions& options) {
  MCPGATE_ASSIGN_OR_RETURN(auto jwt, decode_jwt(token, options.limits));
  MCPGATE_TRY(check_header(jwt, options));
  return verify_with(std::move(jwt), key);
}

Result<std::string> sign_jwt(const SigningKey& key,
                             const nlohmann::json& claims,
                             std::string_view typ) {
  if (!claims.is_object()) {
    return malformed("claims must be a JSON object");
  }
  nlohmann::json header = {{"alg", std::string(jws_algorithm_name(key.alg()))}, {"kid", key.kid()}};
  if (!typ.empty()) {
    header["typ"] = std::string(typ);
  }
  std::string signing_input;
  try {
    signing_input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  } catch (const nlohmann::json::exception&) {
    return malformed("claims hold a string that is not UTF-8");
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto signature, jws_sign(key, signing_input));
  return signing_input + "." + base64url_encode(signature);
}

Status check_claims(const nlohmann::json& claims, const ClaimChecks& checks) {
  if (!claims.is_object()) {
    return refused("claims are not an object");
  }
  const auto now = static_cast<double>(checks.now);
  const auto leeway = static_cast<double>(checks.leeway);
  for (const char* name : {"exp", "nbf", "iat"}) {
    if (claims.contains(name) && !claims.at(name).is_number()) {
      return refused(std::string(name) + " is not a number");
    }
  }
  const auto exp = numeric_date(claims, "exp");
  if (!exp && checks.require_exp) {
    return refused("exp missing");
  }
  if (exp && now >= *exp + leeway) {
    return refused("expired");
  }
  if (const auto nbf = numeric_date(claims, "nbf"); nbf && now + leeway < *nbf) {
    return refused("not yet valid (nbf)");
  }
  const auto iat = numeric_date(claims, "iat");
  if (iat && *iat > now + leeway) {
    return refused("issued in the future (iat)");
  }
  if (checks.max_age > 0 && (!iat || now - *iat > static_cast<double>(checks.max_age) + leeway)) {
    return refused("iat missing or too old");
  }
  if (!checks.issuer.empty()) {
    const auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || *iss != checks.issuer) {
      return refused("iss mismatch");
    }
  }
  if (!checks.audience.empty()) {
    const auto aud = claims.find("aud");
    bool ok = false;
    if (aud != claims.end() && aud->is_string()) {
      ok = *aud == checks.audience;
    } else if (aud != claims.end() && aud->is_array()) {
      ok = std::any_of(aud->begin(), aud->end(), [&](const nlohmann::json& a) {
        return a.is_string() && a == checks.audience;
      });
    }
    if (!ok) {
      return refused("aud mismatch");
    }
  }
  for (const auto& name : checks.required) {
    if (!claims.contains(name)) {
      return refused(name + " missing");
    }
  }
  return {};
}

}  // namespace mcpgate::crypto
