#include "oauth/token_issuer.hpp"

#include <algorithm>

#include "crypto/jwt.hpp"
#include "crypto/random.hpp"
#include "oauth/options.hpp"

namespace mcpgate::oauth {

std::int64_t access_token_lifetime(std::int64_t ttl_s) {
  return std::clamp<std::int64_t>(ttl_s, 1, kMaxAccessTokenTtl);
}

Result<IssuedAccessToken> mint_access_token(const SigningKeys& keys, std::string_view issuer,
                                            const AccessTokenSpec& spec, std::int64_t now,
                                            std::int64_t ttl_s) {
  if (spec.org_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "an access token needs the user's organization");
  }
  if (!keys.active) {
    return make_error(ErrorCode::kFailedPrecondition, "no active signing key");
  }
  IssuedAccessToken out;
  out.jti = spec.jti.empty() ? crypto::random_id() : spec.jti;
  out.issued_at = now;
  out.expires_at = now + access_token_lifetime(ttl_s);
  nlohmann::json claims = {
      {"iss", issuer},
      {"sub", spec.subject},
      {"aud", spec.resource},
      {"client_id", spec.client_id},
      {"iat", out.issued_at},
      {"nbf", out.issued_at},
      {"exp", out.expires_at},
      {"jti", out.jti},
      {"org_id", spec.org_id},
  };
  if (!spec.scope.empty()) {
    claims["scope"] = spec.scope;
  }
  auto token = crypto::sign_jwt(*keys.active, claims, "at+jwt");
  if (!token) {
    return token.error();
  }
  out.token = std::move(token).value();
  return out;
}

std::string new_opaque_token() { return crypto::random_token(32); }

nlohmann::json token_response_body(const IssuedAccessToken& access, std::string_view scope,
                                   const std::optional<std::string>& refresh_token,
                                   std::int64_t now) {
  nlohmann::json body = {
      {"access_token", access.token},
      {"token_type", "Bearer"},
      {"expires_in", access.expires_at - now},
      {"scope", scope},
  };
  if (refresh_token) {
    body["refresh_token"] = *refresh_token;
  }
  return body;
}

}  // namespace mcpgate::oauth
