#pragma once
// The admin plane's reads (issue 9), written once for both backends like audit_pin_queries.hpp:
// templates over sqlite::Connection / pg::Connection, portable SQL, the transaction supplied by
// the backend's read() wrapper.
//
// Sessions: a grant joined to its user's organization, so a grant of another organization is
// never returned (the admin API answers it as missing). The token facts are per-grant
// aggregates over the grant_id indexes of refresh_tokens and access_tokens; a page is at most
// `limit` grants, so a page costs limit index lookups, whatever the table sizes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/admin_types.hpp"

namespace mcpgate::store::queries {

inline constexpr const char* kSessionSelect =
    "SELECT g.id, g.user_id, g.client_id, g.scope, g.resource, g.created_at, g.revoked_at,"
    " (SELECT MAX(r.used_at) FROM refresh_tokens r WHERE r.grant_id = g.id),"
    " (SELECT MAX(r.family_expires_at) FROM refresh_tokens r"
    "   WHERE r.grant_id = g.id AND r.revoked_at IS NULL),"
    " (SELECT MAX(a.issued_at) FROM access_tokens a WHERE a.grant_id = g.id),"
    " (SELECT MAX(a.expires_at) FROM access_tokens a WHERE a.grant_id = g.id)"
    " FROM grants g JOIN users u ON u.id = g.user_id WHERE u.org_id = ?";

template <class Statement>
Session read_session(const Statement& s) {
  Session out;
  out.grant.id = s.text(0);
  out.grant.user_id = s.text(1);
  out.grant.client_id = s.text(2);
  out.grant.scope = s.text(3);
  out.grant.resource = s.text(4);
  out.grant.created_at = s.integer(5);
  out.grant.revoked_at = s.optional_integer(6);
  out.last_refresh_at = s.optional_integer(7).value_or(0);
  out.refresh_expires_at = s.optional_integer(8).value_or(0);
  out.last_token_at = s.optional_integer(9).value_or(0);
  out.access_expires_at = s.optional_integer(10).value_or(0);
  return out;
}

template <class Connection>
Result<std::vector<Session>> list_sessions(Connection& c, const SessionQuery& q) {
  // Only the filters asked for are in the SQL, so each shape gets its own plan (a user's
  // sessions come from grants_user, not from a scan of the organization's).
  std::string sql = std::string(kSessionSelect) + " AND g.revoked_at IS NULL AND g.id > ?";
  if (!q.user_id.empty()) {
    sql += " AND g.user_id = ?";
  }
  if (!q.client_id.empty()) {
    sql += " AND g.client_id = ?";
  }
  sql += " ORDER BY g.id LIMIT ?";
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(sql));
  int at = 0;
  s.bind_at(++at, q.org_id);
  s.bind_at(++at, q.after_id);
  if (!q.user_id.empty()) {
    s.bind_at(++at, q.user_id);
  }
  if (!q.client_id.empty()) {
    s.bind_at(++at, q.client_id);
  }
  s.bind_at(++at, static_cast<std::int64_t>(std::min<std::size_t>(q.limit, 1000)));
  std::vector<Session> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(read_session(s));
  }
}

// Disables (or enables) a client. Disabling also revokes its live grants through the backend's
// own grant revocation (`revoke_grants(ids)`, which returns the revoked access tokens), in the
// caller's write transaction. kNotFound when the client does not exist.
template <class Connection, class RevokeGrants>
Result<std::vector<RevokedToken>> set_client_disabled(Connection& c, std::string_view client_id,
                                                      bool disabled, RevokeGrants revoke_grants) {
  // The flag first: from here on no code, refresh or client authentication of this client
  // succeeds (they read it), so no grant can come alive behind the revocations below.
  {
    MCPGATE_ASSIGN_OR_RETURN(auto s,
                             c.prepare("UPDATE clients SET disabled = ? WHERE client_id = ?"));
    s.bind(disabled, client_id);
    MCPGATE_TRY(s.run());
    if (s.changes() == 0) {
      return make_error(ErrorCode::kNotFound, "store: client not found");
    }
  }
  if (!disabled) {
    return std::vector<RevokedToken>{};
  }
  std::vector<std::string> grants;
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT id FROM grants WHERE client_id = ? AND revoked_at IS NULL"));
  s.bind(client_id);
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      break;
    }
    grants.push_back(std::string(s.text(0)));
  }
  return revoke_grants(grants);
}

