#include "oauth/cimd.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <iomanip>
#include <locale>
#include <optional>
#include <set>
#include <sstream>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/prefer.hpp>

#include "core/log.hpp"
#include "http/address_policy.hpp"
#include "http/message.hpp"

namespace mcpgate::oauth {
namespace {

using nlohmann::json;

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ASCII-only (the <cctype> classifiers depend on the locale).
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_alnum(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9');
}

bool is_hex_digit(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

std::int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

// A path segment that is "." or ".." once %2e/%2E are read as dots.
bool is_dot_segment(std::string_view segment) {
  std::string decoded;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() && segment[i + 1] == '2'
        && (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
      decoded += '.';
      i += 2;
    } else {
      decoded += segment[i];
    }
  }
  return decoded == "." || decoded == "..";
}

// True when `url` is an absolute http(s) URL a client may publish for the server to use or
// show: https, or (tests) http on loopback; an IP-literal host must be public.
Status check_web_uri(std::string_view member, std::string_view url, bool allow_loopback_http) {
  auto parsed = http::parse_url(url);
  if (!parsed) {
    return invalid(std::string(member) + " is not a valid https URL");
  }
  const bool loopback = is_loopback_name(parsed->host);
  if (!parsed->tls() && !(allow_loopback_http && loopback)) {
    return invalid(std::string(member) + " must use https");
  }
  if (parsed->host_is_ip) {
    const auto policy = allow_loopback_http ? http::AddressPolicy::kAllowLoopback
                                            : http::AddressPolicy::kPublicOnly;
    if (!http::address_allowed(policy, asio::ip::make_address(parsed->host))) {
      return invalid(std::string(member) + " must not point to a non-public address");
    }
  }
  return {};
}

// redirect_uris entries: https; http only on a loopback host (RFC 8252 §7.3); otherwise a
// private-use scheme, which RFC 8252 §7.1 requires to be a reverse domain name (so it contains
// a '.'; this also excludes javascript:, data:, file: and friends). Never a fragment.
Status check_redirect_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > 2000) {
    return invalid("redirect_uris entries must be 1 to 2000 characters");
  }
  for (char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return invalid(
          "redirect_uris entries must not contain whitespace, control characters, "
          "backslashes or non-ASCII characters");
    }
  }
  if (uri.find('#') != std::string_view::npos) {
    return invalid("redirect_uris entries must not contain a fragment");
  }
  if (uri.find('*') != std::string_view::npos) {
    return invalid("redirect_uris entries must not contain wildcards");
  }
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(uri[0])
      || !std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
           return is_alnum(c) || c == '+' || c == '-' || c == '.';
         })) {
    return invalid("redirect_uris entries must be absolute URIs");
  }
  const std::string scheme = to_lower(uri.substr(0, colon));
  if (scheme == "https" || scheme == "http") {
    auto parsed = http::parse_url(uri);
    if (!parsed) {
      return invalid("redirect_uris entry is not a valid URL");
    }
    if (scheme == "http" && !is_loopback_name(parsed->host)) {
      return invalid("http redirect_uris are only allowed on a loopback host");
    }
    return {};
  }
  if (scheme.find('.') == std::string::npos) {
    return invalid(
        "redirect_uris with a private-use scheme must use a reverse domain name "
        "scheme (RFC 8252)");
  }
  if (colon + 1 == uri.size()) {
    return invalid("redirect_uris entry has nothing after the scheme");
  }
  return {};
}

