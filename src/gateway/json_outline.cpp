#include "gateway/json_outline.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "mcp/json_io.hpp"

namespace mcpgate::gateway {

namespace {

// The cursor over the text; every scan_* starts at the token's first byte and leaves `i` just
// past it, or returns false on malformed input.
struct OutlineScanner {
  std::string_view t;
  std::size_t i = 0;

  bool at_end() const { return i >= t.size(); }
  char peek() const { return t[i]; }

  void skip_ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) {
      ++i;
    }
  }

  // Four hex digits at t[at..at+4) into *cp.
  bool hex4(std::size_t at, unsigned* cp) const {
    if (at + 4 > t.size()) {
      return false;
    }
    unsigned v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = t[k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *cp = v;
    return true;
  }

  // A string at t[i] == '"'. Sets *escaped when it contains an escape.
  bool scan_string(bool* escaped) {
    ++i;
    for (;;) {
      if (i >= t.size()) {
        return false;
      }
      const auto c = static_cast<unsigned char>(t[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c < 0x20) {
        return false;  // control characters must be escaped
      }
      if (c >= 0x80) {
        const std::size_t len = mcp::utf8_sequence_length(t, i);
        if (len == 0) {
          return false;
        }
        i += len;
        continue;
      }
      if (c != '\\') {
        ++i;
        continue;
      }
      *escaped = true;
      if (i + 1 >= t.size()) {
        return false;
      }
      switch (t[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          i += 2;
          continue;
        case 'u':
          break;
        default:
          return false;
      }
      unsigned cp = 0;
      if (!hex4(i + 2, &cp)) {
        return false;
      }
      i += 6;
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return false;  // a low surrogate without a high one
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        // A high surrogate must be followed by an escaped low one.
        unsigned low = 0;
        if (i + 1 >= t.size() || t[i] != '\\' || t[i + 1] != 'u' || !hex4(i + 2, &low)
            || low < 0xDC00 || low > 0xDFFF) {
          return false;
        }
        i += 6;
      }
    }
  }

  bool digits() {
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      ++i;
    }
    return i > start;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and finite as a double: nlohmann refuses a
  // number that overflows (1e400, or an integer of 400 digits), though it takes one that
  // underflows (1e-400 is 0).
  bool scan_number() {
    const std::size_t start = i;
    if (t[i] == '-') {
      ++i;
    }
    if (i >= t.size()) {
      return false;
    }
    const std::size_t int_start = i;
    if (t[i] == '0') {
      ++i;
    } else if (t[i] >= '1' && t[i] <= '9') {
      digits();
    } else {
      return false;
    }
    const std::size_t int_digits = i - int_start;
    if (i < t.size() && t[i] == '.') {
      ++i;
      if (!digits()) {
        return false;
      }
    }
    bool exponent = false;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      exponent = true;
      ++i;
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
        ++i;
      }
      if (!digits()) {
        return false;
      }
    }
    if (!exponent && int_digits < 300) {
      return true;  // far inside a double's range: the common case needs no conversion
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(t.data() + start, t.data() + i, value);
    if (ec == std::errc::result_out_of_range) {
      return !overflows(start);
    }
    return ec == std::errc() && end == t.data() + i && std::isfinite(value);
  }

  // For a number from_chars found out of range: too large (true) rather than too small. Its
  // decimal magnitude is then beyond +-300, so a rough estimate decides.
  bool overflows(std::size_t start) const {
    std::size_t k = start + (t[start] == '-' ? 1 : 0);
    long magnitude = 0;  // position of the first significant digit, relative to the point
    bool seen_point = false;
    bool significant = false;
    for (; k < i && t[k] != 'e' && t[k] != 'E'; ++k) {
      if (t[k] == '.') {
        seen_point = true;
        continue;
      }
      if (!significant && t[k] != '0') {
        significant = true;
      }
      if (significant && !seen_point) {
        ++magnitude;
      } else if (!significant && seen_point) {
        --magnitude;
      }
    }
    long exp = 0;
    bool negative = false;
    if (k < i) {
      ++k;  // 'e'
      if (t[k] == '+' || t[k] == '-') {
        negative = t[k] == '-';
        ++k;
      }
      for (; k < i; ++k) {
        exp = std::min(exp * 10 + (t[k] - '0'), 100000L);
      }
    }
    return magnitude + (negative ? -exp : exp) > 0;
  }

  bool scan_literal(std::string_view word) {
    if (t.substr(i, word.size()) != word) {
      return false;
    }
    i += word.size();
    return true;
  }
};

Error outline_malformed() {
  return make_error(ErrorCode::kInvalidArgument, "not well-formed JSON");
}

}  // namespace

