#include "store/schema.hpp"

#include <string_view>

namespace mcpgate::store {
namespace {

// {BLOB} and {SEQ} are replaced per dialect; everything else is common SQL.
constexpr std::string_view kInitial = R"sql(
CREATE TABLE store_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE clients (
  client_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('static', 'dcr', 'cimd')),
  metadata TEXT NOT NULL,
  secret_hash {BLOB},
  secret_expires_at BIGINT NOT NULL DEFAULT 0,
  registration_token_hash {BLOB},
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX clients_kind ON clients (kind);
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  resource TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_client ON grants (client_id);
CREATE TABLE authorization_codes (
  code_hash {BLOB} PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  code_challenge_method TEXT NOT NULL,
  scope TEXT NOT NULL,
  resource TEXT NOT NULL,
  extra TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT
);
CREATE INDEX authorization_codes_grant ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
CREATE TABLE refresh_tokens (
  token_hash {BLOB} PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
  parent_hash {BLOB} UNIQUE,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  resource TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  family_expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_family_expires ON refresh_tokens (family_expires_at);
CREATE TABLE access_tokens (
  jti TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);
CREATE TABLE revoked_tokens (
  seq {SEQ},
  jti TEXT NOT NULL UNIQUE,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);
CREATE TABLE consents (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  resource TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client ON consents (client_id);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  private_key_sealed {BLOB} NOT NULL,
  public_jwk TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
  created_at BIGINT NOT NULL,
  activated_at BIGINT,
  retired_at BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
CREATE TABLE cimd_documents (
  url TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  fetched_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX cimd_documents_expires ON cimd_documents (expires_at)
)sql";

// Version 2: persistence for the fine-grained authorization engine. "user" is reserved in
// PostgreSQL, hence user_ref.
constexpr std::string_view kAuthz = R"sql(
CREATE TABLE authz_models (
  store_id TEXT NOT NULL,
  id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  model TEXT NOT NULL,
  PRIMARY KEY (store_id, id)
);
CREATE TABLE authz_revisions (
  store_id TEXT PRIMARY KEY,
  revision BIGINT NOT NULL
);
CREATE TABLE authz_tuples (
  store_id TEXT NOT NULL,
  object TEXT NOT NULL,
  relation TEXT NOT NULL,
  user_ref TEXT NOT NULL,
  condition_name TEXT NOT NULL,
  condition_context TEXT NOT NULL,
  revision BIGINT NOT NULL,
  PRIMARY KEY (store_id, object, relation, user_ref)
);
CREATE INDEX authz_tuples_user ON authz_tuples (store_id, user_ref, relation);
CREATE TABLE authz_changes (
  store_id TEXT NOT NULL,
  revision BIGINT NOT NULL,
  ordinal BIGINT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('write', 'delete')),
  object TEXT NOT NULL,
  relation TEXT NOT NULL,
  user_ref TEXT NOT NULL,
  condition_name TEXT NOT NULL,
  condition_context TEXT NOT NULL,
  changed_at BIGINT NOT NULL,
  PRIMARY KEY (store_id, revision, ordinal)
)
)sql";

// PostgreSQL only: every write other replicas must learn about promptly sends a notification
// on channel mcpgate_changes, payload "<schema>/<topic>" (replicas in other schemas of the same
// database ignore it). Triggers rather than calls in the store's code, so writes made by any
// process (the CLI too) notify. NOTIFY is transactional: delivered at commit, never for a
// rolled-back write, and repeats within one transaction are folded into one.
constexpr std::string_view kChangeNotifications = R"sql(
CREATE FUNCTION mcpgate_notify_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('mcpgate_changes', current_schema() || '/' || TG_ARGV[0]);
  RETURN NULL;
END
$fn$;
CREATE TRIGGER revoked_tokens_notify AFTER INSERT ON revoked_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION mcpgate_notify_change('revocations');
CREATE TRIGGER authz_changes_notify AFTER INSERT ON authz_changes
  FOR EACH STATEMENT EXECUTE FUNCTION mcpgate_notify_change('authz');
CREATE TRIGGER authz_models_notify AFTER INSERT ON authz_models
  FOR EACH STATEMENT EXECUTE FUNCTION mcpgate_notify_change('authz');
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
  FOR EACH STATEMENT EXECUTE FUNCTION mcpgate_notify_change('keys')
)sql";

// Version 4: the tamper-evident audit log and tool pins. The audit chain's order lives in
// seq, assigned by the writer (the record text carries it and is hashed with it), so seq is a
// plain primary key rather than an identity: a second writer that chained onto the same tail
// collides on it and re-chains. Pins keep "no pending change" as '' / 0 rather than NULL, as
// the record types do.
constexpr std::string_view kAuditAndPins = R"sql(
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  record TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE tool_pins (
  upstream TEXT NOT NULL,
  tool TEXT NOT NULL,
  hash TEXT NOT NULL,
  definition TEXT NOT NULL,
  pending_hash TEXT NOT NULL,
  pending_definition TEXT NOT NULL,
  approved_at BIGINT NOT NULL,
  approved_by TEXT NOT NULL,
  pending_since BIGINT NOT NULL,
  PRIMARY KEY (upstream, tool)
)
)sql";