// Revoked sessions too (their revoked_at says so); kNotFound when the grant is missing or its
// user belongs to another organization.
template <class Connection>
Result<Session> find_session(Connection& c, std::string_view org_id, std::string_view grant_id) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(std::string(kSessionSelect) + " AND g.id = ?"));
  s.bind(org_id, grant_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: session not found");
  }
  return read_session(s);
}

template <class Connection>
Result<std::int64_t> count_one(Connection& c, const char* sql, std::string_view org_id) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(sql));
  s.bind(org_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  return row ? s.integer(0) : 0;
}

template <class Connection>
Result<OrganizationCounts> count_organization(Connection& c, std::string_view org_id) {
  OrganizationCounts out;
  MCPGATE_ASSIGN_OR_RETURN(out.users,
                           count_one(c, "SELECT COUNT(*) FROM users WHERE org_id = ?", org_id));
  MCPGATE_ASSIGN_OR_RETURN(
      out.disabled_users,
      count_one(c, "SELECT COUNT(*) FROM users WHERE org_id = ? AND disabled <> 0", org_id));
  MCPGATE_ASSIGN_OR_RETURN(
      out.live_sessions,
      count_one(c,
                "SELECT COUNT(*) FROM grants g JOIN users u ON u.id = g.user_id"
                " WHERE u.org_id = ? AND g.revoked_at IS NULL",
                org_id));
  MCPGATE_ASSIGN_OR_RETURN(
      out.groups, count_one(c, "SELECT COUNT(*) FROM scim_groups WHERE org_id = ?", org_id));
  return out;
}

// Newest first within the organization; each filter only when given (see AuditQuery). The
// filters compare the index columns (migration 11), never the record text.
template <class Connection>
Result<std::vector<AuditRecord>> search_audit(Connection& c, const AuditQuery& q) {
  std::string sql = "SELECT seq, record, hash FROM audit_log WHERE org_id = ?";
  const std::pair<const char*, const std::string*> texts[] = {
      {" AND user_id = ?", &q.user},
      {" AND client_id = ?", &q.client_id},
      {" AND tool = ?", &q.tool},
      {" AND decision = ?", &q.decision},
  };
  for (const auto& [clause, value] : texts) {
    if (!value->empty()) {
      sql += clause;
    }
  }
  if (q.from_ms > 0) {
    sql += " AND time_ms >= ?";
  }
  if (q.to_ms > 0) {
    sql += " AND time_ms < ?";
  }
  if (q.before_seq > 0) {
    sql += " AND seq < ?";
  }
  sql += " ORDER BY seq DESC LIMIT ?";
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(sql));
  int at = 0;
  s.bind_at(++at, q.org_id);
  for (const auto& [clause, value] : texts) {
    if (!value->empty()) {
      s.bind_at(++at, *value);
    }
  }
  if (q.from_ms > 0) {
    s.bind_at(++at, q.from_ms);
  }
  if (q.to_ms > 0) {
    s.bind_at(++at, q.to_ms);
  }
  if (q.before_seq > 0) {
    s.bind_at(++at, q.before_seq);
  }
  s.bind_at(++at, static_cast<std::int64_t>(std::min<std::size_t>(q.limit, 1000)));
  std::vector<AuditRecord> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(AuditRecord{s.integer(0), s.text(1), s.text(2)});
  }
}

}  // namespace mcpgate::store::queries