const JsonMember* JsonOutline::find(std::string_view key) const {
  for (const auto& m : members) {
    if (m.key == key) {
      return &m;
    }
  }
  return nullptr;
}

bool JsonOutline::ambiguous_keys() const {
  for (std::size_t a = 0; a < members.size(); ++a) {
    if (members[a].key_escaped) {
      return true;
    }
    for (std::size_t b = a + 1; b < members.size(); ++b) {
      if (members[a].key == members[b].key) {
        return true;
      }
    }
  }
  return false;
}

Result<JsonOutline> outline_json(std::string_view text, std::size_t max_depth) {
  OutlineScanner s{text};
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    s.i = 3;  // nlohmann skips a UTF-8 byte order mark
  }
  JsonOutline out;
  std::string open;  // the containers being scanned, innermost last: '{' or '['
  std::size_t member_start = 0;  // where the value of the pending top-level member begins
  s.skip_ws();
  const std::size_t start = s.i;

  // Reads a member's key and colon inside an object at t[i] == '"'; records top-level members.
  auto key_and_colon = [&]() -> bool {
    bool escaped = false;
    const std::size_t key_begin = s.i + 1;
    if (s.at_end() || s.peek() != '"' || !s.scan_string(&escaped)) {
      return false;
    }
    const std::size_t key_end = s.i - 1;
    s.skip_ws();
    if (s.at_end() || s.peek() != ':') {
      return false;
    }
    ++s.i;
    s.skip_ws();
    if (open.size() == 1) {
      out.members.push_back({text.substr(key_begin, key_end - key_begin), escaped, {}});
      member_start = s.i;
    }
    return true;
  };

  for (;;) {
    // A value starts at t[i].
    if (s.at_end()) {
      return outline_malformed();
    }
    const char c = s.peek();
    bool closed_value = true;  // false: a container was opened, its contents come next
    if (c == '{' || c == '[') {
      if (open.size() >= max_depth) {
        return make_error(ErrorCode::kResourceExhausted, "JSON nested too deeply");
      }
      open.push_back(c);
      ++s.i;
      s.skip_ws();
      const char close = c == '{' ? '}' : ']';
      if (!s.at_end() && s.peek() == close) {
        ++s.i;
        open.pop_back();
      } else if (c == '{') {
        if (!key_and_colon()) {
          return outline_malformed();
        }
        closed_value = false;
      } else {
        closed_value = false;
      }
    } else if (c == '"') {
      bool escaped = false;
      if (!s.scan_string(&escaped)) {
        return outline_malformed();
      }
    } else if (c == 't') {
      if (!s.scan_literal("true")) {
        return outline_malformed();
      }
    } else if (c == 'f') {
      if (!s.scan_literal("false")) {
        return outline_malformed();
      }
    } else if (c == 'n') {
      if (!s.scan_literal("null")) {
        return outline_malformed();
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!s.scan_number()) {
        return outline_malformed();
      }
    } else {
      return outline_malformed();
    }
    if (!closed_value) {
      continue;
    }
    // After a complete value: close containers, or move on to the next element or member.
    for (;;) {
      if (open.size() == 1 && open[0] == '{' && !out.members.empty()
          && out.members.back().value.data() == nullptr) {
        out.members.back().value = text.substr(member_start, s.i - member_start);
      }
      s.skip_ws();
      if (open.empty()) {
        if (!s.at_end()) {
          return outline_malformed();  // text after the document
        }
        out.value = text.substr(start, text.find_last_not_of(" \t\n\r") + 1 - start);
        if (!out.is_object()) {
          out.members.clear();
        }
        return out;
      }
      if (s.at_end()) {
        return outline_malformed();
      }
      const char next = s.peek();
      if (next == ',') {
        ++s.i;
        s.skip_ws();
        if (open.back() == '{' && !key_and_colon()) {
          return outline_malformed();
        }
        break;  // the next value
      }
      if ((next == '}' && open.back() == '{') || (next == ']' && open.back() == '[')) {
        ++s.i;
        open.pop_back();
        continue;  // the container was a complete value
      }
      return outline_malformed();
    }
  }
}

}  // namespace mcpgate::gateway
