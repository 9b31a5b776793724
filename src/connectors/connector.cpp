#include "connectors/connector.hpp"

namespace mcpgate::connectors {

std::string mcp_tool_name(const ToolDef& tool) { return tool.connector_id + "_" + tool.name; }

Json tool_descriptor(const ToolDef& tool) {
  Json d = {{"name", mcp_tool_name(tool)},
            {"description", tool.description},
            {"inputSchema", tool.input_schema}};
  if (!tool.title.empty()) {
    d["title"] = tool.title;
  }
  if (!tool.output_schema.is_null()) {
    d["outputSchema"] = tool.output_schema;
  }
  // Every hint is explicit: MCP's defaults (destructive, open-world) are the cautious ones,
  // and a client should not have to guess which we meant.
  d["annotations"] = {{"readOnlyHint", tool.annotations.read_only},
                      {"destructiveHint", tool.annotations.destructive},
                      {"idempotentHint", tool.annotations.idempotent},
                      {"openWorldHint", tool.annotations.open_world}};
  return d;
}

}  // namespace mcpgate::connectors
