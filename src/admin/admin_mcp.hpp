#pragma once
// The admin MCP server at /admin/mcp (issue 9 item 2): the operations of operations.hpp as MCP
// tools, served by the gate's own MCP endpoint machinery (src/mcp: Streamable HTTP, sessions,
// both protocol eras) with a registry of its own.
//
//   * One tool per operation: name snake_case(operationId), description = summary + the
//     permission and scope it needs, inputSchema = arguments_schema(op), annotations
//     readOnlyHint (GET), destructiveHint (op.destructive), idempotentHint (GET, PUT and DELETE:
//     HTTP's idempotent methods), openWorldHint false (the gate acts on its own data only).
//   * Authentication: the admin resource's bearer guard (audience public_url + "/admin", the
//     same tokens as the Admin API).
//   * tools/list shows only the tools the caller may call (OperationRunner::authorize: scope,
//     permission, gate-wide rule), like /mcp hides tools a token may not call. tools/call of any
//     operation, listed or not, goes through OperationRunner::run with channel "mcp": a refusal
//     is a tool result with isError and the runner's message ("deactivateUser needs
//     can_manage_users on organization:default"), recorded like every admin call.
//   * Destructive operations run only after a human approved these exact arguments:
//       - a client that declared the elicitation capability (form mode) is asked with
//         elicitation/create naming the operation and the arguments; only "accept" with
//         confirm = true runs it, once; decline, cancel or no answer does nothing;
//       - any other client gets an approval link (approvals.hpp): a page where the same user,
//         signed in, approves; the same call with the same arguments then runs once. The
//         approval is bound to (caller, operation, canonical arguments): it does not apply to
//         other arguments. Without an approval book such clients are refused.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/approvals.hpp"
#include "admin/runner.hpp"
#include "http/router.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/registry.hpp"
#include "store/executor.hpp"

namespace mcpgate::admin {

inline constexpr std::string_view kMcpPath = "/admin/mcp";
// The pseudo-server of the admin tools (Tool::server; the audit log's "upstream").
inline constexpr std::string_view kAdminServer = "admin";

struct AdminMcpOptions {
  std::string server_version;
  std::vector<std::string> allowed_origins;  // as the MCP endpoint's (mcp.allowed_origins)
  std::size_t max_sessions = 1000;
  std::chrono::seconds session_idle_timeout{30 * 60};
  // How long a tool waits for the human's answer to an approval request.
  std::chrono::seconds approval_wait{300};
};

// What the admin tools run with. The executor and the runner must outlive the endpoint.
struct AdminTools {
  std::shared_ptr<const OperationRunner> runner;
  store::Executor* executor = nullptr;
  // Approval links for clients that cannot elicit (null: such clients are refused).
  std::shared_ptr<const ApprovalBook> approvals;
};

// The MCP Tool object of one operation.
nlohmann::json admin_tool_descriptor(const Operation& op, std::size_t max_page_size);

// A registry with one tool per operation of the table.
std::shared_ptr<mcp::Registry> admin_tool_registry(std::shared_ptr<const AdminTools> tools);

// tools/list of the admin endpoint: only what runner.authorize() allows; tools/call is always
// let through to the runner, which decides and records.
std::shared_ptr<const mcp::ToolAuthorizer> admin_tool_lister(
    std::shared_ptr<const OperationRunner> runner);

// The endpoint's options: `access` (the admin bearer guard) in front, admin_tool_lister.
mcp::EndpointOptions admin_mcp_endpoint_options(std::shared_ptr<const mcp::AccessPolicy> access,
                                                std::shared_ptr<const OperationRunner> runner,
                                                const AdminMcpOptions& options);

// The endpoint, with `access` (the admin bearer guard) in front.
std::shared_ptr<mcp::Endpoint> make_admin_mcp_endpoint(
    std::shared_ptr<const mcp::AccessPolicy> access, std::shared_ptr<const AdminTools> tools,
    const AdminMcpOptions& options);

void mount_admin_mcp(http::Router& router, std::shared_ptr<mcp::Endpoint> endpoint);

// --- the pieces of a call, for tests ---------------------------------------------------------

// The CallToolResult of a runner outcome: the result as structuredContent and as JSON text, or
// isError with a message that says what was refused and why.
nlohmann::json admin_tool_result(const Operation& op, const Result<nlohmann::json>& outcome);

// Whether the client declared form-mode elicitation ({} or {"form": {...}}) in the session era.
bool client_elicits_forms(const mcp::ToolContext& ctx);

// The elicitation/create params asking a human to approve `op` with exactly `args`.
nlohmann::json approval_elicitation(const Operation& op, const mcp::Caller& caller,
                                    const nlohmann::json& args, std::string_view protocol_version);

// The human's answer to approval_elicitation: accepted only for action "accept" with
// content.confirm == true. `why` says what happened otherwise.
struct ApprovalAnswer {
  bool accepted = false;
  std::string why;
};
ApprovalAnswer read_approval_answer(const Result<nlohmann::json>& answer);

}  // namespace mcpgate::admin
