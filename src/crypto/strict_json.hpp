#pragma once
// Parsing JSON that comes from the network (JOSE headers, JWT claims, JWKS, client metadata)
// with limits: a size cap, a nesting-depth cap, and no duplicate member names (RFC 7515 §4 and
// RFC 7519 §4 let a recipient refuse them; accepting "last one wins" lets two parsers disagree
// about what a token says). Beyond that it is RFC 8259 JSON as nlohmann reads it: UTF-8 only, no
// comments, no trailing commas, nothing after the value.

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::crypto {

struct JsonLimits {
  std::size_t max_bytes = std::size_t{64} * 1024;
  int max_depth = 16;  // nesting of objects and arrays; a bare scalar is depth 0
};

// kInvalidArgument for anything outside the limits or not valid JSON.
Result<nlohmann::json> parse_json_strict(std::string_view text, const JsonLimits& limits = {});

}  // namespace mcpgate::crypto
