#include "app/call_audit.hpp"

#include <chrono>

#include "admin/admin_mcp.hpp"
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

audit::AuditEvent admin_call_event(const mcp::Caller& caller, const admin::CallRecord& call,
                                   std::int64_t now_ms) {
  audit::AuditEvent e;
  e.time_ms = now_ms;
  e.user = caller.subject;
  e.client_id = caller.client_id;
  if (!caller.org_id.empty()) {
    e.org = caller.org_id;
  }
  e.upstream = std::string(admin::kAdminServer);
  e.tool = call.operation;
  e.decision = call.decision;
  const bool denied = call.decision != "allow";
  if (denied) {
    // The runner's or the channel's reason for refusing (never an argument's value).
    e.reason = call.reason;
  } else if (call.status != 200) {
    e.reason = "status " + std::to_string(call.status);
  }
  e.upstream_status = denied ? "not_called" : (call.status == 200 ? "ok" : "error");
  nlohmann::json admin = nlohmann::json::object();
  admin["channel"] = call.channel;
  admin["target"] = call.target;
  admin["status"] = call.status;
  e.admin = std::move(admin);
  return e;
}

admin::CallObserver admin_call_observer(std::shared_ptr<audit::AuditLog> log) {
  return [log = std::move(log)](const mcp::Caller& caller, const admin::CallRecord& call) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    log->record(admin_call_event(caller, call, now));
  };
}

}  // namespace mcpgate::app
