#pragma once
// The token vault's store operations, written once for both backends (as audit_pin_queries.hpp
// does): portable SQL, each operation a template over the backend's Connection and its Blob
// marker. The backend supplies the transaction (its write()/read() wrapper).
//
// Concurrency, both backends:
//  * update_vault_connection is one conditional UPDATE (WHERE id = ? AND version = ? and not
//    suspended): of two
//    writers that read the same version, exactly one moves it (the row lock orders them on
//    PostgreSQL; SQLite has one writer at a time).
//  * acquire_refresh_lease is one INSERT ... ON CONFLICT DO UPDATE ... WHERE (the lease is
//    free, expired, or already ours): the database decides atomically, so two processes racing
//    for the same connection cannot both be granted.
//  * add_vault_data_key demotes the previous active key and inserts the new one in the caller's
//    transaction; the partial unique index (one active key per tenant) and the primary key
//    (tenant, version) turn a racing creator into kAlreadyExists.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/vault_types.hpp"

namespace mcpgate::store::queries {

// Shape checks before any SQL runs (kInvalidArgument).
Status check_vault_data_key(const VaultDataKey& key);
Status check_vault_connection(const VaultConnection& connection);
Result<VaultConnectionStatus> parse_vault_connection_status(const std::string& text);

inline constexpr const char* kVaultConnectionColumns =
    "id, tenant, user_id, connector, status, expires_at, scopes, data_key_version, access_token,"
    " refresh_token, version, created_at, updated_at, connection_vars, suspended_at";
inline constexpr const char* kVaultDataKeyColumns =
    "tenant, version, wrapped, master_key_version, active, created_at, rewrapped_at";

template <class Statement>
Result<VaultConnection> read_vault_connection(const Statement& s) {
  VaultConnection c;
  c.id = s.text(0);
  c.tenant = s.text(1);
  c.user_id = s.text(2);
  c.connector = s.text(3);
  MCPGATE_ASSIGN_OR_RETURN(c.status, parse_vault_connection_status(s.text(4)));
  c.expires_at = s.integer(5);
  c.scopes = s.text(6);
  c.data_key_version = s.integer(7);
  c.access_token_sealed = s.blob(8);
  c.refresh_token_sealed = s.blob(9);
  c.version = s.integer(10);
  c.created_at = s.integer(11);
  c.updated_at = s.integer(12);
  c.connection_vars_sealed = s.blob(13);
  c.suspended_at = s.integer(14);
  return c;
}

template <class Statement>
VaultDataKey read_vault_data_key(const Statement& s) {
  VaultDataKey k;
  k.tenant = s.text(0);
  k.version = s.integer(1);
  k.wrapped = s.blob(2);
  k.master_key_version = s.integer(3);
  k.active = s.integer(4) != 0;
  k.created_at = s.integer(5);
  k.rewrapped_at = s.integer(6);
  return k;
}

template <class Connection>
Result<std::vector<VaultDataKey>> list_vault_data_keys(Connection& c, std::string_view tenant) {
  const std::string select = std::string("SELECT ") + kVaultDataKeyColumns + " FROM vault_data_keys";
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(tenant.empty()
                                                 ? select + " ORDER BY tenant, version"
                                                 : select + " WHERE tenant = ? ORDER BY version"));
  if (!tenant.empty()) {
    s.bind(tenant);
  }
  std::vector<VaultDataKey> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(read_vault_data_key(s));
  }
}

