#include "identity/authorization.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwt.hpp"
#include "crypto/random.hpp"
#include "crypto/strict_json.hpp"

namespace mcpgate::identity {
namespace {

constexpr std::size_t kMaxCallbackQueryBytes = std::size_t{16} * 1024;
constexpr std::size_t kMaxLoginHintBytes = 256;
constexpr std::int64_t kAssertionLifetimeSeconds = 60;

using FormPairs = std::vector<std::pair<std::string, std::string>>;

std::string authz_form_body(const FormPairs& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) {
      out += '&';
    }
    out += form_urlencode(name);
    out += '=';
    out += form_urlencode(value);
  }
  return out;
}

Result<std::string> authz_percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return invalid_argument("callback: truncated %-escape");
      }
      const int hi = ascii::hex_value(text[i + 1]);
      const int lo = ascii::hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return invalid_argument("callback: bad %-escape");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool authz_prompt_ok(std::string_view prompt) {
  // OIDC Core §3.1.2.1: space-separated values; "none" only alone.
  std::size_t count = 0;
  bool none = false;
  std::size_t pos = 0;
  while (pos <= prompt.size()) {
    const std::size_t end = std::min(prompt.find(' ', pos), prompt.size());
    const std::string_view value = prompt.substr(pos, end - pos);
    if (value != "none" && value != "login" && value != "consent" && value != "select_account") {
      return false;
    }
    none = none || value == "none";
    ++count;
    pos = end + 1;
  }
  return !(none && count > 1);
}

bool authz_listed(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string authz_basic_credentials(std::string_view id, std::string_view secret) {
  std::string b64 =
      crypto::base64_unpadded_encode(form_urlencode(id) + ":" + form_urlencode(secret));
  while (b64.size() % 4 != 0) {
    b64 += '=';
  }
  return "Basic " + b64;
}

}  // namespace

std::string form_urlencode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (ascii::is_unreserved(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

std::string LoginStates::create(PendingLogin pending, std::int64_t now, std::int64_t ttl_seconds) {
  std::string state = crypto::random_token(32);
  pending.expires_at = now + ttl_seconds;
  std::lock_guard lock(mu_);
  std::erase_if(pending_, [now](const auto& kv) { return kv.second.expires_at <= now; });
  if (pending_.size() >= kMaxPending) {
    pending_.clear();  // bounded memory: under a flood, abandoned logins start over
  }
  pending_.emplace(state, std::move(pending));
  return state;
}

Result<PendingLogin> LoginStates::take(const std::string& state,
                                       std::string_view browser_key,
                                       std::int64_t now) {
  std::lock_guard lock(mu_);
  const auto it = pending_.find(state);
  if (it == pending_.end()) {
    return make_error(ErrorCode::kNotFound, "unknown or already used sign-in state");
  }
  PendingLogin pending = std::move(it->second);
  pending_.erase(it);
  if (pending.expires_at <= now) {
    return make_error(ErrorCode::kNotFound, "the sign-in request expired");
  }
  if (browser_key.empty() || !crypto::constant_time_equal(pending.browser_key, browser_key)) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the sign-in was started in another browser session");
  }
  return pending;
}

std::size_t LoginStates::size() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

std::string new_pkce_verifier() {
  return crypto::base64url_encode(crypto::random_bytes(32));
}

std::string pkce_s256(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

Result<std::string> authorization_url(const AuthorizationRequest& request) {
  if (request.state.empty() || request.nonce.empty() || request.code_challenge.empty()) {
    return invalid_argument("authorization request needs state, nonce and a PKCE challenge");
  }
  std::string scope;
  for (const auto& s : request.scopes) {
    scope += scope.empty() ? "" : " ";
    scope += s;
  }
  FormPairs q{{"response_type", "code"},
              {"client_id", request.client_id},
              {"redirect_uri", request.redirect_uri},
              {"scope", scope},
              {"state", request.state},
              {"nonce", request.nonce},
              {"code_challenge", request.code_challenge},
              {"code_challenge_method", "S256"}};
  if (!request.prompt.empty()) {
    if (!authz_prompt_ok(request.prompt)) {
      return invalid_argument("prompt must be none, login, consent or select_account");
    }
    q.emplace_back("prompt", request.prompt);
  }
  if (!request.login_hint.empty()) {
    const bool control =
        std::any_of(request.login_hint.begin(), request.login_hint.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u < 0x20 || u == 0x7f;
        });
    if (request.login_hint.size() > kMaxLoginHintBytes || control) {
      return invalid_argument("login_hint is too long or has control characters");
    }
    q.emplace_back("login_hint", request.login_hint);
  }
  if (request.max_age) {
    if (*request.max_age < 0) {
      return invalid_argument("max_age must not be negative");
    }
    q.emplace_back("max_age", std::to_string(*request.max_age));
  }
  const bool has_query = request.authorization_endpoint.find('?') != std::string::npos;
  return request.authorization_endpoint + (has_query ? "&" : "?") + authz_form_body(q);
}

Result<CallbackParams> parse_callback_query(std::string_view query) {
  if (query.size() > kMaxCallbackQueryBytes) {
    return invalid_argument("callback: query too large");
  }
  CallbackParams out;
  std::size_t pos = 0;
  while (pos < query.size()) {
    const std::size_t end = std::min(query.find('&', pos), query.size());
    const std::string_view piece = query.substr(pos, end - pos);
    pos = end + 1;
    if (piece.empty()) {
      continue;
    }
    const std::size_t eq = piece.find('=');
    MCPGATE_ASSIGN_OR_RETURN(const std::string name, authz_percent_decode(piece.substr(0, eq)));
    const std::string_view raw =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    MCPGATE_ASSIGN_OR_RETURN(std::string value, authz_percent_decode(raw));
    std::optional<std::string>* slot = nullptr;
    if (name == "code") {
      slot = &out.code;
    } else if (name == "state") {
      slot = &out.state;
    } else if (name == "iss") {
      slot = &out.iss;
    } else if (name == "error") {
      slot = &out.error;
    } else if (name == "error_description") {
      slot = &out.error_description;
    }
    if (slot == nullptr) {
      continue;
    }
    if (slot->has_value()) {
      return invalid_argument("callback: parameter " + name + " given twice");
    }
    *slot = std::move(value);
  }
  return out;
}

Status check_callback_issuer(const CallbackParams& params, const ProviderMetadata& metadata) {
  if (!params.iss) {
    if (metadata.authorization_response_iss_parameter_supported) {
      return make_error(ErrorCode::kPermissionDenied,
                        "the provider's answer has no iss parameter (RFC 9207)");
    }
    return {};
  }
  if (*params.iss != metadata.issuer) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the answer names another issuer (RFC 9207 iss mismatch)");
  }
  return {};
}

