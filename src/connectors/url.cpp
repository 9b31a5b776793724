#include "connectors/url.hpp"

#include <algorithm>
#include <cctype>

namespace mcpgate::connectors {
namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void append_hex(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

Error url_error(std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); }

bool valid_host_chars(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.';
  });
}

bool pc_invalid_port(const std::string& port) {
  if (port.empty()) {
    return false;
  }
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return true;
  }
  const int n = std::stoi(port);
  return n < 1 || n > 65535;
}

}  // namespace

std::string percent_encode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      append_hex(out, c);
    }
  }
  return out;
}

std::string form_encode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      append_hex(out, c);
    }
  }
  return out;
}

Result<UrlParts> parse_url(std::string_view url) {
  UrlParts p;
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return url_error("not an absolute URL");
  }
  p.scheme = ascii_lower(url.substr(0, colon));
  if (p.scheme != "https" && p.scheme != "http") {
    return url_error("scheme must be https");
  }
  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos) {
    return url_error("URL must not have a fragment");
  }
  // Control characters, spaces and backslashes are refused outright: parsers disagree on them
  // (a backslash ends the authority for browsers and some HTTP clients).
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F || c == '\\') {
      return url_error("URL contains a space, a control character or a backslash");
    }
  }
  const size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return url_error("URL must not carry user information");
  }
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return url_error("unterminated IPv6 address");
    }
    p.host = ascii_lower(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') {
      return url_error("bad authority");
    }
    if (!authority.empty()) {
      p.port = std::string(authority.substr(1));
    }
    if (p.host.empty() || !std::all_of(p.host.begin(), p.host.end(), [](unsigned char c) {
          return std::isxdigit(c) != 0 || c == ':' || c == '.';
        })) {
      return url_error("bad IPv6 address");
    }
  } else {
    const size_t pc = authority.find(':');
    p.host = ascii_lower(authority.substr(0, pc));
    if (pc != std::string_view::npos) {
      p.port = std::string(authority.substr(pc + 1));
    }
    if (!valid_host_chars(p.host)) {
      return url_error("bad host name");
    }
  }
  if (pc_invalid_port(p.port)) {
    return url_error("bad port");
  }
  const size_t q = rest.find('?');
  p.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) {
    p.query = std::string(rest.substr(q + 1));
  }
  return p;
}

bool is_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

bool host_allowed(std::string_view host, const std::vector<std::string>& allowed) {
  const std::string h = ascii_lower(host);
  for (const auto& entry : allowed) {
    const std::string e = ascii_lower(entry);
    if (e.rfind("*.", 0) == 0) {
      const std::string_view suffix = std::string_view(e).substr(1);  // ".example.com"
      if (h.size() > suffix.size() && h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    } else if (h == e) {
      return true;
    }
  }
  return false;
}

Status check_url_allowed(std::string_view url, const std::vector<std::string>& hosts,
                         bool allow_loopback_http) {
  MCPGATE_ASSIGN_OR_RETURN(const UrlParts p, parse_url(url));
  if (p.scheme == "http" && !(allow_loopback_http && is_loopback_host(p.host))) {
    return url_error("plain http is only allowed to loopback with api.allow_loopback_http (tests)");
  }
  if (!host_allowed(p.host, hosts)) {
    return url_error("host '" + p.host + "' is not in api.hosts");
  }
  return {};
}

}  // namespace mcpgate::connectors
