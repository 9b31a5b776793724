#include "connectors/upstream_oauth.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "http/client.hpp"

namespace mcpgate::connectors {

namespace {

namespace bhttp = boost::beast::http;

bool upstream_oauth_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.starts_with("127.");
}

Error upstream_metadata_error(std::string_view document, std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::string(document) + ": " + message);
}

Result<std::string> upstream_metadata_string(const Json& doc, const char* key,
                                             std::string_view document, bool required) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) {
      return upstream_metadata_error(document, std::string(key) + " is missing");
    }
    return std::string();
  }
  if (!it->is_string()) {
    return upstream_metadata_error(document, std::string(key) + " must be a string");
  }
  return it->get<std::string>();
}

Result<std::vector<std::string>> upstream_metadata_strings(const Json& doc, const char* key,
                                                           std::string_view document) {
  std::vector<std::string> out;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array() || it->size() > 100) {
    return upstream_metadata_error(document, std::string(key) + " must be an array of strings");
  }
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 2048) {
      return upstream_metadata_error(document, std::string(key) + " must be an array of strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Json> upstream_metadata_object(std::string_view body, std::string_view document) {
  if (body.size() > kMaxUpstreamMetadataBytes) {
    return upstream_metadata_error(document, "larger than 64 KiB");
  }
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return upstream_metadata_error(document, "not a JSON object");
  }
  return doc;
}

// scheme://authority and the path ("" for "/" or none) of a checked URL.
std::pair<std::string, std::string> upstream_split_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t path_start = url.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  if (path_start == std::string_view::npos) {
    return {std::string(url), ""};
  }
  std::string path(url.substr(path_start));
  if (const auto q = path.find('?'); q != std::string::npos) {
    path.resize(q);
  }
  if (path == "/") {
    path.clear();
  }
  return {std::string(url.substr(0, path_start)), path};
}

http::AddressPolicy upstream_oauth_policy(bool allow_loopback_http) {
  return allow_loopback_http ? http::AddressPolicy::kAllowLoopback
                             : http::AddressPolicy::kPublicOnly;
}

http::ClientRequest upstream_metadata_get(std::string url, bool allow_loopback_http) {
  http::ClientRequest req;
  req.method = bhttp::verb::get;
  req.url = std::move(url);
  req.headers = {{"Accept", "application/json"}};
  req.options.timeout = std::chrono::seconds(5);
  req.options.max_body_bytes = kMaxUpstreamMetadataBytes;
  req.options.follow_redirects = false;
  req.options.address_policy = upstream_oauth_policy(allow_loopback_http);
  return req;
}

// GET a metadata document: 200 JSON, else an error naming the URL's status.
asio::awaitable<Result<std::string>> upstream_fetch_metadata(std::string url,
                                                             bool allow_loopback_http) {
  auto reply = co_await http::fetch(upstream_metadata_get(url, allow_loopback_http));
  if (!reply) {
    co_return make_error(ErrorCode::kUnavailable, url + ": " + reply.error().message);
  }
  if (reply->status() != 200) {
    co_return make_error(ErrorCode::kNotFound,
                         url + ": HTTP " + std::to_string(reply->status()));
  }
  co_return std::move(reply->message.body());
}

}  // namespace

