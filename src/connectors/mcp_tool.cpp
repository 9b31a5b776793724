#include "connectors/mcp_tool.hpp"

#include "connectors/response_mapper.hpp"

namespace mcpgate::connectors {

namespace {

struct BoundConnectorTool {
  std::shared_ptr<const ToolDef> tool;
  ConnectorRuntime runtime;
};

// A runtime failure as the client sees it: "connect first" stays an Error (the MCP endpoint
// turns it into a URL elicitation or a tool error naming the link); anything else is a tool error
// the agent can read.
Result<Json> connector_failure(const ToolDef& tool, const Error& error) {
  if (mcp::url_elicitation_of(error) != nullptr) {
    return error;
  }
  return mcp::tool_error(mcp_tool_name(tool) + ": " + error.message);
}

// A free coroutine with its state by value (no capturing lambda as the coroutine): the
// registry's handler may be replaced by a reload while a call runs.
asio::awaitable<Result<Json>> connector_tool_call(std::shared_ptr<const BoundConnectorTool> bound,
                                                  Json arguments, mcp::ToolContext& ctx) {
  const ToolDef& tool = *bound->tool;
  Result<ConnectionVars> conn = co_await bound->runtime.connection(tool, ctx);
  if (!conn) {
    co_return connector_failure(tool, conn.error());
  }
  auto request = build_request(tool, arguments, *conn);
  if (!request) {
    co_return mcp::tool_error(mcp_tool_name(tool) + ": " + request.error().message);
  }
  auto reply = co_await bound->runtime.send(tool, std::move(request).value(), ctx);
  if (!reply) {
    co_return connector_failure(tool, reply.error());
  }
  co_return map_response(tool, {reply->status, reply->content_type, reply->body});
}

}  // namespace

mcp::Tool make_mcp_tool(std::shared_ptr<const ToolDef> tool, ConnectorRuntime runtime) {
  mcp::Tool out;
  out.descriptor = tool_descriptor(*tool);
  out.server = tool->connector_id;
  out.policy_name = tool->name;
  auto bound = std::make_shared<const BoundConnectorTool>(
      BoundConnectorTool{std::move(tool), std::move(runtime)});
  out.handler = [bound](Json arguments, mcp::ToolContext& ctx) {
    return connector_tool_call(bound, std::move(arguments), ctx);
  };
  return out;
}

}  // namespace mcpgate::connectors
