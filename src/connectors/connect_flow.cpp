#include "connectors/connect_flow.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "connectors/url.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace mcpgate::connectors {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string connect_form_body(const Pairs& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) {
      out += '&';
    }
    out += form_encode(name);
    out += '=';
    out += form_encode(value);
  }
  return out;
}

// RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding.
std::string connect_basic_auth(const ClientCredentials& client) {
  std::string b64 =
      crypto::base64_unpadded_encode(form_encode(client.client_id) + ":" + form_encode(client.client_secret));
  while (b64.size() % 4 != 0) {
    b64 += '=';
  }
  return "Basic " + b64;
}

// A form POST to a provider endpoint with the client authentication the definition names.
HttpRequest connect_client_post(const ConnectorDef& def, const ClientCredentials& client,
                                const std::string& url, Pairs params) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  switch (def.oauth.client_auth) {
    case ClientAuth::kClientSecretBasic:
      req.headers.emplace_back("Authorization", connect_basic_auth(client));
      break;
    case ClientAuth::kClientSecretPost:
      params.emplace_back("client_id", client.client_id);
      params.emplace_back("client_secret", client.client_secret);
      break;
    case ClientAuth::kNone:
      params.emplace_back("client_id", client.client_id);
      break;
  }
  req.body = connect_form_body(params);
  return req;
}

std::string connect_join_scopes(const ConnectorDef& def) {
  std::string out;
  for (const auto& s : def.oauth.scopes) {
    if (!out.empty()) {
      out += def.oauth.quirks.scope_separator;
    }
    out += s;
  }
  return out;
}

// Some providers answer the token endpoint form-encoded (quirk); turn that into JSON.
Json connect_token_json(std::string_view content_type, std::string_view body) {
  if (content_type.find("json") != std::string_view::npos || body.starts_with("{")) {
    return Json::parse(body, nullptr, false);
  }
  Json out = Json::object();
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const std::size_t amp = std::min(body.find('&', pos), body.size());
    const std::string_view piece = body.substr(pos, amp - pos);
    const std::size_t eq = piece.find('=');
    if (!piece.empty() && eq != std::string_view::npos) {
      // Token values are URL-safe in practice; decode '+' and %XX minimally.
      std::string value;
      const std::string_view raw = piece.substr(eq + 1);
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          value += ' ';
        } else if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          value += static_cast<char>(std::strtol(std::string(raw.substr(i + 1, 2)).c_str(), nullptr, 16));
          i += 2;
        } else {
          value += raw[i];
        }
      }
      out[std::string(piece.substr(0, eq))] = value;
    }
    pos = amp + 1;
  }
  return out;
}

}  // namespace

std::string ConnectStates::create(PendingConnect pending, std::int64_t now) {
  std::string state = crypto::random_token(32);
  pending.expires_at = now + kTtlSeconds;
  std::lock_guard lock(mu_);
  purge_locked(now);
  if (pending_.size() >= kMaxPending) {
    pending_.clear();  // bounded memory: under a flood, abandoned flows start over
  }
  pending_[state] = std::move(pending);
  return state;
}

Result<PendingConnect> ConnectStates::take(const std::string& state, std::string_view browser_key,
                                           std::int64_t now) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(state);
  if (it == pending_.end()) {
    return make_error(ErrorCode::kNotFound, "unknown or already used state");
  }
  PendingConnect pending = std::move(it->second);
  pending_.erase(it);
  if (pending.expires_at <= now) {
    return make_error(ErrorCode::kNotFound, "the connect request expired");
  }
  if (browser_key.empty() || pending.browser_key != browser_key) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the connect request was started in another browser session");
  }
  return pending;
}

std::size_t ConnectStates::size() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void ConnectStates::purge_locked(std::int64_t now) {
  std::erase_if(pending_, [now](const auto& kv) { return kv.second.expires_at <= now; });
}

std::string new_code_verifier() { return crypto::base64url_encode(crypto::random_bytes(32)); }

