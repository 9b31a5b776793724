#pragma once
// YAML text → JSON, keeping the line of every node so later checks (JSON Schema, semantic
// rules) can report `FILE:LINE: message`. Hostile input is bounded before and during the
// conversion: the text size, the nesting depth and the number of nodes produced — yaml-cpp
// shares aliased nodes, so an alias bomb is small as YAML but explodes when copied to JSON.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::connectors {

using Json = nlohmann::json;

struct YamlLimits {
  size_t max_bytes = 1024 * 1024;
  size_t max_depth = 64;
  size_t max_nodes = 100'000;
};

struct SourceJson {
  Json value;
  std::map<std::string, int> lines;  // JSON pointer → 1-based line

  // The line of `pointer` or of its nearest ancestor that has one (0 when none).
  int line_of(std::string pointer) const;
};

// Scalars become strings, except plain (unquoted) scalars that read as YAML 1.2 core-schema
// booleans, null, integers or floats. Mapping keys must be scalars and unique. Errors are
// kInvalidArgument: "SOURCE:LINE: message".
Result<SourceJson> yaml_to_json(std::string_view text, std::string_view source,
                                const YamlLimits& limits = {});

// "SOURCE:LINE: message" for an error about `pointer`.
std::string located(std::string_view source, const SourceJson& doc, const std::string& pointer,
                    const std::string& message);

// JSON pointer token escaping (RFC 6901).
std::string pointer_token(std::string_view key);

}  // namespace mcpgate::connectors
