#include "oauth/client_auth.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwt.hpp"
#include "crypto/strict_json.hpp"
#include "http/client.hpp"
#include "oauth/server_context.hpp"

namespace mcpgate::oauth {
namespace {

constexpr std::int64_t kJwksCacheTtlS = 300;
constexpr std::int64_t kJwksRefetchIntervalS = 30;
constexpr std::int64_t kMaxAssertionLifetimeS = 600;
constexpr std::int64_t kLeewayS = 60;

OAuthError invalid_client(std::string description) {
  return oauth_error(OAuthErrorCode::kInvalidClient, std::move(description));
}

bool audience_contains(const nlohmann::json& aud, const std::vector<std::string>& accepted) {
  auto ok = [&](const nlohmann::json& v) {
    return v.is_string() &&
           std::find(accepted.begin(), accepted.end(), v.get<std::string>()) != accepted.end();
  };
  if (aud.is_array()) {
    return std::any_of(aud.begin(), aud.end(), ok);
  }
  return ok(aud);
}

std::vector<crypto::JwsAlgorithm> allowed_algs(const ClientInfo& client) {
  if (!client.token_endpoint_auth_signing_alg.empty()) {
    if (auto alg = crypto::parse_jws_algorithm(client.token_endpoint_auth_signing_alg)) {
      return {*alg};
    }
    return {};
  }
  return {crypto::JwsAlgorithm::kES256, crypto::JwsAlgorithm::kRS256, crypto::JwsAlgorithm::kPS256};
}

}  // namespace

std::optional<BasicCredentials> parse_basic_credentials(std::string_view value) {
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos || !ascii::iequals(value.substr(0, space), "basic")) {
    return std::nullopt;
  }
  std::string_view b64 = value.substr(space + 1);
  while (!b64.empty() && b64.front() == ' ') {
    b64.remove_prefix(1);
  }
  while (!b64.empty() && b64.back() == ' ') {
    b64.remove_suffix(1);
  }
  // Standard base64, padded as RFC 7617 sends it; the decoder wants it unpadded.
  int pad = 0;
  while (!b64.empty() && b64.back() == '=' && pad < 2) {
    b64.remove_suffix(1);
    ++pad;
  }
  auto decoded = crypto::base64_unpadded_decode(b64);
  if (!decoded) {
    return std::nullopt;
  }
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  auto id = percent_decode(std::string_view(*decoded).substr(0, colon), true);
  auto secret = percent_decode(std::string_view(*decoded).substr(colon + 1), true);
  if (!id || !secret || id->empty()) {
    return std::nullopt;
  }
  return BasicCredentials{std::move(id).value(), std::move(secret).value()};
}

ClientAuthenticator::ClientAuthenticator(ServerContext& ctx)
    : ctx_(ctx), assertion_jtis_(100000), jwks_cache_(1000), refetch_guard_(1000) {}

