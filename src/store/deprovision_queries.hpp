#pragma once
// Store::deprovision_user and reactivate_user, written once for both backends (as
// vault_queries.hpp is): portable SQL in the caller's transaction. The backend passes what
// differs: the lock clause for the user row (PostgreSQL " FOR NO KEY UPDATE"; SQLite "", its
// single writer already serializes) and how it guards the revocation list (PostgreSQL's advisory
// lock; nothing on SQLite).
//
// Why the user row is locked first (PostgreSQL): create_authorization_code share-locks the same
// row before it inserts a grant, so a grant is either committed before this transaction reads
// the user's grants (and is revoked here) or created after it commits (and refused: the user is
// disabled). Grants seen here are revoked by one UPDATE, which waits for any issuance holding a
// grant's share lock (consume, rotate, record), exactly as revoke_grant does; such an issuance
// then finds its grant revoked. No issuance path waits for the user row while holding a grant,
// so the two lock orders cannot form a cycle.

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "store/types.hpp"

namespace mcpgate::store::queries {

template <class Connection>
Result<bool> lock_user_disabled(Connection& c, std::string_view user_id,
                                std::string_view user_lock) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT disabled FROM users WHERE id = ?" + std::string(user_lock)));
  s.bind(user_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: user not found");
  }
  return s.integer(0) != 0;
}

template <class Connection, class LockRevocationList>
Result<DeprovisionReport> deprovision_user(Connection& c, std::string_view user_id,
                                           DeprovisionMode mode, Timestamp now,
                                           std::string_view user_lock,
                                           LockRevocationList&& lock_revocation_list) {
  DeprovisionReport out;
  out.user_id = std::string(user_id);
  MCPGATE_ASSIGN_OR_RETURN(out.was_disabled, lock_user_disabled(c, user_id, user_lock));
  {
    // Stamped and counted on every call, also when the user was disabled already (a SCIM write
    // may have flipped the flag in its own transaction first): no session can have signed in
    // while the user was disabled, so moving the epoch on never ends a session that should live.
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE users SET disabled = 1, deprovisioned_at = ?,"
                          " session_epoch = session_epoch + 1 WHERE id = ?"));
    s.bind(now, user_id);
    MCPGATE_TRY(s.run());
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("SELECT id FROM grants WHERE user_id = ? AND revoked_at IS NULL ORDER BY id"));
    s.bind(user_id);
    while (true) {
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        break;
      }
      out.grant_ids.push_back(s.text(0));
    }
  }
  // What revoke_grant does per grant, for all of the user's grants at once. The grants go first
  // (lock order grant, then token, as everywhere).
  constexpr std::string_view kUserGrants = "(SELECT id FROM grants WHERE user_id = ?)";
  const std::array<std::string, 3> updates = {
      "UPDATE grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
      "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND grant_id IN "
          + std::string(kUserGrants),
      "UPDATE authorization_codes SET consumed_at = ? WHERE consumed_at IS NULL AND grant_id IN "
          + std::string(kUserGrants),
  };
  for (const std::string& update : updates) {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(update));
    s.bind(now, user_id);
    MCPGATE_TRY(s.run());
  }
  MCPGATE_TRY(lock_revocation_list(c));
  {
    // Every unexpired access token of the user, also those of grants revoked before (a no-op for
    // them unless an entry was lost). The WHERE also settles SQLite's INSERT ... SELECT ... ON
    // CONFLICT parse.
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("INSERT INTO revoked_tokens (jti, expires_at, revoked_at)"
                          " SELECT a.jti, a.expires_at, ? FROM access_tokens a"
                          " JOIN grants g ON g.id = a.grant_id"
                          " WHERE g.user_id = ? AND a.expires_at > ?"
                          " ON CONFLICT (jti) DO NOTHING"));
    s.bind(now, user_id, now);
    MCPGATE_TRY(s.run());
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("SELECT r.seq, r.jti, r.expires_at FROM revoked_tokens r"
                          " JOIN access_tokens a ON a.jti = r.jti"
                          " JOIN grants g ON g.id = a.grant_id"
                          " WHERE g.user_id = ? AND a.expires_at > ? ORDER BY r.seq"));
    s.bind(user_id, now);
    while (true) {
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        break;
      }
      out.revoked.push_back(RevokedToken{s.integer(0), s.text(1), s.integer(2)});
    }
  }
  if (mode == DeprovisionMode::kDisable) {
    // The version moves so a refresh that read the row before fails its compare-and-set.
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE vault_connections SET suspended_at = ?, version = version + 1"
                          " WHERE user_id = ? AND suspended_at = 0"));
    s.bind(now, user_id);
    MCPGATE_TRY(s.run());
    out.vault_suspended = s.changes();
    return out;
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("DELETE FROM vault_refresh_leases WHERE connection_id IN"
                          " (SELECT id FROM vault_connections WHERE user_id = ?)"));
    s.bind(user_id);
    MCPGATE_TRY(s.run());
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("DELETE FROM vault_connections WHERE user_id = ?"));
    s.bind(user_id);
    MCPGATE_TRY(s.run());
    out.vault_deleted = s.changes();
  }
  // Grants (with their codes, refresh and access-token records) and consents cascade; the
  // revocation entries above stay until their tokens expire.
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("DELETE FROM users WHERE id = ?"));
  s.bind(user_id);
  MCPGATE_TRY(s.run());
  out.deleted = true;
  return out;
}

template <class Connection>
Result<ReactivationReport> reactivate_user(Connection& c, std::string_view user_id,
                                           std::string_view user_lock) {
  ReactivationReport out;
  out.user_id = std::string(user_id);
  MCPGATE_ASSIGN_OR_RETURN(out.was_disabled, lock_user_disabled(c, user_id, user_lock));
  if (out.was_disabled) {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("UPDATE users SET disabled = 0 WHERE id = ?"));
    s.bind(user_id);
    MCPGATE_TRY(s.run());
  }
  // Also when the user was enabled already: heals a user re-enabled through set_user_disabled.
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("UPDATE vault_connections SET suspended_at = 0, version = version + 1"
                        " WHERE user_id = ? AND suspended_at <> 0"));
  s.bind(user_id);
  MCPGATE_TRY(s.run());
  out.vault_resumed = s.changes();
  return out;
}

}  // namespace mcpgate::store::queries
