#pragma once
// The Admin API's audit operations (issue 9), without HTTP. Blocking: store executor.
//
//   * searchAudit — the caller's organization's records only (their "org" member; see
//     store::AuditQuery), newest first, filtered by user, client, tool, decision and a time
//     window, keyset-paged by seq. The store filters on index columns it fills from each
//     record when appending it (migration 11); the record text and its hash — the chain — are
//     stored exactly as before, so `mcpgate audit verify` is unaffected.
//   * getAuditStatus — gate-wide tamper evidence: the stored chain verified from seq 1 the way
//     `mcpgate audit verify` verifies an export (audit/verify.hpp), reading the log in batches.
//     It costs a read of the whole log, so it is a gate-wide operation (the operator
//     organization's), not something every tenant's console polls.

#include <cstddef>
#include <memory>
#include <string_view>

#include "admin/handlers.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

class AuditService {
 public:
  explicit AuditService(store::Store& store, std::size_t verify_batch = 1000);

  Result<Json> search(std::string_view org, const AdminCall& call);
  Result<Json> status();

 private:
  store::Store& store_;
  std::size_t verify_batch_;
};

// The handlers of searchAudit and getAuditStatus.
void bind_audit_operations(OperationHandlers& handlers, std::shared_ptr<AuditService> service);

}  // namespace mcpgate::admin