// Version 5: the token vault (src/vault). Only wrapped data keys and sealed token fields are
// stored; the columns beside them are what the gate must read without opening anything
// (status, expiry, scopes, which key sealed the row). Leases make token refresh single-flight
// across processes; deleting a connection drops its lease.
constexpr std::string_view kVault = R"sql(
CREATE TABLE vault_data_keys (
  tenant TEXT NOT NULL,
  version BIGINT NOT NULL,
  wrapped {BLOB} NOT NULL,
  master_key_version BIGINT NOT NULL,
  active INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  rewrapped_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, version)
);
CREATE UNIQUE INDEX vault_data_keys_one_active ON vault_data_keys (tenant) WHERE active = 1;
CREATE TABLE vault_connections (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  user_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'needs_reconsent')),
  expires_at BIGINT NOT NULL,
  scopes TEXT NOT NULL,
  data_key_version BIGINT NOT NULL,
  access_token {BLOB} NOT NULL,
  refresh_token {BLOB} NOT NULL,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant, user_id, connector)
);
CREATE TABLE vault_refresh_leases (
  connection_id TEXT PRIMARY KEY REFERENCES vault_connections (id) ON DELETE CASCADE,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
)
)sql";

// Version 6: connection variables (src/connectors: values from the token response such as
// Salesforce's instance_url), sealed by the vault like the tokens. Rows from before have none
// (the empty blob) and must be reconnected by connectors that declare variables.
constexpr std::string_view kVaultConnectionVarsSqlite =
    "ALTER TABLE vault_connections ADD COLUMN connection_vars BLOB NOT NULL DEFAULT X''";
constexpr std::string_view kVaultConnectionVarsPostgres =
    "ALTER TABLE vault_connections ADD COLUMN connection_vars BYTEA NOT NULL DEFAULT ''::bytea";

// Version 7: organizations (tenants). Every user belongs to one; the default organization is
// created here and holds every user from before. Usernames become unique per organization.
// SQLite cannot drop the old UNIQUE (username_key) constraint, so users is rebuilt: the SQLite
// migration runs with foreign-key enforcement off (sqlite_store.cpp `migrate`), which keeps the
// DROP from cascading into grants and consents, whose REFERENCES users then name the new table;
// `PRAGMA foreign_key_check` runs before the commit.
constexpr std::string_view kOrganizationsCommon = R"sql(
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
INSERT INTO organizations (id, name, settings, created_at) VALUES ('default', 'Default', '{}', {NOW})
)sql";
constexpr std::string_view kOrganizationsSqliteUsers = R"sql(
CREATE TABLE users_v7 (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  org_id TEXT NOT NULL DEFAULT 'default' REFERENCES organizations (id),
  UNIQUE (org_id, username_key)
);
INSERT INTO users_v7 (id, username, username_key, password_hash, disabled, created_at, org_id)
  SELECT id, username, username_key, password_hash, disabled, created_at, 'default' FROM users;
DROP TABLE users;
ALTER TABLE users_v7 RENAME TO users
)sql";
// PostgreSQL named the version-1 constraint <table>_<column>_key.
constexpr std::string_view kOrganizationsPostgresUsers = R"sql(
ALTER TABLE users ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default' REFERENCES organizations (id);
ALTER TABLE users DROP CONSTRAINT users_username_key_key;
ALTER TABLE users ADD CONSTRAINT users_org_username_key UNIQUE (org_id, username_key)
)sql";

std::string organizations_migration(Dialect dialect) {
  std::string sql(kOrganizationsCommon);
  const std::string_view now = dialect == Dialect::kSqlite
                                   ? "CAST(strftime('%s', 'now') AS INTEGER)"
                                   : "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)";
  sql.replace(sql.find("{NOW}"), 5, now);
  sql += ";";
  sql += dialect == Dialect::kSqlite ? kOrganizationsSqliteUsers : kOrganizationsPostgresUsers;
  return sql;
}

