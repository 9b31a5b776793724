#include "mcp/json_io.hpp"

#include <array>

#include "mcp/json_reader.hpp"
#include "mcp/json_writer.hpp"

namespace mcpgate::mcp {

size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    return 1;
  }
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c == 0xE0) {
    len = 3;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    len = 3;
  } else if (c == 0xED) {
    len = 3;
    hi = 0x9F;  // no UTF-16 surrogates
  } else if (c == 0xF0) {
    len = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    len = 4;
  } else if (c == 0xF4) {
    len = 4;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return len;
}

namespace {

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode_with(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto at = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = at(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

std::array<int, 256> decode_table(std::string_view alphabet) {
  std::array<int, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  }
  return table;
}

// Decodes unpadded groups; `text` must not contain '='. Rejects non-zero trailing bits.
std::optional<std::string> decode_with(std::string_view text, const std::array<int, 256>& table) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    const int v = table[static_cast<unsigned char>(ch)];
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits > 0 && (acc & ((1U << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;  // ASCII, the common case, without a call per byte
      continue;
    }
    const size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      return false;
    }
    i += len;
  }
  return true;
}

Status scan_json(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0) {
      // Never valid JSON text (control characters in strings must be escaped), and the JSON
      // library stops reading at a NUL: "1\0<anything>" would otherwise parse as 1.
      return make_error(ErrorCode::kInvalidArgument, "Parse error: NUL byte in JSON text");
    }
    if (c >= 0x80) {
      const size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        return make_error(ErrorCode::kInvalidArgument,
                          "Parse error: invalid UTF-8 in request body");
      }
      i += len;
      continue;
    }
    if (in_string) {
      if (c == '\\') {
        i += 2;  // the escaped character is ASCII or gets rejected by the parser
        continue;
      }
      if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return make_error(ErrorCode::kInvalidArgument,
                          "Parse error: JSON nesting deeper than " + std::to_string(max_depth));
      }
    } else if (c == ']' || c == '}') {
      if (depth > 0) {
        --depth;
      }
    }
    ++i;
  }
  return {};
}

Result<Json> parse_json(std::string_view text, size_t max_depth) {
  // The reader bounds nesting itself and refuses NUL bytes and invalid UTF-8 (outside strings
  // they are syntax errors, inside them it validates), so what it accepts always passes
  // scan_json (the jsonrpc fuzzer checks this). The scan runs only to say why a text failed.
  Json value;
  if (read_json(text, max_depth, value)) {
    return value;
  }
  MCPGATE_TRY(scan_json(text, max_depth));
  return make_error(ErrorCode::kInvalidArgument, "Parse error: invalid JSON");
}

std::string dump_json(const Json& value) {
  std::string out;
  out.reserve(128);
  write_json(out, value);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return encode_with(bytes, kB64, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
  static const auto table = decode_table(kB64);
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  return decode_with(text.substr(0, text.size() - pad), table);
}

std::string base64url_encode(std::string_view bytes) {
  return encode_with(bytes, kB64Url, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  static const auto table = decode_table(kB64Url);
  return decode_with(text, table);
}

std::string hex_encode(std::string_view bytes) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace mcpgate::mcp
