#pragma once
// Hostile-input-safe JSON reading and a few encodings the protocol layer needs.
//
// parse_json() reads with mcp/json_reader, which refuses invalid UTF-8 and NUL bytes anywhere in
// the text and stops at nesting deeper than `max_depth` (a 100k-deep `[[[[…` costs 65 levels of
// recursion, not 100k). When a text is refused, the linear pre-scan scan_json() says why in
// terms a client can act on (invalid UTF-8, a NUL byte, too deep) before "invalid JSON".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::mcp {

using Json = nlohmann::json;

inline constexpr size_t kDefaultMaxJsonDepth = 64;

// Length of the UTF-8 sequence starting at text[i] (i < size) when it is valid (no overlongs,
// surrogates or code points > U+10FFFF), 0 otherwise.
size_t utf8_sequence_length(std::string_view text, size_t i);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Checks UTF-8 validity, the absence of NUL bytes and the nesting depth of arrays/objects without
// building anything.
// Errors are kInvalidArgument with a client-safe message.
Status scan_json(std::string_view text, size_t max_depth = kDefaultMaxJsonDepth);

// The document, or kInvalidArgument naming what is wrong (see above).
Result<Json> parse_json(std::string_view text, size_t max_depth = kDefaultMaxJsonDepth);

// Serialises without throwing: invalid UTF-8 inside strings (which only header-derived values can
// contain) is replaced by U+FFFD.
std::string dump_json(const Json& value);

// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view bytes);
// Strict decoding: the standard alphabet, correct '=' padding, length a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 base64url without padding (for opaque tokens).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Lower-case hexadecimal.
std::string hex_encode(std::string_view bytes);

}  // namespace mcpgate::mcp
