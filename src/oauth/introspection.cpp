#include "oauth/introspection.hpp"

#include <algorithm>

#include "crypto/jwt.hpp"
#include "oauth/http_util.hpp"
#include "oauth/server_context.hpp"

namespace mcpgate::oauth {
namespace {

nlohmann::json inactive() { return nlohmann::json{{"active", false}}; }

bool may_see(const ClientInfo& caller, std::string_view token_client_id) {
  return caller.kind == store::ClientKind::kStatic || caller.client_id == token_client_id;
}

}  // namespace

asio::awaitable<void> IntrospectionEndpoint::handle(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (req.method() != http::bhttp::verb::post) {
    co_await ex.respond(method_not_allowed("POST"));
    co_return;
  }
  auto result = co_await introspect(req, ex.remote_ip());
  // (Built before the co_await: g++ 12 mishandles class temporaries of a conditional
  // expression inside a co_await operand.)
  http::Response res = result ? json_response(http::StatusCode::ok, *result, true)
                              : json_error(result.error());
  co_await ex.respond(std::move(res));
}

asio::awaitable<OAuthResult<nlohmann::json>> IntrospectionEndpoint::introspect(
    const http::Request& req, const std::string& remote_ip) {
  int retry_after = 0;
  if (!ctx_.token_limiter.allow(remote_ip, ctx_.now(), &retry_after)) {
    co_return OAuthError{OAuthErrorCode::kRateLimited, "too many requests", retry_after};
  }
  if (!has_form_body(req)) {
    co_return oauth_error(OAuthErrorCode::kInvalidRequest,
                          "the body must be application/x-www-form-urlencoded");
  }
  auto params = parse_form(req.body());
  if (!params) {
    co_return oauth_error(OAuthErrorCode::kInvalidRequest, "the form body is malformed or too large");
  }
  if (auto repeated = params->first_repeated()) {
    co_return oauth_error(OAuthErrorCode::kInvalidRequest, "parameter " + *repeated + " is repeated");
  }
  auto auth = co_await authenticator_.authenticate(req, *params, ctx_.urls.introspection_endpoint);
  if (!auth) {
    co_return auth.error();
  }
  if (auth->client.public_client()) {
    co_return oauth_error(OAuthErrorCode::kInvalidClient,
                          "introspection requires client authentication");
  }
  const std::string token = params->value("token");
  if (token.empty()) {
    co_return oauth_error(OAuthErrorCode::kInvalidRequest, "token is required");
  }
  const ClientInfo& caller = auth->client;
  auto answer = co_await ctx_.executor.run([&] { return inspect(caller, token); });
  if (!answer) {
    co_return internal_error("oauth_introspection_failed", answer.error());
  }
  co_return std::move(answer).value();
}

Result<nlohmann::json> IntrospectionEndpoint::inspect(const ClientInfo& caller,
                                                      const std::string& token) {
  const std::int64_t now = ctx_.now();
  if (std::count(token.begin(), token.end(), '.') == 2) {
    auto keys = ctx_.keys.current();
    crypto::JwtVerifyOptions options;
    options.allowed_algs = {crypto::JwsAlgorithm::kES256};
    options.typ = "at+jwt";
    auto jwt = crypto::verify_jwt(token, keys->verification, options);
    if (!jwt) {
      return inactive();
    }
    const nlohmann::json& claims = jwt->payload;
    crypto::ClaimChecks checks;
    checks.now = now;
    checks.leeway = 0;
    checks.issuer = ctx_.urls.issuer;
    checks.required = {"sub", "aud", "client_id", "jti", "iat"};
    if (!crypto::check_claims(claims, checks) || !claims["jti"].is_string() ||
        !claims["client_id"].is_string() || !claims["sub"].is_string()) {
      return inactive();
    }
    if (!may_see(caller, claims["client_id"].get<std::string>())) {
      return inactive();
    }
    MCPGATE_ASSIGN_OR_RETURN(const bool revoked,
                             ctx_.store.is_access_token_revoked(claims["jti"].get<std::string>()));
    if (revoked) {
      return inactive();
    }
    auto user = ctx_.store.find_user(claims["sub"].get<std::string>());
    if (!user) {
      if (user.error().code != ErrorCode::kNotFound) {
        return user.error();
      }
      return inactive();
    }
    // A token whose org_id is not (or no longer) the user's organization is not active: the
    // same rule as the bearer guard's.
    const auto org = claims.find("org_id");
    if (user->disabled || org == claims.end() || !org->is_string() || *org != user->org_id) {
      return inactive();
    }
    nlohmann::json out = {{"active", true},
                          {"org_id", user->org_id},
                          {"client_id", claims["client_id"]},
                          {"username", user->username},
                          {"token_type", "Bearer"},
                          {"exp", claims["exp"]},
                          {"iat", claims["iat"]},
                          {"sub", claims["sub"]},
                          {"aud", claims["aud"]},
                          {"iss", claims["iss"]},
                          {"jti", claims["jti"]}};
    if (claims.contains("nbf")) {
      out["nbf"] = claims["nbf"];
    }
    if (claims.contains("scope")) {
      out["scope"] = claims["scope"];
    }
    return out;
  }

  auto rt = ctx_.store.find_refresh_token(store::hash_secret(token));
  if (!rt) {
    if (rt.error().code != ErrorCode::kNotFound) {
      return rt.error();
    }
    return inactive();
  }
  if (rt->used_at || rt->revoked_at || rt->expires_at <= now || rt->family_expires_at <= now ||
      !may_see(caller, rt->client_id)) {
    return inactive();
  }
  auto grant = ctx_.store.find_grant(rt->grant_id);
  if (!grant) {
    if (grant.error().code != ErrorCode::kNotFound) {
      return grant.error();
    }
    return inactive();
  }
  if (grant->revoked_at) {
    return inactive();
  }
  auto user = ctx_.store.find_user(grant->user_id);
  if (!user || user->disabled) {
    if (!user && user.error().code != ErrorCode::kNotFound) {
      return user.error();
    }
    return inactive();
  }
  return nlohmann::json{{"active", true},
                        {"org_id", user->org_id},
                        {"scope", rt->scope},
                        {"client_id", rt->client_id},
                        {"username", user->username},
                        {"token_type", "refresh_token"},
                        {"exp", std::min(rt->expires_at, rt->family_expires_at)},
                        {"iat", rt->created_at},
                        {"sub", grant->user_id},
                        {"aud", rt->resource},
                        {"iss", ctx_.urls.issuer}};
}

}  // namespace mcpgate::oauth
