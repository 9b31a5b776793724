#pragma once
// The endpoint's audit hook (mcp::CallAudit) writing to the hash-chained audit log
// (src/audit): one record per tools/call, denied or run, with the argument digest (the
// arguments themselves only when `audit.arguments: full`).

#include <atomic>
#include <memory>

#include "admin/runner.hpp"
#include "audit/audit_log.hpp"
#include "mcp/access.hpp"

namespace mcpgate::app {

class StoreCallAudit final : public mcp::CallAudit {
 public:
  StoreCallAudit(std::shared_ptr<audit::AuditLog> log, bool full_arguments)
      : log_(std::move(log)), full_arguments_(full_arguments) {}

  void record(const mcp::CallRecord& call) const override;

  // `audit.arguments` changed by a configuration reload: applies to the records made after it.
  void set_full_arguments(bool full) { full_arguments_.store(full); }

 private:
  std::shared_ptr<audit::AuditLog> log_;
  std::atomic<bool> full_arguments_;
};

// Every admin call of every channel (the runner's CallObserver) as an audit record, like a tool
// call: upstream "admin", tool = the operationId, the caller's organization, user and client,
// the decision, and {"channel", "target", "status"} under "admin". No argument values other
// than the ids in "target", and no operator-written reason (free text) on allowed calls.
admin::CallObserver admin_call_observer(std::shared_ptr<audit::AuditLog> log);

// The record admin_call_observer writes (for tests).
audit::AuditEvent admin_call_event(const mcp::Caller& caller, const admin::CallRecord& call,
                                   std::int64_t now_ms);

}  // namespace mcpgate::app