std::optional<std::string> resource_metadata_from_challenge(std::string_view header) {
  // Bearer realm="x", resource_metadata="https://...", scope="a b"
  std::string_view rest = header;
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  if (rest.size() < 6 || !ascii::iequals(rest.substr(0, 6), "Bearer")) {
    return std::nullopt;
  }
  rest.remove_prefix(6);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) {
      rest.remove_prefix(1);
    }
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view name = rest.substr(0, eq);
    while (!name.empty() && name.back() == ' ') {
      name.remove_suffix(1);
    }
    rest.remove_prefix(eq + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      rest.remove_prefix(1);
      bool closed = false;
      while (!rest.empty()) {
        const char c = rest.front();
        rest.remove_prefix(1);
        if (c == '\\' && !rest.empty()) {
          value += rest.front();
          rest.remove_prefix(1);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) {
        return std::nullopt;
      }
    } else {
      const std::size_t end = std::min(rest.find(','), rest.size());
      value = std::string(rest.substr(0, end));
      while (!value.empty() && value.back() == ' ') {
        value.pop_back();
      }
      rest.remove_prefix(end);
    }
    if (ascii::iequals(name, "resource_metadata")) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> protected_resource_metadata_urls(std::string_view resource_url) {
  const auto [origin, path] = upstream_split_url(resource_url);
  std::vector<std::string> out;
  if (!path.empty()) {
    out.push_back(origin + "/.well-known/oauth-protected-resource" + path);
  }
  out.push_back(origin + "/.well-known/oauth-protected-resource");
  return out;
}

std::vector<std::string> authorization_server_metadata_urls(std::string_view issuer) {
  std::string_view trimmed = issuer;
  while (trimmed.ends_with('/')) {
    trimmed.remove_suffix(1);
  }
  const auto [origin, path] = upstream_split_url(trimmed);
  std::vector<std::string> out;
  out.push_back(origin + "/.well-known/oauth-authorization-server" + path);
  if (path.empty()) {
    out.push_back(origin + "/.well-known/openid-configuration");
  } else {
    out.push_back(origin + "/.well-known/openid-configuration" + path);
    out.push_back(origin + path + "/.well-known/openid-configuration");
  }
  return out;
}

Status check_metadata_url(std::string_view what, std::string_view url, bool allow_loopback_http) {
  if (url.size() > 2048) {
    return invalid_argument(std::string(what) + " is too long");
  }
  if (url.find('#') != std::string_view::npos) {
    return invalid_argument(std::string(what) + " must not have a fragment");
  }
  auto parsed = http::parse_url(url);
  if (!parsed) {
    return invalid_argument(std::string(what) + " is not a valid URL: " + parsed.error().message);
  }
  if (!parsed->tls() && !(allow_loopback_http && upstream_oauth_loopback_host(parsed->host))) {
    return invalid_argument(std::string(what) + " must use https");
  }
  return {};
}

Result<ProtectedResourceInfo> parse_protected_resource_metadata(std::string_view body,
                                                                std::string_view expected_resource,
                                                                bool allow_loopback_http) {
  constexpr std::string_view kDoc = "protected-resource metadata";
  MCPGATE_ASSIGN_OR_RETURN(Json doc, upstream_metadata_object(body, kDoc));
  ProtectedResourceInfo info;
  MCPGATE_ASSIGN_OR_RETURN(info.resource, upstream_metadata_string(doc, "resource", kDoc, true));
  // RFC 9728 §3.3: the resource identifier must be the one the metadata was looked up for.
  if (info.resource != expected_resource) {
    return upstream_metadata_error(kDoc, "resource \"" + info.resource.substr(0, 200) +
                                             "\" is not the upstream's URL " +
                                             std::string(expected_resource));
  }
  MCPGATE_ASSIGN_OR_RETURN(info.authorization_servers,
                           upstream_metadata_strings(doc, "authorization_servers", kDoc));
  if (info.authorization_servers.empty()) {
    return upstream_metadata_error(kDoc, "authorization_servers is missing or empty");
  }
  for (const auto& as : info.authorization_servers) {
    MCPGATE_TRY(check_metadata_url("authorization server " + as.substr(0, 200), as,
                                   allow_loopback_http));
  }
  MCPGATE_ASSIGN_OR_RETURN(info.scopes_supported,
                           upstream_metadata_strings(doc, "scopes_supported", kDoc));
  return info;
}

Result<AuthServerInfo> parse_authorization_server_metadata(std::string_view body,
                                                           std::string_view expected_issuer,
                                                           bool allow_loopback_http) {
  constexpr std::string_view kDoc = "authorization-server metadata";
  MCPGATE_ASSIGN_OR_RETURN(Json doc, upstream_metadata_object(body, kDoc));
  AuthServerInfo as;
  MCPGATE_ASSIGN_OR_RETURN(as.issuer, upstream_metadata_string(doc, "issuer", kDoc, true));
  // RFC 8414 §3.3: mix-up defence.
  if (as.issuer != expected_issuer) {
    return upstream_metadata_error(kDoc, "issuer does not match the authorization server URL");
  }
  MCPGATE_ASSIGN_OR_RETURN(as.authorization_endpoint,
                           upstream_metadata_string(doc, "authorization_endpoint", kDoc, true));
  MCPGATE_ASSIGN_OR_RETURN(as.token_endpoint,
                           upstream_metadata_string(doc, "token_endpoint", kDoc, true));
  MCPGATE_ASSIGN_OR_RETURN(as.revocation_endpoint,
                           upstream_metadata_string(doc, "revocation_endpoint", kDoc, false));
  MCPGATE_ASSIGN_OR_RETURN(as.registration_endpoint,
                           upstream_metadata_string(doc, "registration_endpoint", kDoc, false));
  MCPGATE_TRY(check_metadata_url("authorization_endpoint", as.authorization_endpoint,
                                 allow_loopback_http));
  MCPGATE_TRY(check_metadata_url("token_endpoint", as.token_endpoint, allow_loopback_http));
  if (!as.revocation_endpoint.empty()) {
    MCPGATE_TRY(check_metadata_url("revocation_endpoint", as.revocation_endpoint,
                                   allow_loopback_http));
  }
  if (!as.registration_endpoint.empty()) {
    MCPGATE_TRY(check_metadata_url("registration_endpoint", as.registration_endpoint,
                                   allow_loopback_http));
  }
  MCPGATE_ASSIGN_OR_RETURN(auto methods,
                           upstream_metadata_strings(doc, "code_challenge_methods_supported", kDoc));
  // MCP authorization: a client must refuse to proceed when S256 is not advertised.
  if (std::find(methods.begin(), methods.end(), "S256") == methods.end()) {
    return upstream_metadata_error(kDoc, "PKCE S256 is not supported (code_challenge_methods_supported)");
  }
  MCPGATE_ASSIGN_OR_RETURN(auto response_types,
                           upstream_metadata_strings(doc, "response_types_supported", kDoc));
  if (!response_types.empty() &&
      std::find(response_types.begin(), response_types.end(), "code") == response_types.end()) {
    return upstream_metadata_error(kDoc, "the code response type is not supported");
  }
  MCPGATE_ASSIGN_OR_RETURN(as.token_auth_methods,
                           upstream_metadata_strings(doc, "token_endpoint_auth_methods_supported", kDoc));
  auto flag = [&](const char* key) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_boolean() && it->get<bool>();
  };
  as.cimd_supported = flag("client_id_metadata_document_supported");
  as.iss_parameter_supported = flag("authorization_response_iss_parameter_supported");
  return as;
}

