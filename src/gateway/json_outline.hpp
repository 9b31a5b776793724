#pragma once
// A strict JSON validator that builds nothing: it checks a whole text and reports the top-level
// members of an object as views into the text. The gateway uses it to forward an upstream's
// tools/call result as the bytes it received, instead of parsing them into a DOM and
// serialising that again (the second HTTP exchange's largest JSON cost).
//
// It accepts what nlohmann::json::parse accepts (RFC 8259: no comments, no trailing commas,
// strings of valid UTF-8 with valid escapes and paired surrogates, a leading UTF-8 BOM) and
// additionally refuses nesting deeper than `max_depth`. Linear, non-recursive, no allocation
// besides the member list.

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::gateway {

struct JsonMember {
  std::string_view key;      // the key's text between its quotes, escapes NOT decoded
  bool key_escaped = false;  // the key contains a backslash escape
  std::string_view value;    // the member's value, as written
};

struct JsonOutline {
  std::string_view value;           // the document's value without surrounding whitespace
  std::vector<JsonMember> members;  // its members in order, when it is an object

  bool is_object() const { return !value.empty() && value.front() == '{'; }
  // The first member whose key is written exactly `key`; null when none.
  const JsonMember* find(std::string_view key) const;
  // True when a key carries an escape or occurs twice: then find() may not see what a JSON
  // library sees (nlohmann keeps the last of duplicate keys and decodes escapes), and a caller
  // must decide on a parsed DOM instead.
  bool ambiguous_keys() const;
};

// kInvalidArgument: not well-formed JSON. kResourceExhausted: nested deeper than max_depth.
Result<JsonOutline> outline_json(std::string_view text, std::size_t max_depth);

}  // namespace mcpgate::gateway