std::string sanitized_error_code(std::string_view error) {
  std::string out;
  for (const char c : error.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u <= 0x7e && c != '"' && c != '\\') ? c : '?';
  }
  return out;
}

Result<std::string> client_assertion(const ProviderConfig& config,
                                     const ProviderMetadata& metadata,
                                     std::int64_t now) {
  if (!config.assertion_key) {
    return make_error(ErrorCode::kFailedPrecondition, "private_key_jwt needs a signing key");
  }
  const auto& key = *config.assertion_key;
  const auto& algs = metadata.token_endpoint_auth_signing_alg_values_supported;
  if (!algs.empty() && !authz_listed(algs, crypto::jws_algorithm_name(key.alg()))) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the provider does not accept client assertions signed with "
                          + std::string(crypto::jws_algorithm_name(key.alg())));
  }
  nlohmann::json claims = nlohmann::json::object();
  claims["iss"] = config.client_id;
  claims["sub"] = config.client_id;
  claims["aud"] = config.assertion_audience == AssertionAudience::kIssuer ? metadata.issuer
                                                                          : metadata.token_endpoint;
  claims["jti"] = crypto::random_token(24);
  claims["iat"] = now;
  claims["exp"] = now + kAssertionLifetimeSeconds;
  return crypto::sign_jwt(key, claims, "JWT");
}

Result<TokenRequest> token_request(const ProviderConfig& config,
                                   const ProviderMetadata& metadata,
                                   std::string_view code,
                                   std::string_view code_verifier,
                                   std::string_view redirect_uri,
                                   std::int64_t now) {
  const auto method = client_auth_method_name(config.auth_method);
  if (!metadata.token_endpoint_auth_methods_supported.empty()
      && !authz_listed(metadata.token_endpoint_auth_methods_supported, method)) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the provider does not accept " + std::string(method));
  }
  TokenRequest req;
  req.url = metadata.token_endpoint;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  FormPairs p{{"grant_type", "authorization_code"},
              {"code", std::string(code)},
              {"redirect_uri", std::string(redirect_uri)},
              {"code_verifier", std::string(code_verifier)}};
  switch (config.auth_method) {
    case ClientAuthMethod::kClientSecretBasic:
      req.headers.emplace_back("Authorization",
                               authz_basic_credentials(config.client_id, config.client_secret));
      break;
    case ClientAuthMethod::kClientSecretPost:
      p.emplace_back("client_id", config.client_id);
      p.emplace_back("client_secret", config.client_secret);
      break;
    case ClientAuthMethod::kPrivateKeyJwt: {
      MCPGATE_ASSIGN_OR_RETURN(std::string assertion, client_assertion(config, metadata, now));
      p.emplace_back("client_id", config.client_id);
      p.emplace_back("client_assertion_type",
                     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      p.emplace_back("client_assertion", std::move(assertion));
      break;
    }
  }
  req.body = authz_form_body(p);
  return req;
}

Result<TokenResponse> parse_token_response(unsigned status,
                                           std::string_view content_type,
                                           std::string_view body) {
  (void)content_type;  // some providers label JSON oddly; the body must parse as JSON regardless
  auto parsed = crypto::parse_json_strict(body, crypto::JsonLimits{std::size_t{256} * 1024, 10});
  if (status != 200) {
    if (parsed && parsed->is_object() && parsed->contains("error")
        && parsed->at("error").is_string()) {
      return make_error(ErrorCode::kPermissionDenied,
                        "the provider refused the code exchange: "
                            + sanitized_error_code(parsed->at("error").get<std::string>()));
    }
    return make_error(ErrorCode::kUnavailable,
                      "the provider's token endpoint answered HTTP " + std::to_string(status));
  }
  if (!parsed || !parsed->is_object()) {
    return make_error(ErrorCode::kUnavailable, "the token response is not a JSON object");
  }
  TokenResponse out;
  for (auto [name, target] : {std::pair{"id_token", &out.id_token},
                              std::pair{"access_token", &out.access_token},
                              std::pair{"token_type", &out.token_type}}) {
    const auto it = parsed->find(name);
    if (it != parsed->end() && it->is_string()) {
      *target = it->get<std::string>();
    } else if (it != parsed->end()) {
      return make_error(ErrorCode::kUnavailable,
                        std::string("the token response's ") + name + " is not a string");
    }
  }
  if (out.id_token.empty()) {
    return make_error(ErrorCode::kUnavailable, "the token response has no id_token");
  }
  return out;
}

}  // namespace mcpgate::identity
