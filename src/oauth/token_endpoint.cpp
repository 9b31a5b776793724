#include "oauth/token_endpoint.hpp"

#include <algorithm>
#include <mutex>
#include <optional>

#include "core/log.hpp"
#include "crypto/random.hpp"
#include "oauth/http_util.hpp"
#include "oauth/pkce.hpp"
#include "oauth/scopes.hpp"
#include "oauth/server_context.hpp"
#include "oauth/token_issuer.hpp"

namespace mcpgate::oauth {
namespace {

OAuthError invalid_request(std::string description) {
  return oauth_error(OAuthErrorCode::kInvalidRequest, std::move(description));
}

OAuthError invalid_grant(std::string description) {
  return oauth_error(OAuthErrorCode::kInvalidGrant, std::move(description));
}

}  // namespace

asio::awaitable<void> TokenEndpoint::handle(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (req.method() == http::bhttp::verb::options) {
    co_await ex.respond(cors_preflight("POST"));
    co_return;
  }
  http::Response res;
  if (req.method() != http::bhttp::verb::post) {
    res = method_not_allowed("POST");
  } else {
    auto result = co_await token(req, ex.remote_ip());
    res = result ? json_response(http::StatusCode::ok, *result, true) : json_error(result.error());
  }
  add_cors(res);
  co_await ex.respond(std::move(res));
}

asio::awaitable<OAuthResult<nlohmann::json>> TokenEndpoint::token(const http::Request& req,
                                                                   const std::string& remote_ip) {
  const std::int64_t now = ctx_.now();
  int retry_after = 0;
  if (!ctx_.token_limiter.allow(remote_ip, now, &retry_after)) {
    co_return OAuthError{OAuthErrorCode::kRateLimited, "too many requests", retry_after};
  }
  if (!has_form_body(req)) {
    co_return invalid_request("the body must be application/x-www-form-urlencoded");
  }
  auto parsed = parse_form(req.body());
  if (!parsed) {
    co_return invalid_request("the form body is malformed or too large");
  }
  const Params& params = *parsed;
  if (auto repeated = params.first_repeated({"resource"})) {
    co_return invalid_request("parameter " + *repeated + " is repeated");
  }
  if (!params.has("grant_type")) {
    co_return invalid_request("grant_type is required");
  }
  const std::string grant_type = params.value("grant_type");
  if (grant_type != "authorization_code" && grant_type != "refresh_token") {
    co_return oauth_error(OAuthErrorCode::kUnsupportedGrantType,
                          "supported grant types: authorization_code, refresh_token");
  }
  std::optional<std::string> resource;
  if (params.has("resource")) {
    auto r = ctx_.resources.resolve(params.all("resource"));
    if (!r) {
      co_return oauth_error(OAuthErrorCode::kInvalidTarget, r.error().message);
    }
    resource = std::move(r).value();
  }

  auto auth = co_await authenticator_.authenticate(req, params, ctx_.urls.token_endpoint);
  if (!auth) {
    log::info("oauth_token_refused", {{"reason", "client_authentication"}});
    co_return auth.error();
  }
  const ClientInfo& client = auth->client;
  if (!client.allows_grant(grant_type)) {
    co_return oauth_error(OAuthErrorCode::kUnauthorizedClient,
                          "the client is not registered for this grant type");
  }

  if (grant_type == "authorization_code") {
    CodeRequest r;
    r.code = params.value("code");
    if (r.code.empty()) {
      co_return invalid_request("code is required");
    }
    r.redirect_uri = params.get("redirect_uri");
    r.code_verifier = params.get("code_verifier");
    if (r.code_verifier && !valid_code_verifier(*r.code_verifier)) {
      co_return invalid_request("code_verifier must be 43-128 characters of [A-Za-z0-9-._~]");
    }
    r.resource = resource;
    co_return co_await ctx_.executor.run([&] { return redeem_code(client, r); });
  }

  RefreshRequest r;
  r.refresh_token = params.value("refresh_token");
  if (r.refresh_token.empty()) {
    co_return invalid_request("refresh_token is required");
  }
  if (params.has("scope")) {
    auto scopes = ctx_.scopes.parse(params.value("scope"));
    if (!scopes) {
      co_return oauth_error(OAuthErrorCode::kInvalidScope, scopes.error().message);
    }
    r.scopes = std::move(scopes).value();
  }
  r.resource = resource;
  co_return co_await ctx_.executor.run([&] { return refresh(client, r); });
}

void TokenEndpoint::revoke_grant(const std::string& grant_id, std::int64_t now,
                                 std::string_view reason, const std::string& client_id) {
  auto revoked = ctx_.store.revoke_grant(grant_id, now);
  if (!revoked) {
    log::error("oauth_grant_revoke_failed",
               {{"grant_id", grant_id}, {"error", revoked.error().message}});
    return;
  }
  log::warn("oauth_grant_revoked",
            {{"grant_id", grant_id}, {"client_id", client_id}, {"reason", reason},
             {"revoked_count", revoked->size()}});
  ctx_.notify_revoked(*revoked);
}

OAuthResult<nlohmann::json> TokenEndpoint::redeem_code(const ClientInfo& client,
                                                       const CodeRequest& request) {
  const std::string hash = store::hash_secret(request.code);
  std::lock_guard<std::mutex> lock(ctx_.redemption_locks.for_key(hash));
  const std::int64_t now = ctx_.now();
  auto redemption = ctx_.store.consume_authorization_code(hash, now);
  if (!redemption) {
    if (redemption.error().code == ErrorCode::kNotFound) {
      return invalid_grant("the authorization code is not valid");
    }
    return internal_error("oauth_code_consume_failed", redemption.error());
  }
  const store::AuthorizationCode& code = redemption->code;
  switch (redemption->outcome) {
    case store::CodeOutcome::kAlreadyUsed:
      revoke_grant(code.grant_id, now, "authorization code replay", client.client_id);
      return invalid_grant("the authorization code was already used");
    case store::CodeOutcome::kExpired:
      return invalid_grant("the authorization code has expired");
    case store::CodeOutcome::kRevoked:
      return invalid_grant("the authorization code is not valid");
    case store::CodeOutcome::kConsumed:
      break;
  }
  // The code is spent whatever happens next; a failed check also revokes its grant.
  auto refuse = [&](OAuthError error, std::string_view reason) {
    revoke_grant(code.grant_id, now, reason, client.client_id);
    return error;
  };
  if (code.client_id != client.client_id) {
    return refuse(invalid_grant("the authorization code was issued to another client"),
                  "code presented by another client");
  }
  // The authorization request always carries redirect_uri, so the token request must repeat it
  // exactly (RFC 6749 §4.1.3; ATTACKS row 18).
  if (!request.redirect_uri || *request.redirect_uri != code.redirect_uri) {
    return refuse(invalid_grant("redirect_uri does not match the authorization request"),
                  "redirect_uri mismatch");
  }
  if (code.code_challenge.empty()) {
    if (request.code_verifier) {
      return refuse(invalid_grant("code_verifier sent for a code issued without code_challenge"),
                    "PKCE downgrade");
    }
  } else {
    if (!request.code_verifier) {
      return refuse(invalid_grant("code_verifier is required"), "missing code_verifier");
    }
    if (!verify_s256(*request.code_verifier, code.code_challenge)) {
      return refuse(invalid_grant("code_verifier does not match the code_challenge"),
                    "PKCE mismatch");
    }
  }
  if (request.resource && *request.resource != code.resource) {
    return refuse(oauth_error(OAuthErrorCode::kInvalidTarget,
                              "resource differs from the authorized one"),
                  "resource mismatch");
  }

  // The organization the user signed in to, recorded with the code; a code without one (from a
  // version before organizations) is refused rather than guessed.
  const auto org = code.extra.find("org_id");
  if (org == code.extra.end() || !org->is_string()
      || !store::is_valid_org_id(org->get_ref<const std::string&>())) {
    return refuse(invalid_grant("the authorization code carries no organization; sign in again"),
                  "code without organization");
  }
  auto keys = ctx_.keys.current();
  AccessTokenSpec spec{code.user_id, client.client_id, code.scope, code.resource, "",
                       org->get<std::string>()};
  auto access = mint_access_token(*keys, ctx_.urls.issuer, spec, now, ctx_.options.access_token_ttl_s);
  if (!access) {
    return internal_error("oauth_access_token_mint_failed", access.error());
  }
  auto recorded = ctx_.store.record_access_token(
      store::AccessTokenRecord{access->jti, code.grant_id, client.client_id, access->issued_at,
                               access->expires_at});
  if (!recorded) {
    if (recorded.error().code == ErrorCode::kFailedPrecondition) {
      return invalid_grant("the authorization grant has been revoked");
    }
    return internal_error("oauth_access_token_record_failed", recorded.error());
  }
  std::optional<std::string> refresh_token;
  if (client.allows_grant("refresh_token")) {
    refresh_token = new_opaque_token();
    store::RefreshToken rt;
    rt.token_hash = store::hash_secret(*refresh_token);
    rt.grant_id = code.grant_id;
    rt.client_id = client.client_id;
    rt.scope = code.scope;
    rt.resource = code.resource;
    rt.created_at = now;
    rt.family_expires_at = now + ctx_.options.refresh_token_ttl_s;
    rt.expires_at = std::min(now + ctx_.options.refresh_idle_ttl_s, rt.family_expires_at);
    auto created = ctx_.store.create_refresh_token(rt);
    if (!created) {
      if (created.error().code == ErrorCode::kFailedPrecondition) {
        return invalid_grant("the authorization grant has been revoked");
      }
      return internal_error("oauth_refresh_token_create_failed", created.error());
    }
  }
  log::info("oauth_token_issued", {{"grant_type", "authorization_code"},
                                   {"client_id", client.client_id},
                                   {"user_id", code.user_id},
                                   {"jti", access->jti}});
  return token_response_body(*access, code.scope, refresh_token, now);
}

OAuthResult<nlohmann::json> TokenEndpoint::refresh(const ClientInfo& client,
                                                   const RefreshRequest& request) {
  const std::string hash = store::hash_secret(request.refresh_token);
  std::lock_guard<std::mutex> lock(ctx_.redemption_locks.for_key(hash));
  const std::int64_t now = ctx_.now();
  auto keys = ctx_.keys.current();
  if (!keys || !keys->active) {
    return internal_error("oauth_access_token_mint_failed",
                          make_error(ErrorCode::kFailedPrecondition, "no active signing key"));
  }
  // One write transaction does it all: find the token, refuse reuse/revocation/expiry, check the
  // requested narrowing (a refused one spends nothing), rotate, and record the new access
  // token's jti; the JWT is signed after the commit with that jti.
  std::optional<OAuthError> refusal;
  std::string scope;
  const std::string next_token = new_opaque_token();
  const std::string jti = crypto::random_id();
  store::RotateRequest rotate;
  rotate.old_hash = hash;
  rotate.client_id = client.client_id;
  rotate.new_hash = store::hash_secret(next_token);
  rotate.new_expires_at = now + ctx_.options.refresh_idle_ttl_s;
  rotate.now = now;
  rotate.access_token = store::AccessTokenRecord{
      jti, "", client.client_id, now, now + access_token_lifetime(ctx_.options.access_token_ttl_s)};
  rotate.precheck = [&](const store::RefreshToken& presented) -> Status {
    scope = presented.scope;
    if (request.scopes) {
      if (!ctx_.scopes.covers(split_scope(presented.scope), *request.scopes)) {
        refusal = oauth_error(OAuthErrorCode::kInvalidScope, "scope exceeds the granted scope");
        return make_error(ErrorCode::kFailedPrecondition, "refused");
      }
      scope = join_scope(*request.scopes);
    }
    if (request.resource && *request.resource != presented.resource) {
      refusal = oauth_error(OAuthErrorCode::kInvalidTarget, "resource differs from the granted one");
      return make_error(ErrorCode::kFailedPrecondition, "refused");
    }
    return {};
  };
  auto rotation = ctx_.store.rotate_refresh_token(rotate);
  if (refusal) {
    return *refusal;
  }
  if (!rotation) {
    if (rotation.error().code == ErrorCode::kPermissionDenied) {
      log::warn("oauth_refresh_refused", {{"reason", "token of another client"},
                                          {"client_id", client.client_id}});
      return invalid_grant("the refresh token was issued to another client");
    }
    if (rotation.error().code == ErrorCode::kNotFound) {
      return invalid_grant("the refresh token is not valid");
    }
    return internal_error("oauth_refresh_rotate_failed", rotation.error());
  }
  switch (rotation->outcome) {
    case store::RotateOutcome::kReused:
      revoke_grant(rotation->presented.grant_id, now, "refresh token reuse", client.client_id);
      return invalid_grant("the refresh token was already used");
    case store::RotateOutcome::kExpired:
      return invalid_grant("the refresh token has expired");
    case store::RotateOutcome::kRevoked:
      return invalid_grant("the refresh token has been revoked");
    case store::RotateOutcome::kRotated:
      break;
  }
  // The user's organization now; its client policy is checked at every refresh, so moving the
  // user or disallowing the client ends the family (the access token just recorded included).
  const OrganizationOptions* org = ctx_.organizations.find(rotation->org_id);
  if (org == nullptr || !organization_allows_client(*org, client.client_id, client.kind)) {
    revoke_grant(rotation->presented.grant_id, now, "client not allowed by the organization",
                 client.client_id);
    return invalid_grant("the user's organization does not allow this client");
  }
  AccessTokenSpec spec{rotation->user_id, client.client_id, scope, rotation->presented.resource, jti,
                       rotation->org_id};
  auto access = mint_access_token(*keys, ctx_.urls.issuer, spec, now, ctx_.options.access_token_ttl_s);
  if (!access) {
    return internal_error("oauth_access_token_mint_failed", access.error());
  }
  log::info("oauth_token_issued", {{"grant_type", "refresh_token"},
                                   {"client_id", client.client_id},
                                   {"user_id", rotation->user_id},
                                   {"jti", access->jti}});
  return token_response_body(*access, scope, next_token, now);
}

}  // namespace mcpgate::oauth