template <class Blob, class Connection>
Status add_vault_data_key(Connection& c, const VaultDataKey& key) {
  if (key.active) {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE vault_data_keys SET active = 0 WHERE tenant = ? AND active = 1"));
    s.bind(key.tenant);
    MCPGATE_TRY(s.run());
  }
  MCPGATE_ASSIGN_OR_RETURN(auto s,
                           c.prepare(std::string("INSERT INTO vault_data_keys (")
                                     + kVaultDataKeyColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)"));
  s.bind(key.tenant,
         key.version,
         Blob{key.wrapped},
         key.master_key_version,
         key.active ? 1 : 0,
         key.created_at,
         key.rewrapped_at);
  return s.run();
}

template <class Blob, class Connection>
Status rewrap_vault_data_key(Connection& c, std::string_view tenant, std::int64_t version,
                             std::int64_t expected_master_version, std::string_view wrapped,
                             std::int64_t master_key_version, Timestamp now) {
  if (wrapped.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "store: a wrapped data key is required");
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("UPDATE vault_data_keys SET wrapped = ?, master_key_version = ?,"
                  " rewrapped_at = ? WHERE tenant = ? AND version = ? AND master_key_version = ?"));
    s.bind(Blob{wrapped}, master_key_version, now, tenant, version, expected_master_version);
    MCPGATE_TRY(s.run());
    if (s.changes() == 1) {
      return {};
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT 1 FROM vault_data_keys WHERE tenant = ? AND version = ?"));
  s.bind(tenant, version);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: vault data key not found");
  }
  return make_error(ErrorCode::kFailedPrecondition,
                    "store: vault data key was re-wrapped by someone else; re-read it");
}

// `user_lock` (PostgreSQL " FOR SHARE", SQLite "") orders the insert against deprovision_user,
// which locks the same user row: a connection is either there to be suspended or refused.
template <class Blob, class Connection>
Status insert_vault_connection(Connection& c, const VaultConnection& v,
                               std::string_view user_lock) {
  {
    // A deprovisioned user cannot gain a connection. A user id with no users row (the vault's own
    // tests, a subject from elsewhere) has nothing to be deprovisioned by.
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("SELECT disabled FROM users WHERE id = ?" + std::string(user_lock)));
    s.bind(v.user_id);
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (row && s.integer(0) != 0) {
      return make_error(ErrorCode::kFailedPrecondition, "store: the user is disabled");
    }
  }
  // A new row is never suspended (suspended_at = 0).
  MCPGATE_ASSIGN_OR_RETURN(auto s,
                           c.prepare(std::string("INSERT INTO vault_connections (")
                                     + kVaultConnectionColumns
                                     + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 0)"));
  s.bind(v.id,
         v.tenant,
         v.user_id,
         v.connector,
         vault_connection_status_name(v.status),
         v.expires_at,
         v.scopes,
         v.data_key_version,
         Blob{v.access_token_sealed},
         Blob{v.refresh_token_sealed},
         v.created_at,
         v.updated_at,
         Blob{v.connection_vars_sealed});
  return s.run();
}

template <class Connection>
Result<VaultConnection> find_vault_connection(Connection& c, std::string_view tenant,
                                              std::string_view user_id,
                                              std::string_view connector) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare(std::string("SELECT ") + kVaultConnectionColumns
                + " FROM vault_connections WHERE tenant = ? AND user_id = ? AND connector = ?"));
  s.bind(tenant, user_id, connector);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: vault connection not found");
  }
  return read_vault_connection(s);
}

template <class Connection>
Result<std::vector<VaultConnection>> list_vault_connections(Connection& c,
                                                            std::string_view tenant,
                                                            std::string_view user_id) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare(std::string("SELECT ") + kVaultConnectionColumns
                + " FROM vault_connections WHERE tenant = ? AND user_id = ? ORDER BY connector"));
  s.bind(tenant, user_id);
  std::vector<VaultConnection> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    MCPGATE_ASSIGN_OR_RETURN(auto v, read_vault_connection(s));
    out.push_back(std::move(v));
  }
}

template <class Blob, class Connection>
Result<std::int64_t> update_vault_connection(Connection& c, const VaultConnection& v,
                                             std::int64_t expected_version) {
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("UPDATE vault_connections SET status = ?, expires_at = ?, scopes = ?,"
                  " data_key_version = ?, access_token = ?, refresh_token = ?, version = ?,"
                  " updated_at = ?, connection_vars = ? WHERE id = ? AND version = ?"
                  " AND suspended_at = 0"));
    s.bind(vault_connection_status_name(v.status),
           v.expires_at,
           v.scopes,
           v.data_key_version,
           Blob{v.access_token_sealed},
           Blob{v.refresh_token_sealed},
           expected_version + 1,
           v.updated_at,
           Blob{v.connection_vars_sealed},
           v.id,
           expected_version);
    MCPGATE_TRY(s.run());
    if (s.changes() == 1) {
      return expected_version + 1;
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(auto s,
                           c.prepare("SELECT suspended_at FROM vault_connections WHERE id = ?"));
  s.bind(v.id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: vault connection not found");
  }
  if (s.integer(0) != 0) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "store: vault connection is suspended (its user is deprovisioned)");
  }
  return make_error(ErrorCode::kFailedPrecondition,
                    "store: vault connection changed since it was read; re-read it");
}