std::string s256_challenge(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

std::string authorize_url(const ConnectorDef& def, const ClientCredentials& client,
                          const AuthorizeParams& params) {
  Pairs q{{"response_type", "code"},
          {"client_id", client.client_id},
          {"redirect_uri", params.redirect_uri},
          {"state", params.state}};
  if (const std::string scope = connect_join_scopes(def); !scope.empty()) {
    q.emplace_back("scope", scope);
  }
  if (!params.code_challenge.empty() && def.oauth.pkce != Pkce::kUnsupported) {
    q.emplace_back("code_challenge", params.code_challenge);
    q.emplace_back("code_challenge_method", "S256");
  }
  if (def.oauth.resource_indicator && !params.resource.empty()) {
    q.emplace_back("resource", params.resource);
  }
  for (const auto& [name, value] : def.oauth.authorize_params) {
    q.emplace_back(name, value);
  }
  const char sep = def.oauth.authorize_url.find('?') == std::string::npos ? '?' : '&';
  return def.oauth.authorize_url + sep + connect_form_body(q);
}

Status check_issuer(const ConnectorDef& def, const std::optional<std::string>& iss) {
  if (def.oauth.issuer.empty()) {
    return {};  // the provider does not send one (RFC 9207 §2.4: nothing to compare)
  }
  if (!iss) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the provider's answer has no iss parameter (RFC 9207), refusing it");
  }
  if (*iss != def.oauth.issuer) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the answer comes from another authorization server (iss mismatch)");
  }
  return {};
}

HttpRequest token_request(const ConnectorDef& def, const ClientCredentials& client,
                          std::string_view code, std::string_view code_verifier,
                          std::string_view redirect_uri, std::string_view resource) {
  Pairs p{{"grant_type", "authorization_code"},
          {"code", std::string(code)},
          {"redirect_uri", std::string(redirect_uri)}};
  if (!code_verifier.empty() && def.oauth.pkce != Pkce::kUnsupported) {
    p.emplace_back("code_verifier", std::string(code_verifier));
  }
  if (def.oauth.resource_indicator && !resource.empty()) {
    p.emplace_back("resource", std::string(resource));
  }
  return connect_client_post(def, client, def.oauth.token_url, std::move(p));
}

Result<TokenResponse> parse_token_response(const ConnectorDef& def, int status,
                                           std::string_view content_type, std::string_view body,
                                           std::int64_t now) {
  const Json doc = connect_token_json(content_type, body);
  if (status != 200) {
    std::string code = "http_";
    code += std::to_string(status);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
      code = doc["error"].get<std::string>();
    }
    return make_error(ErrorCode::kUnavailable, "the provider refused the code exchange: " + code);
  }
  if (!doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string() ||
      doc["access_token"].get<std::string>().empty()) {
    return make_error(ErrorCode::kInvalidArgument, "the token response has no access_token");
  }
  TokenResponse out;
  out.access_token = doc["access_token"].get<std::string>();
  if (doc.contains("refresh_token") && doc["refresh_token"].is_string()) {
    out.refresh_token = doc["refresh_token"].get<std::string>();
  }
  if (doc.contains("expires_in") && !def.oauth.quirks.expires_in_missing) {
    const Json& e = doc["expires_in"];
    if (e.is_number_integer() && e.get<std::int64_t>() > 0) {
      out.expires_at = now + e.get<std::int64_t>();
    } else if (e.is_string()) {
      const std::int64_t secs = std::atoll(e.get<std::string>().c_str());
      out.expires_at = secs > 0 ? now + secs : 0;
    }
  }
  if (doc.contains("scope") && doc["scope"].is_string()) {
    out.scopes = doc["scope"].get<std::string>();
  } else {
    out.scopes = connect_join_scopes(def);  // RFC 6749 §5.1: omitted = as requested
  }
  MCPGATE_ASSIGN_OR_RETURN(out.connection_vars, capture_connection_vars(def, doc, true));
  return out;
}

std::vector<HttpRequest> revocation_requests(const ConnectorDef& def,
                                             const ClientCredentials& client,
                                             std::string_view refresh_token,
                                             std::string_view access_token) {
  std::vector<HttpRequest> out;
  if (def.oauth.revoke_url.empty()) {
    return out;
  }
  if (!refresh_token.empty()) {
    out.push_back(connect_client_post(
        def, client, def.oauth.revoke_url,
        {{"token", std::string(refresh_token)}, {"token_type_hint", "refresh_token"}}));
  }
  if (!access_token.empty()) {
    out.push_back(connect_client_post(
        def, client, def.oauth.revoke_url,
        {{"token", std::string(access_token)}, {"token_type_hint", "access_token"}}));
  }
  return out;
}

}  // namespace mcpgate::connectors
