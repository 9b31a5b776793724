#pragma once
// The admin approvals (Store::create_admin_approval and the rest), written once for both
// backends like audit_pin_queries.hpp: a template over the connection, inside the backend's
// transaction.
//
// Single use without a lock of our own: use_admin_approval is one conditional UPDATE (state
// 'approved' -> 'used') whose WHERE re-checks the state, so of two concurrent uses the second
// finds the row no longer approved (PostgreSQL re-evaluates the condition on the locked row at
// READ COMMITTED; SQLite has one writer) and changes nothing. decide_admin_approval is the same
// shape for pending -> approved/denied.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/types.hpp"

namespace mcpgate::store::queries {

// kInvalidArgument unless id, binding, user_id and operation are set, state is "pending" and
// expires_at is after created_at.
Status check_new_admin_approval(const AdminApproval& approval);

// How long an expired approval is kept (seconds) before create_admin_approval deletes it.
inline constexpr Timestamp kAdminApprovalRetention = 7 * 24 * 3600;

inline constexpr const char* kAdminApprovalColumns =
    "id, binding, org_id, user_id, client_id, operation, arguments, state, created_at,"
    " expires_at, decided_at, used_at";

template <class Statement>
AdminApproval read_admin_approval(const Statement& s) {
  AdminApproval a;
  a.id = s.text(0);
  a.binding = s.text(1);
  a.org_id = s.text(2);
  a.user_id = s.text(3);
  a.client_id = s.text(4);
  a.operation = s.text(5);
  a.arguments = s.text(6);
  a.state = s.text(7);
  a.created_at = s.integer(8);
  a.expires_at = s.integer(9);
  a.decided_at = s.integer(10);
  a.used_at = s.integer(11);
  return a;
}

template <class Connection>
Status create_admin_approval(Connection& c, const AdminApproval& a) {
  // Nothing else ever removes a row, so each new approval clears the ones that expired more
  // than kAdminApprovalRetention before it (their arguments included): the table stays as
  // small as a week of approvals, and a recent expiry still reads as "expired", not "unknown".
  MCPGATE_ASSIGN_OR_RETURN(auto purge,
                           c.prepare("DELETE FROM admin_approvals WHERE expires_at < ?"));
  purge.bind(a.created_at - kAdminApprovalRetention);
  MCPGATE_TRY(purge.run());
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare(std::string("INSERT INTO admin_approvals (") + kAdminApprovalColumns +
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  s.bind(a.id, a.binding, a.org_id, a.user_id, a.client_id, a.operation, a.arguments, a.state,
         a.created_at, a.expires_at, a.decided_at, a.used_at);
  return s.run();
}

template <class Connection>
Result<AdminApproval> find_admin_approval(Connection& c, std::string_view id) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare(std::string("SELECT ") + kAdminApprovalColumns +
                        " FROM admin_approvals WHERE id = ?"));
  s.bind(id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: no such approval");
  }
  return read_admin_approval(s);
}

template <class Connection>
Result<AdminApproval> find_pending_admin_approval(Connection& c, std::string_view binding,
                                                  Timestamp now) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare(std::string("SELECT ") + kAdminApprovalColumns +
                        " FROM admin_approvals WHERE binding = ? AND state = 'pending'"
                        " AND expires_at > ? ORDER BY created_at DESC, id LIMIT 1"));
  s.bind(binding, now);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: no pending approval for this call");
  }
  return read_admin_approval(s);
}

template <class Connection>
Status decide_admin_approval(Connection& c, std::string_view id, std::string_view user_id,
                             bool approve, Timestamp now) {
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE admin_approvals SET state = ?, decided_at = ?"
                          " WHERE id = ? AND user_id = ? AND state = 'pending' AND expires_at > ?"));
    s.bind(std::string_view(approve ? "approved" : "denied"), now, id, user_id, now);
    MCPGATE_TRY(s.run());
    if (s.changes() == 1) {
      return {};
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT state FROM admin_approvals WHERE id = ? AND user_id = ?"));
  s.bind(id, user_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: no such approval");
  }
  return make_error(ErrorCode::kFailedPrecondition,
                    "store: the approval is no longer pending or has expired");
}

template <class Connection>
Result<bool> use_admin_approval(Connection& c, std::string_view binding, Timestamp now) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("UPDATE admin_approvals SET state = 'used', used_at = ?"
                        " WHERE id = (SELECT id FROM admin_approvals WHERE binding = ?"
                        " AND state = 'approved' AND expires_at > ? ORDER BY created_at, id"
                        " LIMIT 1) AND state = 'approved'"));
  s.bind(now, binding, now);
  MCPGATE_TRY(s.run());
  return s.changes() == 1;
}

}  // namespace mcpgate::store::queries
