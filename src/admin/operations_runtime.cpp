// The runtime rows of the operation table (issue 9): the gate's upstreams and their pinned tool
// definitions, connectors and the users' vault connections, the vault's master key, quotas and
// the configuration status. All gate-wide (shared by every organization, so only the operator
// organization sees or changes them) except the connections, which are the caller's
// organization's users' own.
#include "admin/operations.hpp"

namespace mcpgate::admin {

using http::bhttp::verb;

std::vector<Operation> runtime_operations() {
  const Param upstream = query_param("upstream", ParamType::kId, 0, "Only this upstream's pins");
  const Param pending_only = query_param("pending_only", ParamType::kBoolean, 0,
                                         "Only pins with a changed definition waiting for approval");
  const Param hash = body_param(
      "hash", ParamType::kString, 64, true,
      "The pending definition's hash as listToolPins showed it: a definition that changed again "
      "since is not approved");
  const Param connection_user =
      query_param("user_id", ParamType::kId, 0, "Only this user's connections");
  return {
      {"listUpstreams", verb::get, "/upstreams", kReadScope, "can_read_upstreams",
       "The gateway's upstream MCP servers: transport, readiness, circuit breaker, tool counts",
       "UpstreamList", {}, false, false, true},
      {"listToolPins", verb::get, "/tool-pins", kReadScope, "can_read_upstreams",
       "Pinned upstream tool definitions: the approved one and any changed one waiting",
       "ToolPinList", {upstream, pending_only}, true, false, true},
      {"approveToolPin", verb::post, "/tool-pins/{upstream}/{tool}/approve", kWriteScope,
       "can_manage_upstreams",
       "Approve a tool's changed definition, named by its hash; the tool is offered again",
       "ToolPin",
       {path_param("upstream", "The upstream's configured name"),
        path_param("tool", "The upstream's own tool name"), hash, reason_param()},
       false, true, true},
      {"getStatus", verb::get, "/status", kReadScope, "can_read_config",
       "The gate: version, uptime, store, configuration reloads, features, upstreams, key ids",
       "Status", {}, false, false, true},
      {"listConnectors", verb::get, "/connectors", kReadScope, "can_read_connectors",
       "The configured SaaS connectors and OAuth upstreams users connect their accounts to",
       "ConnectorList", {}, false, false, true},
      {"listConnections", verb::get, "/connections", kReadScope, "can_read_connections",
       "The vault connections of the organization's users (status, scopes, times; never tokens)",
       "ConnectionList", {connection_user}, true, false},
      {"revokeConnection", verb::delete_, "/users/{user_id}/connections/{connector}", kWriteScope,
       "can_revoke_connections",
       "Delete a user's vault connection (its tokens): the user must connect again",
       "ConnectionRevokeResult",
       {path_param("user_id", "A user of the caller's organization"),
        path_param("connector", "The connector or OAuth upstream id"), reason_param()},
       false, true},
      {"rotateVaultKey", verb::post, "/vault/rotate-key", kWriteScope, "can_rotate_keys",
       "Re-wrap every vault data key under the active master key (as `mcpgate vault rotate-key`)",
       "VaultRotateResult", {reason_param()}, false, true, true},
      {"getQuotas", verb::get, "/quotas", kReadScope, "can_read_quotas",
       "The quota rules in force (calls per minute, concurrent calls per user, client, tool)",
       "QuotaList", {}, false, false, true},
  };
}

}  // namespace mcpgate::admin
