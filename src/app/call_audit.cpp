#include "app/call_audit.hpp"

#include "mcp/tool.hpp"

namespace mcpgate::app {

void StoreCallAudit::record(const mcp::CallRecord& call) const {
  audit::AuditEvent e;
  e.time_ms = call.started_unix_ms;
  e.request_id = std::string(call.request_id);
  if (call.caller != nullptr) {
    e.user = call.caller->subject;
    e.client_id = call.caller->client_id;
    if (!call.caller->org_id.empty()) {
      e.org = call.caller->org_id;
    }
  }
  if (call.tool != nullptr) {
    e.upstream = call.tool->server;
    e.tool = call.tool->policy_name.empty() ? call.tool->descriptor.value("name", "")
                                            : call.tool->policy_name;
  }
  if (call.arguments != nullptr) {
    e.args_digest = audit::args_digest(*call.arguments);
    if (full_arguments_.load()) {
      e.arguments = *call.arguments;
    }
  }
  e.decision = std::string(call.decision);
  e.decision_id = std::string(call.decision_id);
  if (!call.reason.empty()) {
    e.reason = std::string(call.reason);
  }
  e.upstream_status = std::string(call.outcome);
  e.latency_us = call.latency_us;
  e.result_bytes = call.result_bytes;
  log_->record(std::move(e));
}

}  // namespace mcpgate::app