// Version 8: SCIM provisioning (src/provision). A directory's token is stored as its hash. A
// SCIM user shares its id with the gate user it is (deleting the gate user deletes the row);
// user_name_key / display_name_key hold the lower-cased names, unique per organization and the
// columns `userName eq` / `displayName eq` filters use. `resource` is the whole SCIM document
// (JSONB in PostgreSQL, for the filters' JSON functions). Members reference both sides, so a
// deleted user or group takes its memberships along (their tuples are deleted by the store op).
constexpr std::string_view kScim = R"sql(
CREATE TABLE scim_directories (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  name TEXT NOT NULL,
  token_hash {BLOB} NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX scim_directories_org ON scim_directories (org_id);
CREATE TABLE scim_users (
  id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  user_name TEXT NOT NULL,
  user_name_key TEXT NOT NULL,
  external_id TEXT,
  active INTEGER NOT NULL,
  resource {JSON} NOT NULL,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  last_modified BIGINT NOT NULL,
  UNIQUE (org_id, user_name_key)
);
CREATE INDEX scim_users_external_id ON scim_users (org_id, external_id);
CREATE TABLE scim_groups (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  display_name TEXT NOT NULL,
  display_name_key TEXT NOT NULL,
  external_id TEXT,
  resource {JSON} NOT NULL,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  last_modified BIGINT NOT NULL,
  UNIQUE (org_id, display_name_key)
);
CREATE INDEX scim_groups_external_id ON scim_groups (org_id, external_id);
CREATE TABLE scim_group_members (
  group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES scim_users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (user_id)
)sql";

// Version 9, SSO (src/oauth sso_*): a user's account at an organization's identity provider, keyed by
// (org_id, issuer, subject) and never by email (ATTACKS row 64). Deleting the user deletes the
// link.
constexpr std::string_view kSsoIdentities = R"sql(
CREATE TABLE sso_identities (
  org_id TEXT NOT NULL REFERENCES organizations (id),
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  groups_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_login_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id)
)sql";

// Version 10: deprovisioning (Store::deprovision_user). users.deprovisioned_at: when the user was
// last deactivated; users.session_epoch: how many times (browser sessions that signed in under
// an older count stay dead after a reactivation);
// vault_connections.suspended_at: a deactivated user's connections are kept but unusable until
// reactivation (0 = not suspended; an index, since deprovisioning finds them by user across
// tenants). On PostgreSQL a change of a user's enabled state notifies the replicas (topic
// "users"), which drop what they cached about that user's vault connections.
constexpr std::string_view kDeprovisioningCommon = R"sql(
ALTER TABLE users ADD COLUMN deprovisioned_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE vault_connections ADD COLUMN suspended_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX vault_connections_user ON vault_connections (user_id)
)sql";
constexpr std::string_view kDeprovisioningPostgres = R"sql(;
CREATE TRIGGER users_notify AFTER UPDATE OF disabled OR DELETE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION mcpgate_notify_change('users')
)sql";

// Version 11: audit search (the admin API's searchAudit). Index columns beside each record,
// filled by the store from the record's own members when it is appended (audit_pin_queries.hpp)
// and here for the records already stored; the record text and hash — the chain — are not
// touched. A search filters on these instead of parsing JSON, newest first within an
// organization: (org_id, seq) serves the plain listing, (org_id, user_id, seq) a user's
// records. A record that is not JSON (only possible by editing the table) gets no index values:
// it matches no search, and the chain verification reports it.
constexpr std::string_view kAuditIndexCommon = R"sql(
ALTER TABLE audit_log ADD COLUMN org_id TEXT;
ALTER TABLE audit_log ADD COLUMN user_id TEXT;
ALTER TABLE audit_log ADD COLUMN client_id TEXT;
ALTER TABLE audit_log ADD COLUMN tool TEXT;
ALTER TABLE audit_log ADD COLUMN decision TEXT;
ALTER TABLE audit_log ADD COLUMN time_ms BIGINT;
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
CREATE INDEX audit_log_org_user ON audit_log (org_id, user_id, seq);
)sql";
constexpr std::string_view kAuditIndexSqlite = R"sql(
UPDATE audit_log SET
  org_id = json_extract(record, '$.org'), user_id = json_extract(record, '$.user'),
  client_id = json_extract(record, '$.client_id'), tool = json_extract(record, '$.tool'),
  decision = json_extract(record, '$.decision'), time_ms = json_extract(record, '$.time_ms')
  WHERE json_valid(record)
)sql";
constexpr std::string_view kAuditIndexPostgres = R"sql(
CREATE FUNCTION mcpgate_try_jsonb(t TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
  RETURN t::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$fn$;
UPDATE audit_log SET
  org_id = j ->> 'org', user_id = j ->> 'user', client_id = j ->> 'client_id',
  tool = j ->> 'tool', decision = j ->> 'decision',
  time_ms = CASE WHEN jsonb_typeof(j -> 'time_ms') = 'number' THEN (j ->> 'time_ms')::BIGINT END
  FROM (SELECT seq AS s, mcpgate_try_jsonb(record) AS j FROM audit_log) parsed
  WHERE audit_log.seq = parsed.s AND jsonb_typeof(parsed.j) = 'object';
DROP FUNCTION mcpgate_try_jsonb(TEXT)
)sql";

