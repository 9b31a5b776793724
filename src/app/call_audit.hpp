#pragma once
// The endpoint's audit hook (mcp::CallAudit) writing to the hash-chained audit log
// (src/audit): one record per tools/call, denied or run, with the argument digest (the
// arguments themselves only when `audit.arguments: full`).

#include <atomic>
#include <memory>

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

}  // namespace mcpgate::app
