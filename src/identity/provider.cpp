#include "identity/provider.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "crypto/strict_json.hpp"

namespace mcpgate::identity {
namespace {

using nlohmann::json;

bool provider_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
bool provider_scope_token_ok(std::string_view scope) {
  return !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != '"' && c != '\\';
  });
}

Status provider_check_url(std::string_view what, std::string_view url, bool allow_loopback_http) {
  if (!endpoint_url_allowed(url, allow_loopback_http)) {
    return invalid_argument(std::string(what) + " must be an https URL");
  }
  return {};
}

Result<std::string> provider_string_member(const json& doc, const char* name, bool required) {
  const auto it = doc.find(name);
  if (it == doc.end()) {
    if (required) {
      return invalid_argument(std::string("discovery document has no ") + name);
    }
    return std::string();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return invalid_argument(std::string("discovery document: ") + name
                            + " must be a non-empty string");
  }
  return it->get<std::string>();
}

Result<std::vector<std::string>> provider_string_list(const json& doc, const char* name) {
  std::vector<std::string> out;
  const auto it = doc.find(name);
  if (it == doc.end()) {
    return out;
  }
  if (!it->is_array()) {
    return invalid_argument(std::string("discovery document: ") + name + " must be an array");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return invalid_argument(std::string("discovery document: ") + name + " must hold strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool provider_json_media_type(std::string_view content_type) {
  const std::size_t semi = content_type.find(';');
  std::string type = ascii::to_lower(content_type.substr(0, semi));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.pop_back();
  }
  return type == "application/json"
         || (type.starts_with("application/") && type.ends_with("+json"));
}

}  // namespace

std::string_view client_auth_method_name(ClientAuthMethod method) {
  switch (method) {
    case ClientAuthMethod::kClientSecretBasic:
      return "client_secret_basic";
    case ClientAuthMethod::kClientSecretPost:
      return "client_secret_post";
    case ClientAuthMethod::kPrivateKeyJwt:
      return "private_key_jwt";
  }
  return "";
}

bool endpoint_url_allowed(std::string_view url, bool allow_loopback_http) {
  const auto parsed = http::parse_url(url);
  if (!parsed) {
    return false;
  }
  if (parsed->tls()) {
    return true;
  }
  return allow_loopback_http && provider_loopback_host(parsed->host);
}

Status validate_provider_config(const ProviderConfig& config) {
  MCPGATE_TRY(provider_check_url("issuer", config.issuer, config.allow_loopback_http));
  if (config.issuer.find('?') != std::string::npos
      || config.issuer.find('#') != std::string::npos) {
    return invalid_argument("issuer must not have a query or fragment");
  }
  MCPGATE_TRY(provider_check_url("redirect_uri", config.redirect_uri, config.allow_loopback_http));
  if (config.client_id.empty()) {
    return invalid_argument("client_id is required");
  }
  switch (config.auth_method) {
    case ClientAuthMethod::kClientSecretBasic:
    case ClientAuthMethod::kClientSecretPost:
      if (config.client_secret.empty()) {
        return invalid_argument("client_secret is required for "
                                + std::string(client_auth_method_name(config.auth_method)));
      }
      break;
    case ClientAuthMethod::kPrivateKeyJwt:
      if (!config.assertion_key) {
        return invalid_argument("private_key_jwt needs a signing key");
      }
      break;
  }
  bool openid = false;
  for (const auto& scope : config.scopes) {
    if (!provider_scope_token_ok(scope)) {
      return invalid_argument("scope \"" + scope + "\" is not a valid scope token");
    }
    openid = openid || scope == "openid";
  }
  if (!openid) {
    return invalid_argument("scopes must include openid");
  }
  if (config.allowed_algs.empty()) {
    return invalid_argument("no ID token algorithm is allowed");
  }
  for (const auto* path : {&config.claims.email,
                           &config.claims.email_verified,
                           &config.claims.name,
                           &config.claims.groups}) {
    MCPGATE_TRY(validate_claim_path(*path));
  }
  if (config.leeway.count() < 0 || config.leeway.count() > 600
      || config.max_token_age.count() <= 0) {
    return invalid_argument("leeway must be 0..600 s and max_token_age positive");
  }
  return {};
}

