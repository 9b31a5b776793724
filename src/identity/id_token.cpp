#include "identity/id_token.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace mcpgate::identity {
namespace {

Error id_token_refused(const std::string& what) {
  return make_error(ErrorCode::kUnauthenticated, "id_token: " + what);
}

// typ absent, or "JWT" in any case with or without "application/".
bool id_token_typ_ok(std::string_view typ) {
  return typ.empty() || ascii::iequals(typ, "JWT") || ascii::iequals(typ, "application/jwt");
}

std::optional<double> id_token_number(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) {
    return std::nullopt;
  }
  return it->get<double>();
}

Status id_token_hash_claim(const nlohmann::json& claims,
                           const char* name,
                           std::string_view source,
                           crypto::JwsAlgorithm alg) {
  const auto it = claims.find(name);
  if (it == claims.end()) {
    return {};
  }
  if (!it->is_string() || source.empty()) {
    return id_token_refused(std::string(name) + " cannot be checked");
  }
  if (!crypto::constant_time_equal(it->get_ref<const std::string&>(),
                                   oidc_token_hash(source, alg))) {
    return id_token_refused(std::string(name) + " mismatch");
  }
  return {};
}

}  // namespace

std::string oidc_token_hash(std::string_view value, crypto::JwsAlgorithm alg) {
  const std::string digest =
      alg == crypto::JwsAlgorithm::kEdDSA ? crypto::sha512(value) : crypto::sha256(value);
  return crypto::base64url_encode(std::string_view(digest).substr(0, digest.size() / 2));
}

Result<crypto::Jwt> verify_id_token_signature(std::string_view token,
                                              const crypto::JwkSet& keys,
                                              const IdTokenChecks& checks) {
  crypto::JwtVerifyOptions options;
  options.allowed_algs = checks.allowed_algs;
  options.require_kid = false;  // OIDC Core §10.1: kid may be left out when the JWKS has one key
  options.limits.max_token_bytes = checks.max_token_bytes;
  auto verified = crypto::verify_jwt(token, keys, options);
  if (!verified && verified.error().code == ErrorCode::kUnauthenticated) {
    // A token without kid whose alg is allowed but which no key of the set verifies: the
    // provider may have rotated its only key. Report it like an unknown kid, so the caller
    // refetches the JWKS once (rate-limited) before refusing.
    const auto decoded = crypto::decode_jwt(token, options.limits);
    if (decoded && !decoded->header.contains("kid")
        && std::find(options.allowed_algs.begin(), options.allowed_algs.end(), decoded->alg)
               != options.allowed_algs.end()
        && id_token_typ_ok(decoded->typ)) {
      return make_error(ErrorCode::kNotFound, "id_token: no key of the JWKS verifies it (no kid)");
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(auto jwt, std::move(verified));
  if (!id_token_typ_ok(jwt.typ)) {
    return id_token_refused("typ is not JWT (not an ID token)");
  }
  return jwt;
}

Status check_id_token_claims(const nlohmann::json& claims,
                             crypto::JwsAlgorithm alg,
                             const IdTokenChecks& checks) {
  if (!claims.is_object()) {
    return id_token_refused("claims are not an object");
  }
  if (checks.issuer.empty() || checks.client_id.empty() || checks.nonce.empty()) {
    return make_error(ErrorCode::kInternal, "id_token: issuer, client_id and nonce are required");
  }
  crypto::ClaimChecks registered;
  registered.now = checks.now;
  registered.leeway = checks.leeway;
  registered.issuer = checks.issuer;
  registered.audience = checks.client_id;
  registered.require_exp = true;
  registered.max_age = checks.max_token_age;
  registered.required = {"sub", "iat"};
  if (auto st = crypto::check_claims(claims, registered); !st) {
    return id_token_refused(st.error().message);
  }

  const auto& sub = claims.at("sub");
  if (!sub.is_string() || sub.get_ref<const std::string&>().empty()
      || sub.get_ref<const std::string&>().size() > 255) {
    return id_token_refused("sub must be a string of 1 to 255 bytes");
  }

  // aud: check_claims found client_id in it; now the other entries and azp.
  const auto& aud = claims.at("aud");
  std::size_t audiences = 1;
  if (aud.is_array()) {
    audiences = aud.size();
    for (const auto& a : aud) {
      if (!a.is_string()) {
        return id_token_refused("aud holds a non-string");
      }
      const auto& value = a.get_ref<const std::string&>();
      if (value != checks.client_id
          && std::find(checks.trusted_audiences.begin(), checks.trusted_audiences.end(), value)
                 == checks.trusted_audiences.end()) {
        return id_token_refused("aud names an untrusted audience");
      }
    }
  }
  const auto azp = claims.find("azp");
  if (audiences > 1 && azp == claims.end()) {
    return id_token_refused("azp required with several audiences");
  }
  if (azp != claims.end() && (!azp->is_string() || *azp != checks.client_id)) {
    return id_token_refused("azp is not this client");
  }

  const auto nonce = claims.find("nonce");
  if (nonce == claims.end() || !nonce->is_string()
      || !crypto::constant_time_equal(nonce->get_ref<const std::string&>(), checks.nonce)) {
    return id_token_refused("nonce mismatch");
  }

  if (claims.contains("auth_time") && !claims.at("auth_time").is_number()) {
    return id_token_refused("auth_time is not a number");
  }
  if (checks.max_age) {
    const auto auth_time = id_token_number(claims, "auth_time");
    const auto now = static_cast<double>(checks.now);
    const auto leeway = static_cast<double>(checks.leeway);
    if (!auth_time || *auth_time > now + leeway
        || now - *auth_time > static_cast<double>(*checks.max_age) + leeway) {
      return id_token_refused("auth_time missing or older than max_age");
    }
  }

  MCPGATE_TRY(id_token_hash_claim(claims, "at_hash", checks.access_token, alg));
  MCPGATE_TRY(id_token_hash_claim(claims, "c_hash", checks.code, alg));
  return {};
}

}  // namespace mcpgate::identity