template <class Connection>
Status delete_vault_connection(Connection& c, std::string_view tenant, std::string_view user_id,
                               std::string_view connector) {
  // The lease goes first explicitly as well: the cascade needs foreign keys on, which every
  // SQLite connection of ours has, but the store should not depend on it for correctness.
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("DELETE FROM vault_refresh_leases WHERE connection_id IN (SELECT id FROM"
                  " vault_connections WHERE tenant = ? AND user_id = ? AND connector = ?)"));
    s.bind(tenant, user_id, connector);
    MCPGATE_TRY(s.run());
  }
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("DELETE FROM vault_connections WHERE tenant = ? AND user_id = ? AND connector = ?"));
  s.bind(tenant, user_id, connector);
  MCPGATE_TRY(s.run());
  if (s.changes() == 0) {
    return make_error(ErrorCode::kNotFound, "store: vault connection not found");
  }
  return {};
}

template <class Connection>
Result<std::vector<VaultKeyUsage>> vault_key_usage(Connection& c) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("SELECT tenant, data_key_version, COUNT(*) FROM vault_connections"
                " GROUP BY tenant, data_key_version ORDER BY tenant, data_key_version"));
  std::vector<VaultKeyUsage> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(VaultKeyUsage{s.text(0), s.integer(1), s.integer(2)});
  }
}

template <class Connection>
Result<std::int64_t> count_vault_connections_not_under(Connection& c, std::string_view tenant,
                                                       std::int64_t data_key_version) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("SELECT COUNT(*) FROM vault_connections WHERE tenant = ?"
                " AND data_key_version <> ?"));
  s.bind(tenant, data_key_version);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  return row ? s.integer(0) : 0;
}

template <class Connection>
Result<RefreshLease> acquire_refresh_lease(Connection& c, std::string_view connection_id,
                                           std::string_view holder, Timestamp now,
                                           Timestamp ttl_s) {
  if (holder.empty() || ttl_s < 1 || connection_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a refresh lease needs a connection, a holder and a ttl >= 1 s");
  }
  {
    // A missing connection would be a foreign-key failure; say so plainly instead.
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT 1 FROM vault_connections WHERE id = ?"));
    s.bind(connection_id);
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "store: refresh lease for a connection that does not exist");
    }
  }
  const Timestamp until = now + ttl_s;
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("INSERT INTO vault_refresh_leases (connection_id, holder, expires_at)"
                  " VALUES (?, ?, ?) ON CONFLICT (connection_id) DO UPDATE SET"
                  " holder = excluded.holder, expires_at = excluded.expires_at"
                  " WHERE vault_refresh_leases.expires_at <= ?"
                  " OR vault_refresh_leases.holder = excluded.holder"));
    s.bind(connection_id, holder, until, now);
    MCPGATE_TRY(s.run());
    if (s.changes() == 1) {
      return RefreshLease{true, std::string(holder), until};
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("SELECT holder, expires_at FROM vault_refresh_leases WHERE connection_id = ?"));
  s.bind(connection_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kInternal, "store: refresh lease vanished");
  }
  return RefreshLease{false, s.text(0), s.integer(1)};
}

template <class Connection>
Status release_refresh_lease(Connection& c, std::string_view connection_id,
                             std::string_view holder) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("DELETE FROM vault_refresh_leases WHERE connection_id = ? AND holder = ?"));
  s.bind(connection_id, holder);
  MCPGATE_TRY(s.run());
  if (s.changes() == 0) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "store: the refresh lease is not held by this holder (expired and taken"
                      " over, or never acquired)");
  }
  return {};
}

}  // namespace mcpgate::store::queries
