#include "mcp/json_writer.hpp"

#include <charconv>
#include <cmath>

#include "mcp/json_io.hpp"
#include "mcp/json_words.hpp"

namespace mcpgate::mcp {
namespace {

// nlohmann's compact dump (indent -1, ensure_ascii off) writes exactly this; writing it here
// instead saves its per-character output adapter and UTF-8 state machine, which cost more than
// the rest of answering a small tools/call. Anything unusual is handed back to nlohmann, so the
// two cannot differ: strings that are not valid UTF-8 (nlohmann substitutes U+FFFD by its own
// rules), binary values and discarded ones.
void append_escaped(std::string& out, const std::string& s) {
  if (!is_valid_utf8(s)) {
    out += Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const char* run = s.data();
  const char* const end = s.data() + s.size();
  // Bytes that need no escape are copied with their run; bytes >= 0x80 are valid UTF-8 (checked
  // above) and kept as they are.
  const auto plain = [](unsigned char c) {
    return c >= 0x20 && c != '"' && c != '\\';
  };
  for (const char* p = s.data(); p != end; ++p) {
    p = json_words::skip_plain(p, end, /*stop_at_non_ascii=*/false);
    while (p != end && plain(static_cast<unsigned char>(*p))) {
      ++p;  // through the word that stopped the skip, or the tail
    }
    if (p == end) {
      break;
    }
    const auto c = static_cast<unsigned char>(*p);
    out.append(run, p);
    run = p + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
        break;
    }
  }
  out.append(run, end);
  out += '"';
}

template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_value(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      append_integer(out, v.get<Json::number_integer_t>());
      return;
    case Json::value_t::number_unsigned:
      append_integer(out, v.get<Json::number_unsigned_t>());
      return;
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      // nlohmann's own shortest round-trip formatting, so the text is the same as its dump's.
      char buf[64];
      char* const last = nlohmann::detail::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, last);
      return;
    }
    case Json::value_t::string:
      append_escaped(out, v.get_ref<const std::string&>());
      return;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_ref<const Json::array_t&>()) {
        if (!first) {
          out += ',';
        }
        first = false;
        append_value(out, item);
      }
      out += ']';
      return;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_ref<const Json::object_t&>()) {
        if (!first) {
          out += ',';
        }
        first = false;
        append_escaped(out, key);
        out += ':';
        append_value(out, item);
      }
      out += '}';
      return;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
  }
}

}  // namespace

void write_json(std::string& out, const Json& value) {
  append_value(out, value);
}

}  // namespace mcpgate::mcp
