#pragma once
// The small part of RFC 3986 a request builder needs: percent-encoding, splitting an absolute
// http(s) URL, and the allowed-host rule. Kept separate so the host check has one home.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::connectors {

// Every byte outside RFC 3986 "unreserved" (ALPHA DIGIT - . _ ~) becomes %XX, so a value can
// never add a path segment, a query parameter or a fragment.
std::string percent_encode(std::string_view value);

// application/x-www-form-urlencoded (WHATWG): unreserved bytes kept, space → '+', others %XX.
std::string form_encode(std::string_view value);

struct UrlParts {
  std::string scheme;  // "https" or "http", lower case
  std::string host;    // lower case; IPv6 without brackets
  std::string port;    // "" when absent
  std::string path;    // starts with '/' (or is empty)
  std::string query;   // without '?'; "" when absent
};

// An absolute http(s) URL without userinfo or fragment. Anything else is kInvalidArgument.
Result<UrlParts> parse_url(std::string_view url);

bool is_loopback_host(std::string_view host);

// `host` matches an entry of `allowed`: exact (case-insensitive) or "*.suffix" for a subdomain.
bool host_allowed(std::string_view host, const std::vector<std::string>& allowed);

// The full rule for a URL a connector may call: parses, https (http only to loopback with
// `allow_loopback_http`), an allowed host. The error says which rule failed.
Status check_url_allowed(std::string_view url, const std::vector<std::string>& hosts,
                         bool allow_loopback_http);

}  // namespace mcpgate::connectors