Json gate_client_metadata(const UpstreamOAuthSettings& settings) {
  Json doc = Json::object();
  doc["client_id"] = settings.client_metadata_url;
  doc["client_name"] = settings.client_name;
  doc["redirect_uris"] = Json::array({settings.redirect_uri});
  doc["grant_types"] = Json::array({"authorization_code", "refresh_token"});
  doc["response_types"] = Json::array({"code"});
  doc["token_endpoint_auth_method"] = "none";
  return doc;
}

Json registration_request_body(const UpstreamOAuthSettings& settings) {
  Json doc = Json::object();
  doc["client_name"] = settings.client_name;
  doc["redirect_uris"] = Json::array({settings.redirect_uri});
  doc["grant_types"] = Json::array({"authorization_code", "refresh_token"});
  doc["response_types"] = Json::array({"code"});
  doc["token_endpoint_auth_method"] = "none";
  if (!settings.scopes.empty()) {
    std::string scope;
    for (const auto& s : settings.scopes) {
      scope += (scope.empty() ? "" : " ") + s;
    }
    doc["scope"] = scope;
  }
  return doc;
}

Result<ClientCredentials> parse_registration_response(int status, std::string_view body) {
  constexpr std::string_view kDoc = "registration response";
  if (status != 201 && status != 200) {
    Json err = Json::parse(body.substr(0, std::min<std::size_t>(body.size(), 4096)), nullptr, false);
    std::string code = err.is_object() && err.contains("error") && err["error"].is_string()
                           ? err["error"].get<std::string>().substr(0, 64)
                           : std::string("HTTP ") + std::to_string(status);
    return make_error(ErrorCode::kUnavailable, "dynamic client registration refused: " + code);
  }
  MCPGATE_ASSIGN_OR_RETURN(Json doc, upstream_metadata_object(body, kDoc));
  ClientCredentials c;
  MCPGATE_ASSIGN_OR_RETURN(c.client_id, upstream_metadata_string(doc, "client_id", kDoc, true));
  MCPGATE_ASSIGN_OR_RETURN(c.client_secret,
                           upstream_metadata_string(doc, "client_secret", kDoc, false));
  if (c.client_id.empty() || c.client_id.size() > 512) {
    return upstream_metadata_error(kDoc, "client_id is empty or too long");
  }
  return c;
}

