#include "connectors/oauth_token_client.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "connectors/url.hpp"
#include "core/ascii.hpp"
#include "crypto/encoding.hpp"

namespace mcpgate::connectors {
namespace {

std::string refresh_padded_base64(std::string_view bytes) {
  std::string out = crypto::base64_unpadded_encode(bytes);
  while (out.size() % 4 != 0) {
    out.push_back('=');
  }
  return out;
}

// Form-decoding for providers that answer application/x-www-form-urlencoded (GitHub without
// Accept: json). Values only ever go into RefreshedTokens, never into a message.
std::string refresh_form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = ascii::hex_value(in[i + 1]);
      const int lo = ascii::hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        out.push_back('%');
        continue;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

nlohmann::json refresh_form_to_json(std::string_view body) {
  nlohmann::json out = nlohmann::json::object();
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      out[refresh_form_decode(pair.substr(0, eq))] = refresh_form_decode(pair.substr(eq + 1));
    }
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
  }
  return out;
}

bool refresh_answer_is_form(std::string_view content_type) {
  return content_type.find("application/x-www-form-urlencoded") != std::string_view::npos;
}

}  // namespace

std::string token_resource(const ConnectorDef& connector) {
  if (!connector.oauth.resource_indicator || connector.api.hosts.empty()) {
    return "";
  }
  const std::string& host = connector.api.hosts.front();
  if (host.rfind("*.", 0) == 0) {
    return "";
  }
  const bool http = connector.api.allow_loopback_http && is_loopback_host(host);
  return std::string(http ? "http://" : "https://") + host;
}

http::ClientRequest refresh_token_request(const ConnectorDef& connector,
                                          const ConnectorCredentials& credentials,
                                          std::string_view refresh_token) {
  http::ClientRequest req;
  req.method = http::bhttp::verb::post;
  req.url = connector.oauth.token_url;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  std::string body = "grant_type=refresh_token&refresh_token=" + form_encode(refresh_token);
  switch (connector.oauth.client_auth) {
    case ClientAuth::kClientSecretBasic: {
      // RFC 6749 §2.3.1: both parts form-encoded before base64.
      const std::string pair =
          form_encode(credentials.client_id) + ":" + form_encode(credentials.client_secret);
      req.headers.emplace_back("Authorization", "Basic " + refresh_padded_base64(pair));
      break;
    }
    case ClientAuth::kClientSecretPost:
      body += "&client_id=" + form_encode(credentials.client_id);
      body += "&client_secret=" + form_encode(credentials.client_secret);
      break;
    case ClientAuth::kNone:
      body += "&client_id=" + form_encode(credentials.client_id);
      break;
  }
  const std::string resource = credentials.resource ? *credentials.resource : token_resource(connector);
  if (!resource.empty()) {
    body += "&resource=" + form_encode(resource);
  }
  req.body = std::move(body);
  return req;
}

std::variant<RefreshedTokens, RefreshError> parse_refresh_response(const ConnectorDef& connector,
                                                                   int status,
                                                                   std::string_view content_type,
                                                                   std::string_view body) {
  nlohmann::json doc;
  if (refresh_answer_is_form(content_type)
      || (connector.oauth.quirks.token_response_form && content_type.find("json") == std::string_view::npos)) {
    doc = refresh_form_to_json(body);
  } else {
    doc = nlohmann::json::parse(body, nullptr, false);
  }
  const bool object = doc.is_object();
  std::string error_code;
  if (object && doc.contains("error") && doc["error"].is_string()) {
    error_code = doc["error"].get<std::string>();
  }
  const std::string where = connector.id + ": token endpoint: ";
  if (error_code == "invalid_grant") {
    return RefreshError{RefreshFailure::kInvalidGrant, where + "invalid_grant"};
  }
  if (error_code == "invalid_client" || error_code == "unauthorized_client" || status == 401) {
    return RefreshError{RefreshFailure::kInvalidClient,
                        where + "client authentication failed (HTTP " + std::to_string(status) + ")"};
  }
  if (status < 200 || status > 299 || !error_code.empty()) {
    return RefreshError{RefreshFailure::kTransient,
                        where + "HTTP " + std::to_string(status)
                            + (error_code.empty() ? "" : " " + error_code)};
  }
  if (!object || !doc.contains("access_token") || !doc["access_token"].is_string()
      || doc["access_token"].get<std::string>().empty()) {
    return RefreshError{RefreshFailure::kTransient, where + "answer without access_token"};
  }
  RefreshedTokens out;
  out.access_token = doc["access_token"].get<std::string>();
  if (doc.contains("refresh_token") && doc["refresh_token"].is_string()
      && !doc["refresh_token"].get<std::string>().empty()) {
    out.refresh_token = doc["refresh_token"].get<std::string>();
  }
  if (!connector.oauth.quirks.expires_in_missing && doc.contains("expires_in")) {
    const auto& e = doc["expires_in"];
    if (e.is_number_integer() && e.get<std::int64_t>() > 0) {
      out.expires_in = e.get<std::int64_t>();
    } else if (e.is_string()) {  // form answers, and a few JSON ones, send it as text
      const std::string text = e.get<std::string>();
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size() && v > 0) {
        out.expires_in = v;
      }
    }
  }
  if (doc.contains("scope") && doc["scope"].is_string()) {
    out.scope = doc["scope"].get<std::string>();
  }
  auto vars = capture_connection_vars(connector, doc, false);
  if (!vars) {
    return RefreshError{RefreshFailure::kTransient, where + vars.error().message};
  }
  out.connection_vars = std::move(vars).value();
  return out;
}

}  // namespace mcpgate::connectors
