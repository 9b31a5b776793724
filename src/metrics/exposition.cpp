#include "metrics/exposition.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace mcpgate::metrics {
namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    lo = b0 == 0xe0 ? 0xa0 : 0x80;
    hi = b0 == 0xed ? 0x9f : 0xbf;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    lo = b0 == 0xf0 ? 0x90 : 0x80;
    hi = b0 == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (s.size() < len) {
    return 0;
  }
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    // Only the second byte has the narrowed range; the rest are plain continuation bytes.
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf)) {
      return 0;
    }
  }
  return len;
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(name_start(name[0]) || name[0] == ':')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !name_start(name[0]) || name.substr(0, 2) == "__") {
    return false;
  }
  return std::all_of(name.begin(), name.end(), name_char);
}

std::string sanitize_label_value(std::string_view value, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
  std::string out;
  out.reserve(std::min(value.size(), max_bytes));
  while (!value.empty()) {
    const std::size_t n = utf8_sequence(value);
    const std::string_view piece = n == 0 ? kReplacement : value.substr(0, n);
    if (out.size() + piece.size() > max_bytes) {
      break;
    }
    out += piece;
    value.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  std::array<char, 400> buf{};  // a fixed-notation double needs up to ~330 characters
  const double magnitude = std::fabs(value);
  const auto format = (magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15))
                          ? std::chars_format::fixed
                          : std::chars_format::general;
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, format);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

void append_value(std::string& out, std::uint64_t value) {
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

}  // namespace mcpgate::metrics
