#pragma once
// The upstream's answer → an MCP CallToolResult. A JSON body is selected (response.select)
// into structuredContent (wrapped as {"result": ...} when it is not an object, as MCP wants an
// object) with a text copy; other bodies become text; error statuses and errors hidden in 2xx
// bodies become tool errors. No upstream header is ever copied into the result.

#include <string_view>

#include "connectors/connector.hpp"

namespace mcpgate::connectors {

struct HttpResponse {
  int status = 0;
  std::string_view content_type;
  std::string_view body;
};

Json map_response(const ToolDef& tool, const HttpResponse& response);

}  // namespace mcpgate::connectors
