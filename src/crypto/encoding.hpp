#pragma once
// Byte/text encodings used by the OAuth and JOSE code: base64url without padding (RFC 4648 §5,
// as JOSE uses it, RFC 7515 §2) and lowercase hex.
//
// Decoders are strict, because a second spelling of the same bytes lets an attacker vary a
// token without changing what it means: padding, whitespace, characters outside the alphabet,
// impossible lengths and non-zero unused trailing bits are all rejected (kInvalidArgument).

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mcpgate::crypto {

// Encodes bytes as base64url with no '=' padding.
std::string base64url_encode(std::string_view bytes);

// Decodes canonical unpadded base64url; everything else is kInvalidArgument.
Result<std::string> base64url_decode(std::string_view text);

// Standard base64 alphabet ('+', '/'), also unpadded and strict: the form PHC strings use.
std::string base64_unpadded_encode(std::string_view bytes);
Result<std::string> base64_unpadded_decode(std::string_view text);

// Lowercase hex.
std::string hex_encode(std::string_view bytes);

// Decodes hex (either case); odd length or a non-hex character is kInvalidArgument.
Result<std::string> hex_decode(std::string_view text);

}  // namespace mcpgate::crypto
