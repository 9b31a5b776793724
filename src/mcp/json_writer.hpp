#pragma once
// The JSON text writer behind dump_json(): nlohmann's compact dump, byte for byte, without its
// per-character output machinery.

#include <string>

#include <nlohmann/json.hpp>

namespace mcpgate::mcp {

// Appends `value` as nlohmann's dump(-1, ' ', false, error_handler_t::replace) writes it.
void write_json(std::string& out, const nlohmann::json& value);

}  // namespace mcpgate::mcp
