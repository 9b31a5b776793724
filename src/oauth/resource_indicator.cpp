#include "oauth/resource_indicator.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"
#include "http/client.hpp"

namespace mcpgate::oauth {
namespace {

// Upper-cases escape hex digits and decodes escapes of unreserved characters (RFC 3986
// §6.2.2.1, §6.2.2.2). parse_url has already refused malformed escapes.
std::string normalize_escapes(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int value = ascii::hex_value(text[i + 1]) * 16 + ascii::hex_value(text[i + 2]);
      if (ascii::is_unreserved(static_cast<unsigned char>(value))) {
        out.push_back(static_cast<char>(value));
      } else {
        out.push_back('%');
        out.push_back(kHex[value >> 4]);
        out.push_back(kHex[value & 0x0f]);
      }
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool has_dot_segment(std::string_view path) {
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view segment = path.substr(pos, end - pos);
    if (segment == "." || segment == "..") {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace

Result<std::string> canonicalize_resource(std::string_view uri) {
  if (uri.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "resource is empty");
  }
  if (uri.find('#') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "resource must not contain a fragment");
  }
  if (uri.find("://") == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "resource must be an absolute URI");
  }
  auto url = http::parse_url(uri);
  if (!url) {
    return make_error(ErrorCode::kInvalidArgument, "resource is not an acceptable http(s) URI");
  }
  std::string target = normalize_escapes(url->target);
  const std::size_t q = target.find('?');
  std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? std::string() : target.substr(q);
  if (has_dot_segment(path)) {
    return make_error(ErrorCode::kInvalidArgument, "resource must not contain dot segments");
  }
  if (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return url->scheme + "://" + url->authority() + path + query;
}

ResourceSet::ResourceSet(const std::vector<std::string>& configured) {
  for (const auto& r : configured) {
    auto c = canonicalize_resource(r);
    if (c && !contains(*c)) {
      canonical_.push_back(std::move(c).value());
    }
  }
}

bool ResourceSet::contains(std::string_view canonical) const {
  return std::find(canonical_.begin(), canonical_.end(), canonical) != canonical_.end();
}

Result<std::string> ResourceSet::match(std::string_view requested) const {
  auto c = canonicalize_resource(requested);
  if (!c) {
    return c.error();
  }
  if (!contains(*c)) {
    return make_error(ErrorCode::kNotFound, "unknown resource");
  }
  return c;
}

Result<std::string> ResourceSet::resolve(const std::vector<std::string>& requested) const {
  if (requested.empty()) {
    if (canonical_.size() == 1) {
      return canonical_.front();
    }
    return make_error(ErrorCode::kFailedPrecondition, "resource is required");
  }
  if (requested.size() > 1) {
    // A token has exactly one audience; several resource parameters (even equal ones) are
    // refused rather than merged (ATTACKS row 7).
    return make_error(ErrorCode::kInvalidArgument, "only one resource per request is supported");
  }
  std::string chosen;
  for (const auto& r : requested) {
    auto m = match(r);
    if (!m) {
      return m.error();
    }
    if (!chosen.empty() && *m != chosen) {
      return make_error(ErrorCode::kInvalidArgument,
                        "only one resource per request is supported");
    }
    chosen = std::move(m).value();
  }
  return chosen;
}

}  // namespace mcpgate::oauth
