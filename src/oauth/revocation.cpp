#include "oauth/revocation.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "crypto/jwt.hpp"
#include "oauth/http_util.hpp"
#include "oauth/server_context.hpp"

namespace mcpgate::oauth {

asio::awaitable<void> RevocationEndpoint::handle(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (req.method() != http::bhttp::verb::post) {
    co_await ex.respond(method_not_allowed("POST"));
    co_return;
  }
  auto result = co_await revoke(req, ex.remote_ip());
  if (!result) {
    co_await ex.respond(json_error(result.error()));
    co_return;
  }
  http::Response res{http::StatusCode::ok, 11};
  res.set(http::Field::cache_control, "no-store");
  res.set(http::Field::pragma, "no-cache");
  co_await ex.respond(std::move(res));
}

asio::awaitable<OAuthResult<bool>> RevocationEndpoint::revoke(const http::Request& req,
                                                              const std::string& remote_ip) {
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
  auto auth = co_await authenticator_.authenticate(req, *params, ctx_.urls.revocation_endpoint);
  if (!auth) {
    co_return auth.error();
  }
  const std::string token = params->value("token");
  if (token.empty()) {
    co_return oauth_error(OAuthErrorCode::kInvalidRequest, "token is required");
  }
  const ClientInfo& caller = auth->client;
  auto done = co_await ctx_.executor.run([&] { return revoke_token(caller, token); });
  if (!done) {
    co_return internal_error("oauth_revocation_failed", done.error());
  }
  co_return true;
}

Status RevocationEndpoint::revoke_token(const ClientInfo& caller, const std::string& token) {
  const std::int64_t now = ctx_.now();
  if (std::count(token.begin(), token.end(), '.') == 2) {
    auto keys = ctx_.keys.current();
    crypto::JwtVerifyOptions options;
    options.allowed_algs = {crypto::JwsAlgorithm::kES256};
    options.typ = "at+jwt";
    auto jwt = crypto::verify_jwt(token, keys->verification, options);
    if (!jwt) {
      return {};
    }
    const nlohmann::json& claims = jwt->payload;
    const auto& jti = claims.value("jti", nlohmann::json());
    const auto& exp = claims.value("exp", nlohmann::json());
    const auto& client_id = claims.value("client_id", nlohmann::json());
    if (!jti.is_string() || !exp.is_number_integer() || !client_id.is_string() ||
        client_id.get<std::string>() != caller.client_id || claims.value("iss", "") != ctx_.urls.issuer) {
      return {};
    }
    const std::int64_t expires_at = exp.get<std::int64_t>();
    if (expires_at <= now) {
      return {};  // expired already: nothing to revoke
    }
    MCPGATE_TRY(ctx_.store.revoke_access_token(jti.get<std::string>(), expires_at, now));
    log::info("oauth_access_token_revoked", {{"client_id", caller.client_id}, {"jti", jti}});
    ctx_.notify_revoked({store::RevokedToken{0, jti.get<std::string>(), expires_at}});
    return {};
  }
  auto rt = ctx_.store.find_refresh_token(store::hash_secret(token));
  if (!rt) {
    return rt.error().code == ErrorCode::kNotFound ? Status() : Status(rt.error());
  }
  if (rt->client_id != caller.client_id) {
    return {};
  }
  auto revoked = ctx_.store.revoke_grant(rt->grant_id, now);
  if (!revoked) {
    return revoked.error().code == ErrorCode::kNotFound ? Status() : Status(revoked.error());
  }
  log::info("oauth_refresh_token_revoked",
            {{"client_id", caller.client_id}, {"grant_id", rt->grant_id}, {"revoked_count", revoked->size()}});
  ctx_.notify_revoked(*revoked);
  return {};
}

}  // namespace mcpgate::oauth
