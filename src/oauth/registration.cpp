#include "oauth/registration.hpp"

#include <algorithm>
#include <cctype>

#include "core/log.hpp"
#include "crypto/jwk.hpp"
#include "crypto/random.hpp"
#include "crypto/strict_json.hpp"
#include "http/client.hpp"
#include "http/router.hpp"
#include "oauth/http_util.hpp"
#include "oauth/redirect_uri.hpp"
#include "oauth/scopes.hpp"
#include "oauth/server_context.hpp"
#include "oauth/token_issuer.hpp"

namespace mcpgate::oauth {
namespace {

constexpr std::size_t kMaxBodyBytes = 16 * 1024;
constexpr std::size_t kMaxRedirectUris = 20;
constexpr std::size_t kMaxStringBytes = 512;

OAuthError bad_metadata(std::string description) {
  return oauth_error(OAuthErrorCode::kInvalidClientMetadata, std::move(description));
}

OAuthError bad_redirect(std::string description) {
  return oauth_error(OAuthErrorCode::kInvalidRedirectUri, std::move(description));
}

bool printable(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// A string member: absent is fine, anything else must be a printable string within the cap.
std::optional<OAuthError> check_string(const nlohmann::json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end()) {
    return std::nullopt;
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxStringBytes ||
      !printable(it->get_ref<const std::string&>())) {
    return bad_metadata(std::string(name) + " must be a short string");
  }
  return std::nullopt;
}

bool https_url(std::string_view value, bool allow_loopback) {
  auto url = http::parse_url(value);
  if (!url) {
    return false;
  }
  if (url->scheme == "https") {
    return true;
  }
  return allow_loopback && (url->host == "127.0.0.1" || url->host == "::1" || url->host == "localhost");
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string bearer_token(const http::Request& req) {
  const std::string_view value = http::header(req, "Authorization");
  if (value.size() < 7) {
    return {};
  }
  std::string scheme(value.substr(0, 7));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "bearer ") {
    return {};
  }
  std::string_view token = value.substr(7);
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  return std::string(token);
}

http::Response with_cors(http::Response res) {
  add_cors(res);
  return res;
}

}  // namespace

OAuthResult<nlohmann::json> validate_client_metadata(const nlohmann::json& in,
                                                     const ServerContext& ctx) {
  if (!in.is_object()) {
    return bad_metadata("the body must be a JSON object");
  }
  nlohmann::json out = nlohmann::json::object();
  if (in.contains("software_statement")) {
    return oauth_error(OAuthErrorCode::kUnapprovedSoftwareStatement,
                       "software statements are not accepted");
  }

  ApplicationType app_type = ApplicationType::kUnspecified;
  if (auto it = in.find("application_type"); it != in.end()) {
    if (*it == "web") {
      app_type = ApplicationType::kWeb;
    } else if (*it == "native") {
      app_type = ApplicationType::kNative;
    } else {
      return bad_metadata("application_type must be web or native");
    }
    out["application_type"] = *it;
  }

  // redirect_uris
  auto uris = in.find("redirect_uris");
  if (uris == in.end() || !uris->is_array() || uris->empty()) {
    return bad_redirect("redirect_uris must be a non-empty array");
  }
  if (uris->size() > kMaxRedirectUris) {
    return bad_redirect("too many redirect_uris");
  }
  std::vector<std::string> redirect_uris;
  for (const auto& u : *uris) {
    if (!u.is_string()) {
      return bad_redirect("redirect_uris must be strings");
    }
    const std::string& uri = u.get_ref<const std::string&>();
    if (auto st = validate_redirect_uri(uri, app_type); !st) {
      return bad_redirect(st.error().message);
    }
    if (!contains(redirect_uris, uri)) {
      redirect_uris.push_back(uri);
    }
  }
  out["redirect_uris"] = redirect_uris;

  // keys
  const bool has_jwks = in.contains("jwks");
  const bool has_jwks_uri = in.contains("jwks_uri");
  if (has_jwks && has_jwks_uri) {
    return bad_metadata("jwks and jwks_uri are mutually exclusive");
  }
  if (has_jwks) {
    auto set = crypto::JwkSet::from_json(in["jwks"]);
    if (!set || set->empty()) {
      return bad_metadata("jwks must be a JWK Set with at least one usable public key");
    }
    out["jwks"] = set->to_json();
  }
  if (has_jwks_uri) {
    if (!in["jwks_uri"].is_string() ||
        !https_url(in["jwks_uri"].get<std::string>(), ctx.allow_loopback_fetch())) {
      return bad_metadata("jwks_uri must be an https URL");
    }
    out["jwks_uri"] = in["jwks_uri"];
  }
  if (auto it = in.find("token_endpoint_auth_signing_alg"); it != in.end()) {
    if (!it->is_string() || !crypto::parse_jws_algorithm(it->get<std::string>())) {
      return bad_metadata("token_endpoint_auth_signing_alg must be ES256, RS256 or PS256");
    }
    out["token_endpoint_auth_signing_alg"] = *it;
  }

  // token_endpoint_auth_method
  const std::vector<std::string> methods = {std::string(kAuthNone), std::string(kAuthSecretBasic),
                                            std::string(kAuthSecretPost),
                                            std::string(kAuthPrivateKeyJwt)};
  std::string method;
  if (auto it = in.find("token_endpoint_auth_method"); it != in.end()) {
    if (!it->is_string() || !contains(methods, it->get<std::string>())) {
      return bad_metadata(
          "token_endpoint_auth_method must be none, client_secret_basic, client_secret_post or "
          "private_key_jwt");
    }
    method = it->get<std::string>();
  } else if (auto sup = in.find("token_endpoint_auth_methods_supported"); sup != in.end()) {
    std::vector<std::string> offered;
    if (sup->is_array()) {
      for (const auto& m : *sup) {
        if (m.is_string()) {
          offered.push_back(m.get<std::string>());
        }
      }
    }
    for (const char* preferred :
         {"private_key_jwt", "client_secret_basic", "client_secret_post", "none"}) {
      if (contains(offered, preferred) &&
          (std::string_view(preferred) != kAuthPrivateKeyJwt || has_jwks || has_jwks_uri)) {
        method = preferred;
        break;
      }
    }
    if (method.empty()) {
      return bad_metadata("none of token_endpoint_auth_methods_supported is supported");
    }
  } else {
    method = std::string(kAuthSecretBasic);
  }
  if (method == kAuthPrivateKeyJwt && !has_jwks && !has_jwks_uri) {
    return bad_metadata("private_key_jwt requires jwks or jwks_uri");
  }
  out["token_endpoint_auth_method"] = method;

  // grant_types / response_types
  std::vector<std::string> grants = {"authorization_code"};
  if (auto it = in.find("grant_types"); it != in.end()) {
    if (!it->is_array()) {
      return bad_metadata("grant_types must be an array");
    }
    grants.clear();
    for (const auto& g : *it) {
      if (!g.is_string()) {
        return bad_metadata("grant_types must be strings");
      }
      const std::string& name = g.get_ref<const std::string&>();
      if (name == "implicit" || name == "password" || name == "client_credentials") {
        return bad_metadata("grant type " + name + " is not supported");
      }
      if ((name == "authorization_code" || name == "refresh_token") && !contains(grants, name)) {
        grants.push_back(name);
      }
    }
  }
  if (!contains(grants, "authorization_code")) {
    return bad_metadata("grant_types must include authorization_code");
  }
  out["grant_types"] = grants;
  if (auto it = in.find("response_types"); it != in.end()) {
    if (!it->is_array() || it->empty()) {
      return bad_metadata("response_types must be a non-empty array");
    }
    for (const auto& r : *it) {
      if (r != "code") {
        return bad_metadata("only the code response type is supported");
      }
    }
  }
  out["response_types"] = nlohmann::json::array({"code"});

  // descriptive members
  for (const char* name : {"client_name", "software_id", "software_version"}) {
    if (auto err = check_string(in, name)) {
      return *err;
    }
    if (in.contains(name)) {
      out[name] = in[name];
    }
  }
  for (const char* name : {"client_uri", "logo_uri", "tos_uri", "policy_uri"}) {
    if (auto err = check_string(in, name)) {
      return *err;
    }
    if (in.contains(name)) {
      if (!https_url(in[name].get<std::string>(), ctx.allow_loopback_fetch())) {
        return bad_metadata(std::string(name) + " must be an https URL");
      }
      out[name] = in[name];
    }
  }
  if (auto it = in.find("contacts"); it != in.end()) {
    if (!it->is_array() || it->size() > 10) {
      return bad_metadata("contacts must be an array of at most 10 strings");
    }
    for (const auto& c : *it) {
      if (!c.is_string() || c.get_ref<const std::string&>().size() > kMaxStringBytes) {
        return bad_metadata("contacts must be strings");
      }
    }
    out["contacts"] = *it;
  }
  if (auto err = check_string(in, "scope")) {
    return *err;
  }
  if (in.contains("scope")) {
    std::vector<std::string> known;
    for (const auto& s : split_scope(in["scope"].get<std::string>())) {
      if (ctx.scopes.known(s)) {
        known.push_back(s);
      }
    }
    out["scope"] = join_scope(ctx.scopes.normalize(known));
  }
  return out;
}

asio::awaitable<void> RegistrationEndpoint::register_client(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (req.method() == http::bhttp::verb::options) {
    co_await ex.respond(cors_preflight("POST"));
    co_return;
  }
  if (req.method() != http::bhttp::verb::post) {
    co_await ex.respond(with_cors(method_not_allowed("POST")));
    co_return;
  }
  auto result = co_await create(req, ex.remote_ip());
  // (Built before the co_await: g++ 12 mishandles class temporaries of a conditional
  // expression inside a co_await operand.)
  http::Response res = result ? json_response(http::StatusCode::created, *result, true)
                              : json_error(result.error());
  co_await ex.respond(with_cors(std::move(res)));
}

asio::awaitable<OAuthResult<nlohmann::json>> RegistrationEndpoint::create(
    const http::Request& req, const std::string& remote_ip) {
  const std::int64_t now = ctx_.now();
  int retry_after = 0;
  if (!ctx_.registration_limiter.allow(remote_ip, now, &retry_after)) {
    log::warn("oauth_registration_limited", {{"remote_ip", remote_ip}});
    co_return OAuthError{OAuthErrorCode::kRateLimited, "too many registrations", retry_after};
  }
  if (!media_type_is(http::header(req, "Content-Type"), "application/json")) {
    co_return bad_metadata("the body must be application/json");
  }
  if (req.body().size() > kMaxBodyBytes) {
    co_return bad_metadata("the registration request is too large");
  }
  auto json = crypto::parse_json_strict(req.body(), crypto::JsonLimits{kMaxBodyBytes, 8});
  if (!json) {
    co_return bad_metadata("the body is not valid JSON");
  }
  auto metadata = validate_client_metadata(*json, ctx_);
  if (!metadata) {
    log::info("oauth_registration_refused", {{"error", oauth_error_name(metadata.error().code)}});
    co_return metadata.error();
  }
  nlohmann::json registered = std::move(metadata).value();
  const std::string method = registered["token_endpoint_auth_method"].get<std::string>();
  const bool secret_method = method == kAuthSecretBasic || method == kAuthSecretPost;

  store::Client client;
  client.client_id = "dcr_" + crypto::random_id();
  client.kind = store::ClientKind::kDcr;
  client.metadata = registered;
  client.created_at = now;
  std::string secret;
  if (secret_method) {
    secret = new_opaque_token();
    client.secret_hash = store::hash_secret(secret);
    client.secret_expires_at = 0;
  }
  const std::string registration_token = new_opaque_token();
  client.registration_token_hash = store::hash_secret(registration_token);

  const std::int64_t max_clients = ctx_.options.dcr.max_clients;
  auto created = co_await ctx_.executor.run([&]() -> Status {
    auto count = ctx_.store.count_clients(store::ClientKind::kDcr);
    if (!count) {
      return count.error();
    }
    if (*count >= max_clients) {
      return make_error(ErrorCode::kResourceExhausted, "DCR client quota reached");
    }
    return ctx_.store.create_client(client);
  });
  if (!created) {
    if (created.error().code == ErrorCode::kResourceExhausted) {
      log::warn("oauth_registration_quota", {{"max_clients", max_clients}});
      co_return OAuthError{OAuthErrorCode::kRateLimited, "registration quota reached", 3600};
    }
    co_return internal_error("oauth_registration_failed", created.error());
  }
  log::info("oauth_client_registered",
            {{"client_id", client.client_id}, {"auth_method", method}, {"remote_ip", remote_ip}});
  registered["client_id"] = client.client_id;
  registered["client_id_issued_at"] = now;
  if (secret_method) {
    registered["client_secret"] = secret;
    registered["client_secret_expires_at"] = 0;
  }
  registered["registration_access_token"] = registration_token;
  registered["registration_client_uri"] = ctx_.urls.registration_endpoint + "/" + client.client_id;
  co_return registered;
}

asio::awaitable<void> RegistrationEndpoint::manage_client(http::Exchange& ex) {
  const http::Request& req = ex.request();
  const auto method = req.method();
  if (method == http::bhttp::verb::options) {
    co_await ex.respond(cors_preflight("GET, DELETE"));
    co_return;
  }
  if (method != http::bhttp::verb::get && method != http::bhttp::verb::head &&
      method != http::bhttp::verb::delete_) {
    co_await ex.respond(with_cors(method_not_allowed("GET, DELETE")));
    co_return;
  }
  const std::string_view path = http::target_path(req.target());
  const std::string prefix = ctx_.urls.register_path + "/";
  std::string client_id(path.substr(std::min(prefix.size(), path.size())));
  auto decoded = percent_decode(client_id, false);
  client_id = decoded ? *decoded : std::string();
  const std::string token = bearer_token(req);
  const OAuthError unauthorized =
      oauth_error(OAuthErrorCode::kInvalidToken, "the registration access token is not valid");
  if (client_id.empty() || token.empty()) {
    co_await ex.respond(with_cors(json_error(unauthorized)));
    co_return;
  }
  const std::string token_hash = store::hash_secret(token);
  const std::int64_t now = ctx_.now();
  const bool remove = method == http::bhttp::verb::delete_;
  struct Outcome {
    Status status;
    std::optional<store::Client> client;
    std::vector<store::RevokedToken> revoked;
  };
  Outcome outcome = co_await ctx_.executor.run([&]() -> Outcome {
    auto verified = ctx_.store.verify_registration_token(client_id, token_hash);
    if (!verified) {
      return Outcome{verified.error(), std::nullopt, {}};
    }
    auto client = ctx_.store.find_client(client_id);
    if (!client) {
      return Outcome{client.error(), std::nullopt, {}};
    }
    if (client->kind != store::ClientKind::kDcr) {
      return Outcome{make_error(ErrorCode::kUnauthenticated, "not a DCR client"), std::nullopt, {}};
    }
    if (!remove) {
      return Outcome{Status(), std::move(client).value(), {}};
    }
    auto revoked = ctx_.store.delete_client(client_id, now);
    if (!revoked) {
      return Outcome{revoked.error(), std::nullopt, {}};
    }
    return Outcome{Status(), std::nullopt, std::move(revoked).value()};
  });
  if (!outcome.status) {
    const ErrorCode code = outcome.status.error().code;
    if (code == ErrorCode::kUnauthenticated || code == ErrorCode::kNotFound) {
      co_await ex.respond(with_cors(json_error(unauthorized)));
    } else {
      co_await ex.respond(with_cors(json_error(internal_error("oauth_registration_manage_failed",
                                                              outcome.status.error()))));
    }
    co_return;
  }
  if (remove) {
    ctx_.notify_revoked(outcome.revoked);
    log::info("oauth_client_deleted", {{"client_id", client_id}});
    http::Response res{http::StatusCode::no_content, 11};
    res.set(http::Field::cache_control, "no-store");
    co_await ex.respond(with_cors(std::move(res)));
    co_return;
  }
  nlohmann::json body = outcome.client->metadata;
  body["client_id"] = outcome.client->client_id;
  body["client_id_issued_at"] = outcome.client->created_at;
  body["registration_client_uri"] = ctx_.urls.registration_endpoint + "/" + client_id;
  if (!outcome.client->secret_hash.empty()) {
    body["client_secret_expires_at"] = outcome.client->secret_expires_at;
  }
  co_await ex.respond(with_cors(json_response(http::StatusCode::ok, body, true)));
}

}  // namespace mcpgate::oauth