Result<std::vector<std::string>> string_array(const json& doc, const char* member, bool required) {
  std::vector<std::string> out;
  auto it = doc.find(member);
  if (it == doc.end()) {
    if (required) {
      return invalid(std::string(member) + " is required");
    }
    return out;
  }
  if (!it->is_array()) {
    return invalid(std::string(member) + " must be an array of strings");
  }
  for (const json& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      return invalid(std::string(member) + " must be an array of non-empty strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::string> optional_string(const json& doc, const char* member) {
  auto it = doc.find(member);
  if (it == doc.end()) {
    return std::string();
  }
  if (!it->is_string()) {
    return invalid(std::string(member) + " must be a string");
  }
  return it->get<std::string>();
}

bool has_control_characters(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

Status check_jwks(const json& jwks) {
  if (!jwks.is_object()) {
    return invalid("jwks must be a JSON Web Key Set object");
  }
  auto keys = jwks.find("keys");
  if (keys == jwks.end() || !keys->is_array() || keys->empty()) {
    return invalid("jwks must contain a non-empty keys array");
  }
  for (const json& key : *keys) {
    if (!key.is_object() || !key.contains("kty") || !key["kty"].is_string()) {
      return invalid("every jwks key must be an object with a kty");
    }
    // Private or symmetric key material must never be published.
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      if (key.contains(secret)) {
        return invalid("jwks must contain public keys only");
      }
    }
  }
  return {};
}

// Parse with limits: depth, and duplicate member names refused (two parsers could otherwise
// disagree about which client_id a document carries).
struct ParsedJson {
  json value;
  bool too_deep = false;
  bool duplicate_key = false;
};

ParsedJson parse_json(std::string_view body, int max_depth) {
  ParsedJson out;
  std::vector<std::set<std::string>> keys;
  int depth = 0;
  json::parser_callback_t cb = [&](int /*unused*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (++depth > max_depth) {
          out.too_deep = true;
        }
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) {
          keys.pop_back();
        }
        [[fallthrough]];
      case json::parse_event_t::array_end:
        --depth;
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string()
            && !keys.back().insert(parsed.get<std::string>()).second) {
          out.duplicate_key = true;
        }
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  out.value = json::parse(body.begin(), body.end(), cb, /*allow_exceptions=*/false);
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP caching (RFC 9111, the parts a metadata cache needs)

std::optional<std::int64_t> parse_delta_seconds(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  for (char c : v) {
    n = std::min<std::int64_t>(n * 10 + (c - '0'), std::int64_t{1} << 40);
  }
  return n;
}

// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); nullopt for anything else.
std::optional<std::int64_t> parse_http_date(std::string_view text) {
  std::tm tm{};
  std::istringstream in{std::string(text)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

// Seconds the document may be cached, or nullopt when it must not be stored.
std::optional<std::int64_t> cache_lifetime(const http::Response& res,
                                           std::int64_t now,
                                           const CimdResolverOptions& opt) {
  std::optional<std::int64_t> max_age;
  std::optional<std::int64_t> s_maxage;
  for (auto it = res.find(http::Field::cache_control);
       it != res.end() && it->name() == http::Field::cache_control;
       ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      const size_t comma = value.find(',');
      const std::string_view directive = http::trim_ows(value.substr(0, comma));
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
      const size_t eq = directive.find('=');
      const std::string name = to_lower(http::trim_ows(directive.substr(0, eq)));
      const std::string_view arg =
          eq == std::string_view::npos ? std::string_view{} : http::trim_ows(directive.substr(eq + 1));
      if (name == "no-store" || name == "no-cache") {
        return std::nullopt;
      }
      if (name == "max-age") {
        max_age = parse_delta_seconds(arg).value_or(0);  // malformed: stale
      } else if (name == "s-maxage") {
        s_maxage = parse_delta_seconds(arg).value_or(0);
      }
    }
  }
  std::int64_t ttl = opt.default_cache_ttl.count();
  if (s_maxage) {
    ttl = *s_maxage;
  } else if (max_age) {
    ttl = *max_age;
  } else if (auto expires = res.find(http::Field::expires); expires != res.end()) {
    const auto at = parse_http_date(expires->value());
    std::int64_t base = now;
    if (auto date = res.find(http::Field::date); date != res.end()) {
      base = parse_http_date(date->value()).value_or(now);
    }
    ttl = at ? std::max<std::int64_t>(0, *at - base) : 0;  // invalid Expires: already stale
  }
  return std::clamp<std::int64_t>(ttl, opt.min_cache_ttl.count(), opt.max_cache_ttl.count());
}

bool json_media_type(std::string_view content_type) {
  const std::string type = to_lower(http::trim_ows(content_type.substr(0, content_type.find(';'))));
  if (type == "application/json") {
    return true;
  }
  constexpr std::string_view kPrefix = "application/";
  constexpr std::string_view kSuffix = "+json";
  return type.size() > kPrefix.size() + kSuffix.size() && starts_with(type, kPrefix)
         && type.compare(type.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

// The message a client sees for a failed fetch; the detail goes to the log only.
Error fetch_error(const Error& e, size_t max_bytes) {
  switch (e.code) {
    case ErrorCode::kPermissionDenied:
      return make_error(e.code,
                        "client_id host is not allowed: it resolves to a non-public address");
    case ErrorCode::kDeadlineExceeded:
      return make_error(e.code, "client metadata document fetch timed out");
    case ErrorCode::kResourceExhausted:
      return make_error(
          e.code,
          "client metadata document is larger than " + std::to_string(max_bytes) + " bytes");
    case ErrorCode::kInvalidArgument:
      return make_error(e.code, "client_id is not a valid URL");
    default:
      return make_error(ErrorCode::kUnavailable,
                        "client metadata document could not be fetched (connection or TLS "
                        "failure)");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Status validate_client_id_url(std::string_view url, bool allow_loopback_http) {
  if (url.empty()) {
    return invalid("client_id is empty");
  }
  if (url.size() > kMaxClientIdUrlLength) {
    return invalid("client_id URL is longer than " + std::to_string(kMaxClientIdUrlLength)
                   + " characters");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      return invalid("client_id URL must not contain a backslash");
    }
    if (u <= 0x20 || u >= 0x7f) {
      return invalid("client_id URL must not contain whitespace, control or non-ASCII characters");
    }
  }
  if (url.find('#') != std::string_view::npos) {
    return invalid("client_id URL must not contain a fragment");
  }
  if (url.find('?') != std::string_view::npos) {
    return invalid("client_id URL must not contain a query");
  }
  const bool https = starts_with(url, "https://");
  if (!https && !(allow_loopback_http && starts_with(url, "http://"))) {
    return invalid("client_id URL must use the https scheme");
  }
  const std::string_view rest = url.substr(url.find("://") + 3);
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("client_id URL must not contain user information");
  }
  if (authority.empty()) {
    return invalid("client_id URL must have a host");
  }
  if (slash == std::string_view::npos || rest.substr(slash) == "/") {
    return invalid("client_id URL must have a path");
  }
  const std::string_view path = rest.substr(slash);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%'
        && (i + 2 >= path.size() || !is_hex_digit(path[i + 1]) || !is_hex_digit(path[i + 2]))) {
      return invalid("client_id URL has a malformed percent-escape");
    }
  }
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (is_dot_segment(path.substr(start, end - start))) {
      return invalid("client_id URL must not contain . or .. path segments");
    }
    start = end + 1;
  }
  auto parsed = http::parse_url(url);
  if (!parsed) {
    return invalid("client_id is not a valid URL");
  }
  const bool loopback = is_loopback_name(parsed->host);
  if (!https && !loopback) {
    return invalid("client_id URL must use the https scheme");
  }
  if (parsed->host_is_ip) {
    const auto policy = allow_loopback_http ? http::AddressPolicy::kAllowLoopback
                                            : http::AddressPolicy::kPublicOnly;
    if (!http::address_allowed(policy, asio::ip::make_address(parsed->host))) {
      return make_error(ErrorCode::kPermissionDenied,
                        "client_id host is not allowed: it is a non-public address");
    }
  }
  return {};
}

bool ClientMetadata::has_redirect_uri(std::string_view uri) const {
  return std::find(redirect_uris.begin(), redirect_uris.end(), uri) != redirect_uris.end();
}

Result<ClientMetadata> parse_cimd_document(std::string_view client_id,
                                           std::string_view body,
                                           const DocumentLimits& limits,
                                           std::int64_t now) {
  if (body.size() > limits.max_bytes) {
    return make_error(
        ErrorCode::kResourceExhausted,
        "client metadata document is larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  ParsedJson parsed = parse_json(body, limits.max_depth);
  if (parsed.value.is_discarded()) {
    return invalid("client metadata document is not valid JSON");
  }
  if (parsed.too_deep) {
    return invalid("client metadata document is nested too deeply");
  }
  if (parsed.duplicate_key) {
    return invalid("client metadata document has duplicate member names");
  }
  const json& doc = parsed.value;
  if (!doc.is_object()) {
    return invalid("client metadata document must be a JSON object");
  }

  ClientMetadata m;
  auto id = doc.find("client_id");
  if (id == doc.end() || !id->is_string()) {
    return invalid("client metadata document has no client_id");
  }
  // Simple string comparison, no normalisation (CIMD draft; RFC 3986 §6.2.1).
  if (id->get_ref<const std::string&>() != client_id) {
    return invalid("client_id in the document does not match the URL it was fetched from");
  }
  m.client_id = std::string(client_id);

  if (doc.contains("client_secret") || doc.contains("client_secret_expires_at")) {
    return invalid("client metadata document must not contain a client secret");
  }

  auto name = doc.find("client_name");
  if (name == doc.end() || !name->is_string()
      || http::trim_ows(name->get_ref<const std::string&>()).empty()) {
    return invalid("client_name is required");
  }
  m.client_name = name->get<std::string>();
  if (has_control_characters(m.client_name)) {
    return invalid("client_name must not contain control characters");
  }

  MCPGATE_ASSIGN_OR_RETURN(m.redirect_uris, string_array(doc, "redirect_uris", true));
  if (m.redirect_uris.empty()) {
    return invalid("redirect_uris must not be empty");
  }
  for (const std::string& uri : m.redirect_uris) {
    MCPGATE_TRY(check_redirect_uri(uri));
  }

  // jwks / jwks_uri (public keys for private_key_jwt).
  const bool has_jwks = doc.contains("jwks");
  const bool has_jwks_uri = doc.contains("jwks_uri");
  if (has_jwks && has_jwks_uri) {
    return invalid("jwks and jwks_uri must not both be present");
  }
  if (has_jwks) {
    MCPGATE_TRY(check_jwks(doc["jwks"]));
    m.jwks = doc["jwks"];
  }
  if (has_jwks_uri) {
    MCPGATE_ASSIGN_OR_RETURN(m.jwks_uri, optional_string(doc, "jwks_uri"));
    MCPGATE_TRY(check_web_uri("jwks_uri", m.jwks_uri, limits.allow_loopback_http));
  }
  const bool has_keys = has_jwks || has_jwks_uri;

  // Token endpoint authentication: see the header for the policy.
  auto method = doc.find("token_endpoint_auth_method");
  if (method != doc.end()) {
    if (!method->is_string()) {
      return invalid("token_endpoint_auth_method must be a string");
    }
    const auto& value = method->get_ref<const std::string&>();
    if (value == "client_secret_basic" || value == "client_secret_post"
        || value == "client_secret_jwt") {
      return invalid("token_endpoint_auth_method " + value
                     + " uses a shared secret, which a client metadata document cannot hold");
    }
    if (value != "none" && value != "private_key_jwt") {
      return invalid("token_endpoint_auth_method must be none or private_key_jwt");
    }
    m.token_endpoint_auth_method = value;
  } else if (auto supported = doc.find("token_endpoint_auth_methods_supported");
             supported != doc.end()) {
    MCPGATE_ASSIGN_OR_RETURN(std::vector<std::string> methods,
                             string_array(doc, "token_endpoint_auth_methods_supported", false));
    auto listed = [&](std::string_view m_name) {
      return std::find(methods.begin(), methods.end(), m_name) != methods.end();
    };
    if (listed("none")) {
      m.token_endpoint_auth_method = "none";
    } else if (listed("private_key_jwt") && has_keys) {
      m.token_endpoint_auth_method = "private_key_jwt";
    } else {
      return invalid(
          "token_endpoint_auth_methods_supported offers no method this server "
          "accepts for metadata-document clients (none, or private_key_jwt with keys)");
    }
    m.auth_method_negotiated = true;
  } else {
    m.token_endpoint_auth_method = "none";
  }
  if (m.token_endpoint_auth_method == "private_key_jwt" && !has_keys) {
    return invalid("private_key_jwt requires jwks or jwks_uri");
  }

  for (auto [member, target] :
       {std::pair{"logo_uri", &m.logo_uri}, std::pair{"client_uri", &m.client_uri}}) {
    MCPGATE_ASSIGN_OR_RETURN(*target, optional_string(doc, member));
    if (!target->empty()) {
      MCPGATE_TRY(check_web_uri(member, *target, limits.allow_loopback_http));
    }
  }
  for (const char* member : {"policy_uri", "tos_uri"}) {
    MCPGATE_ASSIGN_OR_RETURN(std::string uri, optional_string(doc, member));
    if (!uri.empty()) {
      MCPGATE_TRY(check_web_uri(member, uri, limits.allow_loopback_http));
    }
  }

  MCPGATE_ASSIGN_OR_RETURN(m.grant_types, string_array(doc, "grant_types", false));
  if (!doc.contains("grant_types")) {
    m.grant_types = {"authorization_code"};
  }
  MCPGATE_ASSIGN_OR_RETURN(m.response_types, string_array(doc, "response_types", false));
  if (!doc.contains("response_types")) {
    m.response_types = {"code"};
  }
  MCPGATE_ASSIGN_OR_RETURN(m.scope, optional_string(doc, "scope"));
  MCPGATE_ASSIGN_OR_RETURN(m.application_type, optional_string(doc, "application_type"));
  if (!m.application_type.empty() && m.application_type != "web"
      && m.application_type != "native") {
    return invalid("application_type must be web or native");
  }

  auto url = http::parse_url(client_id);
  if (!url) {
    return invalid("client_id is not a valid URL");
  }
  m.host = url->host;
  m.document = std::string(body);
  m.fetched_at = now;
  m.expires_at = now;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Resolver

namespace {

// A coroutine parked on an in-flight fetch. complete() posts its continuation to the
// coroutine's own executor, so waiters never run on the fetching coroutine's thread.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void complete(Result<ClientMetadata> result) = 0;
};

template <class Handler>
class HandlerWaiter final : public Waiter {
 public:
  explicit HandlerWaiter(Handler handler)
      : handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_),
                           asio::execution::outstanding_work_t::tracked)) {}

  void complete(Result<ClientMetadata> result) override {
    auto ex = asio::get_associated_executor(handler_);
    asio::post(ex, [h = std::move(handler_), r = std::move(result)]() mutable { h(std::move(r)); });
  }

 private:
  Handler handler_;
  asio::any_io_executor work_;  // keeps the waiter's io_context running while it waits
};

struct InFlight {
  std::optional<Result<ClientMetadata>> result;  // set once, under Impl::mu
  std::vector<std::unique_ptr<Waiter>> waiters;
};

}  // namespace

struct CimdResolver::Impl {
  CimdResolverOptions options;
  std::shared_ptr<const http::HttpClient> client;
  DocumentLimits limits;

  mutable std::mutex mu;

  struct Entry {
    std::shared_ptr<const ClientMetadata> metadata;
    std::list<std::string>::iterator lru;
  };

  std::unordered_map<std::string, Entry> cache;  // guarded by mu
  std::list<std::string> lru;                    // most recent first; guarded by mu
  std::unordered_map<std::string, std::shared_ptr<InFlight>> in_flight;  // guarded by mu
  std::atomic<size_t> fetches{0};

  std::int64_t now() const { return options.now ? options.now() : system_unix_now(); }

  // Under mu: a fresh cached entry, refreshed in the LRU order; stale ones are dropped.
  std::shared_ptr<const ClientMetadata> cached(const std::string& id, std::int64_t t) {
    auto it = cache.find(id);
    if (it == cache.end()) {
      return nullptr;
    }
    if (it->second.metadata->expires_at <= t) {
      lru.erase(it->second.lru);
      cache.erase(it);
      return nullptr;
    }
    lru.splice(lru.begin(), lru, it->second.lru);
    return it->second.metadata;
  }

  // Under mu.
  void store(const ClientMetadata& m) {
    if (options.max_cache_entries == 0) {
      return;
    }
    if (auto it = cache.find(m.client_id); it != cache.end()) {
      lru.erase(it->second.lru);
      cache.erase(it);
    }
    while (cache.size() >= options.max_cache_entries && !lru.empty()) {
      cache.erase(lru.back());
      lru.pop_back();
    }
    lru.push_front(m.client_id);
    cache.emplace(m.client_id, Entry{std::make_shared<const ClientMetadata>(m), lru.begin()});
  }
};

namespace {

using Impl = CimdResolver::Impl;

template <class Token>
auto async_wait_for(const std::shared_ptr<Impl>& impl,
                    const std::shared_ptr<InFlight>& flight,
                    Token&& token) {
  return asio::async_initiate<Token, void(Result<ClientMetadata>)>(
      [impl, flight](auto handler) {
        std::unique_lock<std::mutex> lock(impl->mu);
        if (flight->result) {  // finished between our lookup and this initiation
          Result<ClientMetadata> r = *flight->result;
          lock.unlock();
          HandlerWaiter<decltype(handler)>(std::move(handler)).complete(std::move(r));
          return;
        }
        flight->waiters.push_back(
            std::make_unique<HandlerWaiter<decltype(handler)>>(std::move(handler)));
      },
      token);
}

asio::awaitable<Result<ClientMetadata>> fetch_document(std::shared_ptr<Impl> impl,
                                                       std::string client_id) {
  const CimdResolverOptions& opt = impl->options;
  http::ClientRequest req;
  req.method = http::bhttp::verb::get;
  req.url = client_id;
  req.headers.emplace_back("Accept", "application/json");
  req.options.timeout = opt.timeout;
  req.options.max_body_bytes = opt.max_document_bytes;
  req.options.max_header_bytes = size_t{16} * 1024;
  req.options.follow_redirects = false;  // CIMD draft: MUST NOT follow redirects
  req.options.address_policy = opt.allow_loopback_for_tests ? http::AddressPolicy::kAllowLoopback
                                                            : http::AddressPolicy::kPublicOnly;
  std::shared_ptr<const http::HttpClient> client = impl->client;
  if (!client) {
    auto shared = http::default_http_client();
    if (!shared) {
      // Without a CA store no document can be fetched.
      log::error("cimd_no_http_client", {{"reason", shared.error().message}});
      co_return make_error(ErrorCode::kUnavailable, "client metadata documents cannot be fetched");
    }
    client = std::move(shared).value();
  }
  ++impl->fetches;
  auto res = co_await client->fetch(std::move(req));
  if (!res) {
    log::info("cimd_fetch_failed", {{"client_id", client_id}, {"reason", res.error().message}});
    co_return fetch_error(res.error(), opt.max_document_bytes);
  }
  const unsigned status = res->status();
  if (status != 200) {
    log::info("cimd_fetch_failed", {{"client_id", client_id}, {"status", status}});
    std::string message = "client metadata document fetch returned HTTP " + std::to_string(status);
    if (status >= 300 && status < 400) {
      message += " (redirects are not followed)";
    }
    co_return make_error(ErrorCode::kUnavailable, std::move(message));
  }
  if (!json_media_type(res->header(http::Field::content_type))) {
    log::info(
        "cimd_document_rejected",
        {{"client_id", client_id},
         {"reason",
          "content type " + std::string(res->header(http::Field::content_type).substr(0, 100))}});
    co_return invalid("client metadata document must be served as application/json");
  }
  const std::int64_t now = impl->now();
  auto metadata = parse_cimd_document(client_id, res->message.body(), impl->limits, now);
  if (!metadata) {
    log::info("cimd_document_rejected",
              {{"client_id", client_id}, {"reason", metadata.error().message}});
    co_return metadata;
  }
  if (auto ttl = cache_lifetime(res->message, now, opt)) {
    metadata->expires_at = now + *ttl;
  }
  log::debug("cimd_fetched",
             {{"client_id", client_id}, {"ttl_s", metadata->expires_at - metadata->fetched_at}});
  co_return metadata;
}

class FlightLeader {
 public:
  FlightLeader(std::shared_ptr<Impl> impl, std::string id, std::shared_ptr<InFlight> flight)
      : impl_(std::move(impl)), id_(std::move(id)), flight_(std::move(flight)) {}

  FlightLeader(const FlightLeader&) = delete;
  FlightLeader& operator=(const FlightLeader&) = delete;

  ~FlightLeader() {
    if (flight_) {
      finish(make_error(ErrorCode::kCancelled, "client metadata resolution was cancelled"));
    }
  }

  void finish(const Result<ClientMetadata>& result) {
    std::vector<std::unique_ptr<Waiter>> waiters;
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      // Failures are never cached (CIMD draft: MUST NOT cache errors or invalid documents).
      if (result && result->expires_at > result->fetched_at) {
        impl_->store(*result);
      }
      flight_->result = result;
      waiters.swap(flight_->waiters);
      impl_->in_flight.erase(id_);
    }
    flight_.reset();
    for (auto& w : waiters) {
      w->complete(result);
    }
  }

 private:
  std::shared_ptr<Impl> impl_;
  std::string id_;
  std::shared_ptr<InFlight> flight_;
};

asio::awaitable<Result<ClientMetadata>> resolve_impl(std::shared_ptr<Impl> impl,
                                                     std::string client_id) {
  MCPGATE_CO_TRY(validate_client_id_url(client_id, impl->options.allow_loopback_for_tests));
  if (!starts_with(client_id, "https://")
      && !(impl->options.allow_loopback_for_tests && impl->options.allow_plain_http_for_unit_tests)) {
    co_return invalid("client_id URL must use the https scheme");
  }

  std::shared_ptr<const ClientMetadata> hit;
  std::shared_ptr<InFlight> flight;
  bool leader = false;
  const std::int64_t now = impl->now();
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    hit = impl->cached(client_id, now);
    if (!hit) {
      auto [it, inserted] = impl->in_flight.try_emplace(client_id);
      if (inserted) {
        it->second = std::make_shared<InFlight>();
        leader = true;
      }
      flight = it->second;
    }
  }
  if (hit) {
    co_return *hit;
  }
  if (!leader) {
    co_return co_await async_wait_for(impl, flight, asio::use_awaitable);
  }

  // Completes the flight however this frame ends, so waiters never hang: normally with the
  // fetch result, or with kCancelled if the frame is destroyed mid-fetch (io_context teardown).
  FlightLeader lead(impl, client_id, flight);
  Result<ClientMetadata> result = make_error(ErrorCode::kInternal, "internal error");
  try {
    result = co_await fetch_document(impl, client_id);
  } catch (const std::exception& e) {
    log::error("cimd_resolve_exception", {{"client_id", client_id}, {"what", e.what()}});
    result = make_error(ErrorCode::kInternal, "internal error");
  }
  lead.finish(result);
  co_return result;
}

}  // namespace