// Version 12: approvals of destructive admin calls (src/admin/approvals.hpp) for MCP clients
// that cannot elicit, in the store so every replica sees the same approval and only one can
// use it. Looked up by binding (the call's hash) when the call is repeated.
constexpr std::string_view kAdminApprovals = R"sql(
CREATE TABLE admin_approvals (
  id TEXT PRIMARY KEY,
  binding TEXT NOT NULL,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  arguments TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  decided_at BIGINT NOT NULL DEFAULT 0,
  used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX admin_approvals_binding ON admin_approvals (binding, state)
)sql";

// Version 13: fewer B-trees written per token refresh (docs/BENCHMARKS.md "OAuth"). Every
// index on a table the refresh writes is one more page in the WAL per refresh, and on SQLite one
// more page a reader re-reads after the write.
// * refresh_tokens_family_expires was used by nothing: the purge's condition ORs in an unindexed
//   column, so both SQLite and PostgreSQL scan the table for it anyway.
constexpr std::string_view kLeanTokenIndexesCommon = R"sql(
DROP INDEX refresh_tokens_family_expires
)sql";
// * SQLite: access_tokens keyed by (grant_id, jti) WITHOUT ROWID: the row lives in the grant's
//   key range, so the rowid table, the jti index and the grant index (three B-trees) become one.
//   Every query on the table names the grant (revocation, deprovisioning, the admin listing),
//   or the expiry (the purge, which keeps its index). A jti is 128 random bits: unique without
//   an index of its own. PostgreSQL keeps its heap and indexes (no rowid tables there).
constexpr std::string_view kLeanTokenIndexesSqlite = R"sql(;
CREATE TABLE access_tokens_v13 (
  jti TEXT NOT NULL,
  grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (grant_id, jti)
) WITHOUT ROWID;
INSERT INTO access_tokens_v13 (jti, grant_id, client_id, issued_at, expires_at)
  SELECT jti, grant_id, client_id, issued_at, expires_at FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_v13 RENAME TO access_tokens;
CREATE INDEX access_tokens_expires ON access_tokens (expires_at)
)sql";

std::string render(std::string_view sql, Dialect dialect) {
  const std::string_view blob = dialect == Dialect::kSqlite ? "BLOB" : "BYTEA";
  const std::string_view json = dialect == Dialect::kSqlite ? "TEXT" : "JSONB";
  const std::string_view seq = dialect == Dialect::kSqlite
                                   ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                   : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    if (sql.substr(i, 6) == "{BLOB}") {
      out += blob;
      i += 6;
    } else if (sql.substr(i, 6) == "{JSON}") {
      out += json;
      i += 6;
    } else if (sql.substr(i, 5) == "{SEQ}") {
      out += seq;
      i += 5;
    } else {
      out += sql[i++];
    }
  }
  return out;
}

}  // namespace

std::vector<Migration> migrations(Dialect dialect) {
  return {
      Migration{1, "initial schema", render(kInitial, dialect)},
      Migration{2, "authorization models, tuples and change log", render(kAuthz, dialect)},
      // SQLite has one writer process and no notifications: nothing to run, the version is
      // recorded so both dialects count alike.
      Migration{3, "change notifications",
                dialect == Dialect::kPostgres ? std::string(kChangeNotifications) : std::string()},
      Migration{4, "audit log and tool pins", render(kAuditAndPins, dialect)},
      Migration{5, "token vault", render(kVault, dialect)},
      Migration{6, "vault connection variables",
                std::string(dialect == Dialect::kSqlite ? kVaultConnectionVarsSqlite
                                                        : kVaultConnectionVarsPostgres)},
      Migration{7, "organizations", organizations_migration(dialect)},
      Migration{8, "scim provisioning", render(kScim, dialect)},
      Migration{9, "sso identities", render(kSsoIdentities, dialect)},
      Migration{10, "deprovisioning",
                std::string(kDeprovisioningCommon)
                    + (dialect == Dialect::kPostgres ? std::string(kDeprovisioningPostgres)
                                                     : std::string())},
      Migration{11, "audit search columns",
                std::string(kAuditIndexCommon)
                    + (dialect == Dialect::kPostgres ? std::string(kAuditIndexPostgres)
                                                     : std::string(kAuditIndexSqlite))},
      Migration{12, "admin approvals", render(kAdminApprovals, dialect)},
      Migration{13, "lean token indexes",
                std::string(kLeanTokenIndexesCommon)
                    + (dialect == Dialect::kSqlite ? std::string(kLeanTokenIndexesSqlite)
                                                   : std::string())},
  };
}

}  // namespace mcpgate::store
