#pragma once
// A connector tool as an MCP tool: the seam between the connector layer (pure: templates in,
// request out, response in, result out) and the runtime that owns connections, tokens and the
// network (vault, refresh, retries — the rest of issue 6). The handler this builds:
//   1. asks the runtime for the caller's connection (its variables); "connect first" (an Error
//      with mcp::UrlElicitationRequired, connect_required.hpp) is returned as is — the MCP
//      endpoint turns it into a URL elicitation (-32042) or a tool error naming the connect
//      link — any other failure becomes a tool error;
//   2. build_request() — invalid arguments become a tool error the agent can read;
//   3. has the runtime send it, which adds `Authorization` (and `Idempotency-Key` when the tool
//      declares support) — the token never passes through this layer;
//   4. map_response().
// The registry validates arguments against the inputSchema before the handler runs, and the
// gateway's authorization, quota and audit wrap the handler as for every other tool.

#include <functional>
#include <memory>
#include <string>

#include "connectors/connector.hpp"
#include "connectors/request_builder.hpp"
#include "core/result.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::connectors {

struct UpstreamReply {
  int status = 0;
  std::string content_type;
  std::string body;  // upstream headers deliberately not carried
};

struct ConnectorRuntime {
  // The caller's connection to tool.connector_id: its variables ({} when it has none).
  std::function<asio::awaitable<Result<ConnectionVars>>(const ToolDef&, mcp::ToolContext&)>
      connection;
  // Sends `request` for the caller with their token injected; a failure here (network,
  // breaker open, refresh impossible) becomes a tool error with the error's message, except
  // "connect first" (the refresh token was refused meanwhile), returned as in step 1.
  std::function<asio::awaitable<Result<UpstreamReply>>(const ToolDef&, HttpRequest,
                                                       mcp::ToolContext&)>
      send;
};

// `server` is the authorization namespace of the tool (policy objects `tool:{server}/{name}`):
// by default the connector id, and the policy name is the tool's own name.
mcp::Tool make_mcp_tool(std::shared_ptr<const ToolDef> tool, ConnectorRuntime runtime);

}  // namespace mcpgate::connectors
