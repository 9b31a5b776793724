#pragma once
// The JSON text reader behind parse_json(): strict RFC 8259, building nlohmann's DOM directly,
// with the values and number types nlohmann::json::parse gives for the same text.

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgate::mcp {

// Reads one JSON document (an optional leading UTF-8 byte order mark, whitespace around the
// value) into `out`. False for anything nlohmann's parser refuses, for invalid UTF-8 inside
// strings and for nesting deeper than `max_depth`; `out` is then unspecified.
bool read_json(std::string_view text, size_t max_depth, nlohmann::json& out);

}  // namespace mcpgate::mcp
