#include "connectors/mcp_tool.hpp"

#include "connectors/response_mapper.hpp"

namespace mcpgate::connectors {

mcp::Tool make_mcp_tool(std::shared_ptr<const ToolDef> tool, ConnectorRuntime runtime) {
  mcp::Tool out;
  out.descriptor = tool_descriptor(*tool);
  out.server = tool->connector_id;
  out.policy_name = tool->name;
  out.handler = [tool, runtime = std::move(runtime)](
                    Json arguments, mcp::ToolContext& ctx) -> asio::awaitable<Result<Json>> {
    MCPGATE_CO_ASSIGN_OR_RETURN(const ConnectionVars conn, co_await runtime.connection(*tool, ctx));
    auto request = build_request(*tool, arguments, conn);
    if (!request) {
      co_return mcp::tool_error(mcp_tool_name(*tool) + ": " + request.error().message);
    }
    auto reply = co_await runtime.send(*tool, std::move(request).value(), ctx);
    if (!reply) {
      co_return mcp::tool_error(mcp_tool_name(*tool) + ": " + reply.error().message);
    }
    co_return map_response(*tool, {reply->status, reply->content_type, reply->body});
  };
  return out;
}

}  // namespace mcpgate::connectors