Result<UpstreamOAuthClient> upstream_oauth_client(const UpstreamOAuthSettings& settings,
                                                  const AuthServerInfo& as,
                                                  const std::vector<std::string>& scopes,
                                                  ClientCredentials client,
                                                  std::string how_registered) {
  auto def = std::make_shared<ConnectorDef>();
  def->id = settings.id;
  def->display_name = settings.id + " (MCP server)";
  def->oauth.authorize_url = as.authorization_endpoint;
  def->oauth.token_url = as.token_endpoint;
  def->oauth.revoke_url = as.revocation_endpoint;
  def->oauth.scopes = scopes;
  def->oauth.pkce = Pkce::kRequired;
  def->oauth.resource_indicator = true;  // MCP: clients send RFC 8707 resource everywhere
  // RFC 9207: when the AS says it sends `iss`, its absence on the callback is refused.
  def->oauth.issuer = as.iss_parameter_supported ? as.issuer : std::string();
  if (client.client_secret.empty()) {
    def->oauth.client_auth = ClientAuth::kNone;
  } else {
    const auto& m = as.token_auth_methods;
    const bool basic = m.empty() || std::find(m.begin(), m.end(), "client_secret_basic") != m.end();
    def->oauth.client_auth = basic ? ClientAuth::kClientSecretBasic : ClientAuth::kClientSecretPost;
  }
  def->api.allow_loopback_http = settings.allow_loopback_http;
  UpstreamOAuthClient out;
  out.def = std::move(def);
  out.client = std::move(client);
  out.resource = settings.upstream_url;
  out.how_registered = std::move(how_registered);
  return out;
}