std::string discovery_url(std::string_view issuer) {
  std::string base(issuer);
  if (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base + "/.well-known/openid-configuration";
}

Result<ProviderMetadata> parse_provider_metadata(std::string_view body,
                                                 const ProviderConfig& config,
                                                 const DocumentLimits& limits) {
  auto parsed =
      crypto::parse_json_strict(body, crypto::JsonLimits{limits.max_bytes, limits.max_depth});
  if (!parsed || !parsed->is_object()) {
    return invalid_argument("discovery document is not a JSON object within limits");
  }
  const json& doc = *parsed;
  ProviderMetadata m;
  MCPGATE_ASSIGN_OR_RETURN(m.issuer, provider_string_member(doc, "issuer", true));
  // Discovery §4.3: exactly the issuer the configuration names, byte for byte (no trailing-
  // slash or case tolerance: the ID tokens' iss is compared the same way).
  if (m.issuer != config.issuer) {
    return invalid_argument("discovery document issuer does not match the configured issuer");
  }
  const bool loopback = config.allow_loopback_http;
  MCPGATE_ASSIGN_OR_RETURN(m.authorization_endpoint,
                           provider_string_member(doc, "authorization_endpoint", true));
  MCPGATE_TRY(provider_check_url("authorization_endpoint", m.authorization_endpoint, loopback));
  MCPGATE_ASSIGN_OR_RETURN(m.token_endpoint, provider_string_member(doc, "token_endpoint", true));
  MCPGATE_TRY(provider_check_url("token_endpoint", m.token_endpoint, loopback));
  MCPGATE_ASSIGN_OR_RETURN(m.jwks_uri, provider_string_member(doc, "jwks_uri", true));
  MCPGATE_TRY(provider_check_url("jwks_uri", m.jwks_uri, loopback));
  MCPGATE_ASSIGN_OR_RETURN(m.userinfo_endpoint,
                           provider_string_member(doc, "userinfo_endpoint", false));
  if (!m.userinfo_endpoint.empty()) {
    MCPGATE_TRY(provider_check_url("userinfo_endpoint", m.userinfo_endpoint, loopback));
  }
  MCPGATE_ASSIGN_OR_RETURN(m.end_session_endpoint,
                           provider_string_member(doc, "end_session_endpoint", false));
  if (!m.end_session_endpoint.empty()) {
    MCPGATE_TRY(provider_check_url("end_session_endpoint", m.end_session_endpoint, loopback));
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto response_types,
                           provider_string_list(doc, "response_types_supported"));
  if (doc.contains("response_types_supported")
      && std::find(response_types.begin(), response_types.end(), "code") == response_types.end()) {
    return invalid_argument("the provider does not support the authorization code flow");
  }
  MCPGATE_ASSIGN_OR_RETURN(m.id_token_signing_alg_values_supported,
                           provider_string_list(doc, "id_token_signing_alg_values_supported"));
  if (!doc.contains("id_token_signing_alg_values_supported")) {
    m.id_token_signing_alg_values_supported = {"RS256"};  // Discovery §3: RS256 MUST be supported
  }
  MCPGATE_ASSIGN_OR_RETURN(m.code_challenge_methods_supported,
                           provider_string_list(doc, "code_challenge_methods_supported"));
  MCPGATE_ASSIGN_OR_RETURN(m.token_endpoint_auth_methods_supported,
                           provider_string_list(doc, "token_endpoint_auth_methods_supported"));
  MCPGATE_ASSIGN_OR_RETURN(
      m.token_endpoint_auth_signing_alg_values_supported,
      provider_string_list(doc, "token_endpoint_auth_signing_alg_values_supported"));
  if (const auto it = doc.find("authorization_response_iss_parameter_supported"); it != doc.end()) {
    if (!it->is_boolean()) {
      return invalid_argument(
          "discovery document: authorization_response_iss_parameter_supported must be a boolean");
    }
    m.authorization_response_iss_parameter_supported = it->get<bool>();
  }
  return m;
}

Result<std::vector<crypto::JwsAlgorithm>> effective_id_token_algs(
    const ProviderConfig& config, const ProviderMetadata& metadata) {
  std::vector<crypto::JwsAlgorithm> out;
  for (const auto alg : config.allowed_algs) {
    const auto name = crypto::jws_algorithm_name(alg);
    if (std::find(metadata.id_token_signing_alg_values_supported.begin(),
                  metadata.id_token_signing_alg_values_supported.end(),
                  name)
        != metadata.id_token_signing_alg_values_supported.end()) {
      out.push_back(alg);
    }
  }
  if (out.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the provider signs ID tokens with no algorithm the configuration allows");
  }
  return out;
}

Result<crypto::JwkSet> parse_jwks(std::string_view body, std::size_t max_bytes) {
  auto parsed = crypto::parse_json_strict(body, crypto::JsonLimits{max_bytes, 8});
  if (!parsed || !parsed->is_object()) {
    return invalid_argument("JWKS is not a JSON object within limits");
  }
  const auto keys = parsed->find("keys");
  if (keys == parsed->end() || !keys->is_array()) {
    return invalid_argument("JWKS has no keys array");
  }
  if (keys->size() > kMaxJwksKeys) {
    return invalid_argument("JWKS has too many keys");
  }
  // JwkSet::from_json skips what PublicKey::from_jwk refuses: use other than "sig", key_ops
  // without verify, unknown kty/crv, private members, malformed values.
  std::size_t skipped = 0;
  MCPGATE_ASSIGN_OR_RETURN(auto set, crypto::JwkSet::from_json(*parsed, &skipped));
  if (set.empty()) {
    return invalid_argument("JWKS has no usable signing key");
  }
  return set;
}

asio::awaitable<Result<std::string>> fetch_provider_document(
    std::shared_ptr<const http::HttpClient> client, std::string url, FetchOptions options) {
  if (!client) {
    auto shared = http::default_http_client();
    if (!shared) {
      co_return make_error(ErrorCode::kUnavailable, "no outbound HTTP client");
    }
    client = std::move(shared).value();
  }
  http::ClientRequest req;
  req.method = http::bhttp::verb::get;
  req.url = url;
  req.headers.emplace_back("Accept", "application/json");
  req.options.timeout = options.timeout;
  req.options.max_body_bytes = options.max_bytes;
  req.options.follow_redirects = false;
  req.options.address_policy = options.address_policy;
  Result<http::ClientResponse> res = co_await client->fetch(std::move(req));
  if (!res) {
    co_return res.error();
  }
  if (res->status() != 200) {
    co_return make_error(ErrorCode::kUnavailable,
                         url + " answered HTTP " + std::to_string(res->status()));
  }
  if (!provider_json_media_type(res->header(http::Field::content_type))) {
    co_return invalid_argument(url + " is not served as JSON");
  }
  co_return std::move(res->message.body());
}

}  // namespace mcpgate::identity
