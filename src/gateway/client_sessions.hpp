#pragma once
// Per-client upstream sessions, seen from a forwarding handler: which upstream session a
// request of the calling client goes on.

#include <optional>
#include <string>

#include "gateway/upstream.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::gateway {

// The calling client's own session at upstream `upstream` (from the attachments sealed into
// its Mcp-Session-Id); nullopt when the request has no session (stateless era): the gateway's
// shared session serves it.
std::optional<OwnSession> own_session(const mcp::ToolContext& ctx, const std::string& upstream);

}  // namespace mcpgate::gateway