CimdResolver::CimdResolver(CimdResolverOptions options) : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
  // Without an injected client, fetches use http::default_http_client(), created at the first
  // fetch: loading the system CA store costs tens of milliseconds that start-up should not pay.
  impl_->client = impl_->options.http_client;
  impl_->limits.max_bytes = impl_->options.max_document_bytes;
  impl_->limits.max_depth = impl_->options.max_json_depth;
  impl_->limits.allow_loopback_http = impl_->options.allow_loopback_for_tests;
  if (impl_->options.allow_loopback_for_tests) {
    log::warn("cimd_loopback_enabled",
              {{"detail",
                "CIMD allow_loopback_for_tests is ON: client_id URLs on https://127.0.0.1, "
                "https://localhost and [::1] are fetched, and loopback addresses are reachable. "
                "Never enable this in production."}});
  }
}

CimdResolver::~CimdResolver() = default;

asio::awaitable<Result<ClientMetadata>> CimdResolver::resolve(std::string client_id) {
  // Not a coroutine itself: the frame owns the shared state instead of borrowing `this`.
  return resolve_impl(impl_, std::move(client_id));
}

size_t CimdResolver::cache_size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->cache.size();
}

void CimdResolver::clear_cache() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->cache.clear();
  impl_->lru.clear();
}

size_t CimdResolver::fetch_count() const {
  return impl_->fetches.load();
}

}  // namespace mcpgate::oauth