asio::awaitable<Result<UpstreamOAuthMetadata>> discover_upstream_metadata(
    UpstreamOAuthSettings settings) {
  const bool loopback = settings.allow_loopback_http;
  // 1. The upstream's own challenge names its metadata (the MCP authorization flow).
  std::vector<std::string> prm_urls;
  {
    http::ClientRequest probe;
    probe.method = bhttp::verb::post;
    probe.url = settings.upstream_url;
    probe.headers = {{"Accept", "application/json, text/event-stream"},
                     {"Content-Type", "application/json"}};
    probe.body = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpgate","version":"0"}}})";
    probe.options.timeout = std::chrono::seconds(5);
    probe.options.max_body_bytes = kMaxUpstreamMetadataBytes;
    // The upstream URL is the operator's: any address, as the gateway itself connects.
    probe.options.address_policy = http::AddressPolicy::kAny;
    auto reply = co_await http::fetch(std::move(probe));
    if (reply && reply->status() == 401) {
      if (auto named = resource_metadata_from_challenge(reply->header(http::Field::www_authenticate))) {
        if (auto ok = check_metadata_url("resource_metadata", *named, loopback); !ok) {
          co_return ok.error();
        }
        prm_urls.push_back(*named);
      }
    } else if (!reply) {
      co_return make_error(ErrorCode::kUnavailable,
                           "upstream " + settings.id + " is not reachable: " + reply.error().message);
    }
  }
  for (auto& u : protected_resource_metadata_urls(settings.upstream_url)) {
    if (std::find(prm_urls.begin(), prm_urls.end(), u) == prm_urls.end()) {
      prm_urls.push_back(std::move(u));
    }
  }
  // 2. Protected-resource metadata.
  std::optional<ProtectedResourceInfo> prm;
  Error last = make_error(ErrorCode::kNotFound, "no protected-resource metadata found");
  for (const auto& url : prm_urls) {
    auto body = co_await upstream_fetch_metadata(url, loopback);
    if (!body) {
      last = body.error();
      continue;
    }
    auto parsed = parse_protected_resource_metadata(*body, settings.upstream_url, loopback);
    if (!parsed) {
      co_return parsed.error();  // a document that breaks the rules is not skipped over
    }
    prm = std::move(parsed).value();
    break;
  }
  if (!prm) {
    co_return make_error(last.code, "upstream " + settings.id + ": " + last.message);
  }
  // 3. The first authorization server.
  const std::string issuer = prm->authorization_servers.front();
  std::optional<AuthServerInfo> as;
  for (const auto& url : authorization_server_metadata_urls(issuer)) {
    auto body = co_await upstream_fetch_metadata(url, loopback);
    if (!body) {
      last = body.error();
      continue;
    }
    auto parsed = parse_authorization_server_metadata(*body, issuer, loopback);
    if (!parsed) {
      co_return parsed.error();
    }
    as = std::move(parsed).value();
    break;
  }
  if (!as) {
    co_return make_error(last.code, "upstream " + settings.id + ": " + last.message);
  }
  UpstreamOAuthMetadata out;
  out.scopes = settings.scopes.empty() ? prm->scopes_supported : settings.scopes;
  out.resource = std::move(*prm);
  out.server = std::move(*as);
  co_return out;
}
Result<std::string> choose_upstream_registration(const UpstreamOAuthSettings& settings,
                                                 const AuthServerInfo& as) {
  if (!settings.client_id.empty()) {
    return std::string("configured");
  }
  // A client_id URL must be https (the AS fetches it): a gate on plain http registers instead.
  const bool cimd_ok = as.cimd_supported && settings.client_metadata_url.starts_with("https://");
  if (settings.registration != UpstreamRegistration::kDcr && cimd_ok) {
    return std::string("cimd");
  }
  if (settings.registration == UpstreamRegistration::kCimd) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "upstream " + settings.id +
                          ": registration: cimd needs an authorization server that accepts "
                          "client metadata documents and an https server.public_url");
  }
  if (as.registration_endpoint.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "upstream " + settings.id +
                          ": its authorization server offers neither client metadata documents "
                          "nor dynamic registration; configure oauth.client_id");
  }
  return std::string("dcr");
}

std::string upstream_registration_fingerprint(const UpstreamOAuthSettings& settings,
                                              const AuthServerInfo& as) {
  return "dcr " + as.issuer + " " + as.registration_endpoint + " " + settings.redirect_uri;
}

asio::awaitable<Result<ClientCredentials>> register_upstream_client(UpstreamOAuthSettings settings,
                                                                    AuthServerInfo as) {
  http::ClientRequest reg;
  reg.method = bhttp::verb::post;
  reg.url = as.registration_endpoint;
  reg.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  reg.body = registration_request_body(settings).dump();
  reg.options.timeout = std::chrono::seconds(5);
  reg.options.max_body_bytes = kMaxUpstreamMetadataBytes;
  reg.options.address_policy = upstream_oauth_policy(settings.allow_loopback_http);
  auto reply = co_await http::fetch(std::move(reg));
  if (!reply) {
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + settings.id + ": registration failed: " + reply.error().message);
  }
  auto client = parse_registration_response(static_cast<int>(reply->status()), reply->message.body());
  if (!client) {
    co_return client.error();
  }
  co_return std::move(client).value();
}

}  // namespace mcpgate::connectors
