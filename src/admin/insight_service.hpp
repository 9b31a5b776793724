#pragma once
// The handlers of the insight operations (operations_insight.cpp; issue 9):
//
//   getCallStats   — calls, denials and errors per tool and per upstream over the last N hours,
//                    counted from the hash-chained audit log (the one record every replica
//                    writes to the shared store), so the numbers are the deployment's, not one
//                    process's. Only the newest `max_records_scanned` records are read (a bound
//                    on the work of one call); `complete` says whether they cover the window.
//                    Only the caller's organization's records count (a record without an
//                    organization — authentication off — counts for the operator organization).
//   getAgentAccess — the blast radius of a user + agent pair: both policy checks of every tool
//                    the gate serves (policy::EngineToolAuthorizer::reach), plus whether one of
//                    the pair's live grants carries a scope that permits the tool.
//
// Blocking (the store): run on the store executor, as the runner's callers do.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/handlers.hpp"
#include "mcp/tool.hpp"
#include "policy/tool_authorizer.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

struct InsightDeps {
  store::Store* store = nullptr;
  // The tools the gate serves now (the MCP registry's snapshot).
  std::function<std::vector<mcp::Tool>()> tools;
  // Null when the gate has no tool-level policy: getAgentAccess answers kFailedPrecondition.
  std::shared_ptr<const policy::EngineToolAuthorizer> authorizer;
  // Whether a token with `scopes` may call the tool named `tool` (the MCP guard's rule). Null:
  // in_granted_scopes is not computed (null in the answer).
  std::function<bool(const std::vector<std::string>& scopes, std::string_view tool)> scope_permits;
  std::string operator_org = "default";
  std::size_t max_records_scanned = 20000;
  std::function<std::int64_t()> now_ms;  // default: the system clock
};

inline constexpr int kCallStatsBuckets = 24;

// One audit record's share of the statistics (exposed for tests): its time, org, upstream,
// tool and outcome, or nothing when the text is not a record.
struct AuditFacts {
  std::int64_t time_ms = 0;
  std::string org;  // "" when the record has none
  std::string upstream;
  std::string tool;
  bool denied = false;
  bool error = false;
  bool admin_call = false;  // an admin-plane call (the record's "admin" member), not a tool call
};
std::optional<AuditFacts> audit_facts(std::string_view record_text);

Result<Json> call_stats(store::Store& store, std::string_view org, std::string_view operator_org,
                        int hours, std::int64_t now_ms, std::size_t max_records_scanned);

void bind_insight_operations(OperationHandlers& handlers, InsightDeps deps);

}  // namespace mcpgate::admin
