#include "mcp/json_reader.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "mcp/json_io.hpp"
#include "mcp/json_words.hpp"

namespace mcpgate::mcp {
namespace {

// A strict RFC 8259 reader that builds the nlohmann DOM directly. It accepts exactly the texts
// nlohmann::json::parse accepts and gives the same values and number types: positive integers
// are unsigned, negative ones signed, anything out of 64-bit range or with a fraction or an
// exponent a double, and the last of duplicate object keys wins. What it saves is nlohmann's
// per-character lexer (a token buffer grown one push_back at a time): plain strings are copied
// whole and integers converted in place.
//
// Recursion is bounded by `max_depth`; callers run scan_json() first anyway, which has checked
// UTF-8 (so string bytes >= 0x80 are copied as they are) and the absence of NUL bytes.
class Reader {
 public:
  Reader(std::string_view text, size_t max_depth)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  bool document(Json& out) {
    // nlohmann skips a byte order mark at the very start, and only there.
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) {
      p_ += 3;
    }
    skip_ws();
    if (!value(out, 0)) {
      return false;
    }
    skip_ws();
    return p_ == end_;
  }

 private:
  void skip_ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size()
        || std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool value(Json& out, size_t depth) {
    if (p_ == end_) {
      return false;
    }
    switch (*p_) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(s)) {
          return false;
        }
        out = std::move(s);
        return true;
      }
      case 't':
        out = true;
        return literal("true");
      case 'f':
        out = false;
        return literal("false");
      case 'n':
        out = nullptr;
        return literal("null");
      default:
        return number(out);
    }
  }

  // What follows an array element or an object member: a comma (another one comes), the
  // closing bracket, or anything else (a syntax error).
  enum class Next { kMore, kClosed, kBad };

  Next after_element(char close) {
    skip_ws();
    if (p_ == end_) {
      return Next::kBad;
    }
    if (*p_ == ',') {
      ++p_;
      skip_ws();
      return Next::kMore;
    }
    if (*p_ == close) {
      ++p_;
      return Next::kClosed;
    }
    return Next::kBad;
  }

  bool object(Json& out, size_t depth) {
    if (depth > max_depth_) {
      return false;
    }
    ++p_;  // '{'
    out = Json::object();
    auto& members = out.get_ref<Json::object_t&>();
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      if (p_ == end_ || *p_ != '"') {
        return false;
      }
      std::string key;
      if (!string(key)) {
        return false;
      }
      skip_ws();
      if (p_ == end_ || *p_ != ':') {
        return false;
      }
      ++p_;
      skip_ws();
      Json& slot = members[std::move(key)];
      slot = nullptr;  // a duplicate key: the last value wins, as in nlohmann's parser
      if (!value(slot, depth)) {
        return false;
      }
      if (const Next next = after_element('}'); next != Next::kMore) {
        return next == Next::kClosed;
      }
    }
  }

  bool array(Json& out, size_t depth) {
    if (depth > max_depth_) {
      return false;
    }
    ++p_;  // '['
    out = Json::array();
    auto& items = out.get_ref<Json::array_t&>();
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      items.emplace_back();
      if (!value(items.back(), depth)) {
        return false;
      }
      if (const Next next = after_element(']'); next != Next::kMore) {
        return next == Next::kClosed;
      }
    }
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  // Four hex digits after "\u".
  bool hex4(unsigned& out) {
    if (end_ - p_ < 4) {
      return false;
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_digit(p_[i]);
      if (d < 0) {
        return false;
      }
      out = out * 16 + static_cast<unsigned>(d);
    }
    p_ += 4;
    return true;
  }

  static void append_utf8(std::string& s, unsigned cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // After "\u" (p_ at the first hex digit): one code point, a surrogate pair as one.
  bool unicode_escape(std::string& s) {
    unsigned cp = 0;
    if (!hex4(cp)) {
      return false;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;  // a low surrogate first
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
        return false;  // a high surrogate alone
      }
      p_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) {
        return false;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(s, cp);
    return true;
  }

  // Steps over one well-formed UTF-8 sequence (p_ at its lead byte).
  bool skip_utf8() {
    const size_t len =
        utf8_sequence_length(std::string_view(p_, static_cast<size_t>(end_ - p_)), 0);
    p_ += len;
    return len != 0;
  }

  static bool is_plain(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  bool string(std::string& out) {
    ++p_;  // '"'
    // The common case: no escapes. Copy up to the closing quote in one piece.
    const char* start = p_;
    while (p_ != end_) {
      p_ = json_words::skip_plain(p_, end_, /*stop_at_non_ascii=*/true);
      while (p_ != end_ && is_plain(*p_)) {
        ++p_;  // through the word that stopped the skip, or the tail
      }
      if (p_ == end_) {
        break;
      }
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.assign(start, p_);
        ++p_;
        return true;
      }
      if (c == '\\') {
        break;
      }
      if (c < 0x20) {
        return false;  // control characters must be escaped
      }
      // What is left is a byte >= 0x80 (every other one is plain): a UTF-8 sequence.
      if (!skip_utf8()) {
        return false;
      }
    }
    out.assign(start, p_);
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) {
        return false;
      }
      if (c != '\\') {
        const char* run = p_;
        while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) {
          if (static_cast<unsigned char>(*p_) >= 0x80) {
            if (!skip_utf8()) {
              return false;
            }
          } else {
            ++p_;
          }
        }
        out.append(run, p_);
        continue;
      }
      ++p_;
      if (p_ == end_) {
        return false;
      }
      const char e = *p_++;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          if (!unicode_escape(out)) {
            return false;
          }
          break;
        default:
          return false;
      }
    }
    return false;  // unterminated
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool number(Json& out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) {
      ++p_;
    }
    if (p_ == end_ || !is_digit(*p_)) {
      return false;
    }
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && is_digit(*p_)) {
        ++p_;
      }
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) {
        return false;
      }
      while (p_ != end_ && is_digit(*p_)) {
        ++p_;
      }
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (p_ == end_ || !is_digit(*p_)) {
        return false;
      }
      while (p_ != end_ && is_digit(*p_)) {
        ++p_;
      }
    }
    if (integral) {
      if (negative) {
        std::int64_t v = 0;
        if (const auto r = std::from_chars(start, p_, v); r.ec == std::errc{} && r.ptr == p_) {
          out = v;
          return true;
        }
      } else {
        std::uint64_t v = 0;
        if (const auto r = std::from_chars(start, p_, v); r.ec == std::errc{} && r.ptr == p_) {
          out = v;
          return true;
        }
      }
      // Out of 64-bit range: a double, as nlohmann reads it.
    }
    // strtod, like nlohmann: correctly rounded; beyond the double range (±HUGE_VAL) the number
    // is refused, as nlohmann's parser refuses it ("number overflow"). The token is copied to
    // be NUL-terminated.
    const std::string token(start, p_);
    const double d = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(d)) {
      return false;
    }
    out = d;
    return true;
  }

  const char* p_;
  const char* end_;
  const size_t max_depth_;
};

}  // namespace

bool read_json(std::string_view text, size_t max_depth, Json& out) {
  Reader reader(text, max_depth);
  return reader.document(out);
}

}  // namespace mcpgate::mcp