asio::awaitable<OAuthResult<AuthenticatedClient>> ClientAuthenticator::authenticate(
    const http::Request& req, const Params& params, std::string endpoint_url) {
  const std::size_t auth_headers = static_cast<std::size_t>(
      std::distance(req.equal_range(http::Field::authorization).first,
                    req.equal_range(http::Field::authorization).second));
  if (auth_headers > 1) {
    co_return oauth_error(OAuthErrorCode::kInvalidRequest, "more than one Authorization header");
  }
  const bool has_basic = auth_headers == 1;
  const bool has_secret = params.has("client_secret");
  const bool has_assertion = params.has("client_assertion") || params.has("client_assertion_type");
  if (static_cast<int>(has_basic) + static_cast<int>(has_secret) + static_cast<int>(has_assertion) > 1) {
    co_return invalid_client("more than one client authentication method");
  }
  const auto body_client_id = params.get("client_id");

  if (has_assertion) {
    co_return co_await authenticate_assertion(params, std::move(endpoint_url));
  }

  std::string client_id;
  std::string secret;
  std::string method;
  if (has_basic) {
    auto creds = parse_basic_credentials(http::header(req, "Authorization"));
    if (!creds) {
      co_return invalid_client("malformed Basic credentials");
    }
    if (body_client_id && *body_client_id != creds->client_id) {
      co_return invalid_client("client_id does not match the authenticated client");
    }
    client_id = std::move(creds->client_id);
    secret = std::move(creds->client_secret);
    method = std::string(kAuthSecretBasic);
  } else if (has_secret) {
    if (!body_client_id) {
      co_return invalid_client("client_id is required");
    }
    client_id = *body_client_id;
    secret = params.value("client_secret");
    method = std::string(kAuthSecretPost);
  } else {
    if (!body_client_id || body_client_id->empty()) {
      co_return invalid_client("client authentication is required");
    }
    client_id = *body_client_id;
    method = std::string(kAuthNone);
  }

  auto client = co_await ctx_.clients.find(client_id);
  if (!client) {
    if (client.error().code == ErrorCode::kUnavailable) {
      co_return internal_error("oauth_client_lookup_failed", client.error());
    }
    co_return invalid_client("client authentication failed");
  }
  if (method == kAuthNone) {
    if (!client->public_client()) {
      co_return invalid_client("client authentication is required");
    }
    co_return AuthenticatedClient{std::move(client).value(), method};
  }
  if (!client->uses_secret() || !client->has_secret) {
    co_return invalid_client("client authentication failed");
  }
  // Checked against the row find() just read (one read transaction, the same snapshot that
  // said the client is enabled), not read again, by the rule the stores' verify_client_secret
  // applies too.
  const bool accepted = store::client_secret_accepted(client->secret_hash,
                                                      /*disabled=*/false,
                                                      client->secret_expires_at,
                                                      store::hash_secret(secret),
                                                      ctx_.now());
  if (!accepted) {
    co_return invalid_client("client authentication failed");
  }
  co_return AuthenticatedClient{std::move(client).value(), method};
}

asio::awaitable<OAuthResult<AuthenticatedClient>> ClientAuthenticator::authenticate_assertion(
    const Params& params, std::string endpoint_url) {
  if (params.value("client_assertion_type") != kJwtBearerAssertionType) {
    co_return invalid_client("unsupported client_assertion_type");
  }
  const std::string assertion = params.value("client_assertion");
  auto decoded = crypto::decode_jwt(assertion);
  if (!decoded) {
    co_return invalid_client("malformed client assertion");
  }
  const nlohmann::json& claims = decoded->payload;
  const std::string iss = claims.value("iss", nlohmann::json()).is_string() ? claims["iss"].get<std::string>() : "";
  const std::string sub = claims.value("sub", nlohmann::json()).is_string() ? claims["sub"].get<std::string>() : "";
  if (iss.empty() || iss != sub) {
    co_return invalid_client("client assertion iss and sub must both be the client_id");
  }
  if (auto body_id = params.get("client_id"); body_id && *body_id != sub) {
    co_return invalid_client("client_id does not match the client assertion");
  }
  auto client = co_await ctx_.clients.find(sub);
  if (!client) {
    if (client.error().code == ErrorCode::kUnavailable) {
      co_return internal_error("oauth_client_lookup_failed", client.error());
    }
    co_return invalid_client("client authentication failed");
  }
  if (client->token_endpoint_auth_method != kAuthPrivateKeyJwt) {
    co_return invalid_client("client authentication failed");
  }
  crypto::JwtVerifyOptions options;
  options.allowed_algs = allowed_algs(*client);
  options.require_kid = false;
  auto keys = co_await client_keys(*client, false);
  if (!keys) {
    log::warn("oauth_client_keys_unavailable",
              {{"client_id", client->client_id}, {"error", keys.error().message}});
    co_return invalid_client("client keys could not be obtained");
  }
  auto verified = crypto::verify_jwt(assertion, **keys, options);
  if (!verified && verified.error().code == ErrorCode::kNotFound && !client->jwks_uri.empty()) {
    keys = co_await client_keys(*client, true);  // unknown kid: one refetch
    if (keys) {
      verified = crypto::verify_jwt(assertion, **keys, options);
    }
  }
  if (!verified) {
    co_return invalid_client("client assertion signature is not valid");
  }
  const std::int64_t now = ctx_.now();
  crypto::ClaimChecks checks;
  checks.now = now;
  checks.leeway = kLeewayS;
  checks.issuer = client->client_id;
  checks.require_exp = true;
  checks.required = {"jti"};
  if (!crypto::check_claims(claims, checks)) {
    co_return invalid_client("client assertion claims are not valid");
  }
  const std::vector<std::string> audiences = {ctx_.urls.issuer, ctx_.urls.token_endpoint,
                                              endpoint_url};
  if (!audience_contains(claims.value("aud", nlohmann::json()), audiences)) {
    co_return invalid_client("client assertion audience is not this server");
  }
  const auto& exp = claims["exp"];
  const auto& jti = claims["jti"];
  if (!exp.is_number_integer() || !jti.is_string() || jti.get<std::string>().empty()) {
    co_return invalid_client("client assertion claims are not valid");
  }
  const std::int64_t exp_s = exp.get<std::int64_t>();
  if (exp_s > now + kMaxAssertionLifetimeS + kLeewayS) {
    co_return invalid_client("client assertion lives too long");
  }
  if (!assertion_jtis_.insert_if_absent(client->client_id + "\n" + jti.get<std::string>(), true,
                                        exp_s + kLeewayS, now)) {
    co_return invalid_client("client assertion was already used");
  }
  co_return AuthenticatedClient{std::move(client).value(), std::string(kAuthPrivateKeyJwt)};
}

