#pragma once
// Lexical pieces shared by the path and filter parsers (internal to the module).

#include <optional>
#include <string>
#include <string_view>

#include "scim/path.hpp"

namespace mcpgate::scim {

// RFC 7644 §3.4.2.2: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; plus
// "$ref", the one name RFC 7643 gives outside that grammar.
bool is_attr_name(std::string_view s);
// A character that may appear in an attribute path token (names, '.', '$', URN characters).
bool is_path_char(char c);
// `text` as [URN ":"] ATTRNAME ["." ATTRNAME], or nullopt.
std::optional<AttrPath> split_attr_path(std::string_view text);
// At most 40 bytes of `s` with bytes outside printable ASCII replaced by '?', for messages.
std::string printable(std::string_view s);

}  // namespace mcpgate::scim
