#pragma once
// `mcpgate check --connector FILE` and `mcpgate check --openapi FILE`: validate, print a
// summary of the tools (exit 0) or one "FILE:LINE: message" per problem (exit 1).

#include <ostream>
#include <string>

namespace mcpgate::connectors {

int check_connector_command(const std::string& path, std::ostream& out, std::ostream& err);

// `connector_id` prefixes the imported tool names ("api" when empty).
int check_openapi_command(const std::string& path, const std::string& connector_id,
                          std::ostream& out, std::ostream& err);

}  // namespace mcpgate::connectors