asio::awaitable<Result<std::shared_ptr<const crypto::JwkSet>>> ClientAuthenticator::client_keys(
    const ClientInfo& client, bool refetch) {
  if (client.jwks.is_object()) {
    auto set = crypto::JwkSet::from_json(client.jwks);
    if (!set) {
      co_return set.error();
    }
    co_return std::make_shared<const crypto::JwkSet>(std::move(set).value());
  }
  if (client.jwks_uri.empty()) {
    co_return make_error(ErrorCode::kFailedPrecondition, "client has no keys");
  }
  const std::string uri = client.jwks_uri;
  const std::int64_t now = ctx_.now();
  if (auto cached = jwks_cache_.get(uri, now)) {
    if (!refetch || !refetch_guard_.insert_if_absent(uri, true, now + kJwksRefetchIntervalS, now)) {
      co_return *cached;
    }
  }
  http::ClientRequest request;
  request.method = http::bhttp::verb::get;
  request.url = uri;
  request.headers.emplace_back("Accept", "application/json, application/jwk-set+json");
  request.options.timeout = std::chrono::milliseconds(5000);
  request.options.max_body_bytes = 64 * 1024;
  request.options.address_policy = ctx_.allow_loopback_fetch() ? http::AddressPolicy::kAllowLoopback
                                                               : http::AddressPolicy::kPublicOnly;
  auto response = co_await http::fetch(std::move(request));
  if (!response) {
    co_return response.error();
  }
  if (response->status() != 200) {
    co_return make_error(ErrorCode::kUnavailable,
                         "jwks_uri answered HTTP " + std::to_string(response->status()));
  }
  auto json = crypto::parse_json_strict(response->message.body(), crypto::JsonLimits{64 * 1024, 8});
  if (!json) {
    co_return json.error();
  }
  auto set = crypto::JwkSet::from_json(*json);
  if (!set) {
    co_return set.error();
  }
  auto shared = std::make_shared<const crypto::JwkSet>(std::move(set).value());
  jwks_cache_.put(uri, shared, now + kJwksCacheTtlS, now);
  co_return shared;
}

}  // namespace mcpgate::oauth
