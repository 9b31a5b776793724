#include "scim/names.hpp"

#include "core/ascii.hpp"

namespace mcpgate::scim {

bool is_attr_name(std::string_view s) {
  if (ascii::iequals(s, "$ref")) {
    return true;
  }
  if (s.empty() || !ascii::is_alpha(s[0])) {
    return false;
  }
  for (const char c : s) {
    if (!ascii::is_alnum(c) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

bool is_path_char(char c) {
  if (c <= ' ' || c >= 0x7f) {
    return false;
  }
  switch (c) {
    case '"':
    case '(':
    case ')':
    case '[':
    case ']':
    case ',':
      return false;
    default:
      return true;
  }
}

namespace {

std::optional<AttrPath> split_name_and_sub(std::string_view rest) {
  AttrPath path;
  const auto dot = rest.find('.');
  const std::string_view name = rest.substr(0, dot);
  if (!is_attr_name(name)) {
    return std::nullopt;
  }
  path.name = std::string(name);
  if (dot != std::string_view::npos) {
    const std::string_view sub = rest.substr(dot + 1);
    if (!is_attr_name(sub)) {
      return std::nullopt;
    }
    path.sub = std::string(sub);
  }
  return path;
}

}  // namespace

std::optional<AttrPath> split_attr_path(std::string_view text) {
  for (const char c : text) {
    if (!is_path_char(c)) {
      return std::nullopt;
    }
  }
  if (text.size() > 4 && ascii::iequals(text.substr(0, 4), "urn:")) {
    const auto colon = text.rfind(':');
    if (colon <= 4 || colon + 1 >= text.size()) {
      return std::nullopt;
    }
    auto path = split_name_and_sub(text.substr(colon + 1));
    if (!path) {
      return std::nullopt;
    }
    path->urn = std::string(text.substr(0, colon));
    return path;
  }
  return split_name_and_sub(text);
}

std::string printable(std::string_view s) {
  constexpr std::size_t kMaxShown = 40;
  std::string out;
  for (const char c : s.substr(0, kMaxShown)) {
    out += (c >= ' ' && c < 0x7f) ? c : '?';
  }
  if (s.size() > kMaxShown) {
    out += "...";
  }
  return out;
}

}  // namespace mcpgate::scim
