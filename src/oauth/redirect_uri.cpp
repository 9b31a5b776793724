#include "oauth/redirect_uri.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ascii.hpp"
#include "http/client.hpp"

namespace mcpgate::oauth {
namespace {

constexpr std::size_t kMaxRedirectUriBytes = 2000;

constexpr std::array<std::string_view, 3> kLoopbackHosts = {"127.0.0.1", "[::1]", "localhost"};

constexpr std::array<std::string_view, 8> kForbiddenSchemes = {
    "javascript", "data", "vbscript", "file", "blob", "about", "filesystem", "view-source"};

Status invalid(const char* why) { return make_error(ErrorCode::kInvalidArgument, why); }

// The scheme (lower-cased) when `uri` starts with a syntactically valid one and ':'.
std::optional<std::string> scheme_of(std::string_view uri) {
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const std::string_view scheme = uri.substr(0, colon);
  if (std::isalpha(static_cast<unsigned char>(scheme.front())) == 0) {
    return std::nullopt;
  }
  for (const char c : scheme) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  return ascii::to_lower(scheme);
}

// Splits "http://HOST[:PORT]REST" for the loopback hosts. REST starts with '/' or '?' or is
// empty. Returns false for anything else.
struct LoopbackParts {
  std::string_view host;
  std::string_view port;  // "" when absent
  std::string_view rest;
};

bool split_loopback(std::string_view uri, LoopbackParts& out) {
  constexpr std::string_view kPrefix = "http://";
  if (uri.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  const std::string_view after = uri.substr(kPrefix.size());
  for (const std::string_view host : kLoopbackHosts) {
    if (after.substr(0, host.size()) != host) {
      continue;
    }
    std::string_view tail = after.substr(host.size());
    std::string_view port;
    if (!tail.empty() && tail.front() == ':') {
      const std::size_t end = tail.find_first_of("/?");
      port = tail.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
      tail = end == std::string_view::npos ? std::string_view{} : tail.substr(end);
      if (port.empty()) {
        return false;
      }
    }
    if (!tail.empty() && tail.front() != '/' && tail.front() != '?') {
      return false;  // "http://localhost.evil.com/..." and friends
    }
    out = LoopbackParts{host, port, tail};
    return true;
  }
  return false;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.front() == '0') {
    return false;
  }
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

Status validate_redirect_uri(std::string_view uri, ApplicationType type) {
  if (uri.empty()) {
    return invalid("redirect URI is empty");
  }
  if (uri.size() > kMaxRedirectUriBytes) {
    return invalid("redirect URI is too long");
  }
  for (const char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return invalid("redirect URI contains a space, control character, backslash or non-ASCII byte");
    }
  }
  if (uri.find('#') != std::string_view::npos) {
    return invalid("redirect URI must not contain a fragment");
  }
  if (uri.find('*') != std::string_view::npos) {
    return invalid("redirect URI must not contain wildcards");
  }
  const auto scheme = scheme_of(uri);
  if (!scheme) {
    return invalid("redirect URI must be an absolute URI");
  }
  if (std::find(kForbiddenSchemes.begin(), kForbiddenSchemes.end(), *scheme) !=
      kForbiddenSchemes.end()) {
    return invalid("redirect URI scheme is not allowed");
  }
  if (*scheme == "https" || *scheme == "http") {
    auto url = http::parse_url(uri);
    if (!url) {
      return invalid("redirect URI is not a valid http(s) URL");
    }
    if (*scheme == "http") {
      LoopbackParts parts;
      if (!split_loopback(uri, parts)) {
        return invalid("http redirect URIs are allowed only on loopback (127.0.0.1, [::1], localhost)");
      }
    }
    return {};
  }
  if (type == ApplicationType::kWeb) {
    return invalid("private-use URI schemes are for native applications");
  }
  // A private-use scheme: something must follow the colon.
  if (uri.size() <= scheme->size() + 1) {
    return invalid("redirect URI has no path");
  }
  return {};
}

bool redirect_uri_matches(std::string_view registered, std::string_view presented) {
  if (registered == presented) {
    return true;
  }
  LoopbackParts reg;
  LoopbackParts pre;
  if (!split_loopback(registered, reg) || !reg.port.empty()) {
    return false;
  }
  if (!split_loopback(presented, pre) || pre.port.empty()) {
    return false;
  }
  return reg.host == pre.host && reg.rest == pre.rest && valid_port(pre.port);
}

std::optional<std::string> match_redirect_uri(const std::vector<std::string>& registered,
                                              std::string_view presented) {
  for (const auto& r : registered) {
    if (redirect_uri_matches(r, presented)) {
      return r;
    }
  }
  return std::nullopt;
}

bool is_loopback_redirect(std::string_view uri) {
  LoopbackParts parts;
  return split_loopback(uri, parts);
}

std::string redirect_host(std::string_view uri) {
  const auto scheme = scheme_of(uri);
  if (!scheme) {
    return {};
  }
  if (*scheme == "http" || *scheme == "https") {
    auto url = http::parse_url(uri);
    if (!url) {
      return {};
    }
    return url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  }
  return *scheme;
}

std::string redirect_origin(std::string_view uri) {
  const auto scheme = scheme_of(uri);
  if (!scheme) {
    return {};
  }
  if (*scheme == "http" || *scheme == "https") {
    auto url = http::parse_url(uri);
    if (!url) {
      return {};
    }
    return url->scheme + "://" + url->authority();
  }
  return *scheme + ":";
}

}  // namespace mcpgate::oauth
