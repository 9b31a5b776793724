#include "store/sqlite_store.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <array>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "crypto/hash.hpp"
#include "store/admin_queries.hpp"
#include "store/admin_approval_queries.hpp"
#include "store/client_queries.hpp"
#include "store/audit_pin_queries.hpp"
#include "store/deprovision_queries.hpp"
#include "store/scim_queries.hpp"
#include "store/sso_queries.hpp"
#include "store/vault_queries.hpp"
#include "store/schema.hpp"
#include "store/sqlite_checkpointer.hpp"
#include "store/sqlite_db.hpp"

namespace mcpgate::store {

const char* client_kind_name(ClientKind kind) {
  switch (kind) {
    case ClientKind::kStatic:
      return "static";
    case ClientKind::kDcr:
      return "dcr";
    case ClientKind::kCimd:
      return "cimd";
  }
  return "dcr";
}

const char* key_state_name(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kActive:
      return "active";
    case KeyState::kRetired:
      return "retired";
  }
  return "next";
}

namespace {

using sqlite::Blob;
using sqlite::Connection;
using sqlite::Null;
using sqlite::Statement;

constexpr std::size_t kHashBytes = 32;
// Consumed codes are kept this long past expiry so a late replay still finds (and revokes)
// its grant; revoked grants are kept this long before their rows are deleted.
constexpr Timestamp kCodeRetention = Timestamp{24} * 3600;
constexpr Timestamp kRevokedGrantRetention = Timestamp{24} * 3600;
constexpr std::string_view kSigningKeyPurpose = "store/signing-keys";
constexpr const char* kFingerprintName = "master_key_fingerprint";

// --- small helpers ---------------------------------------------------------------------------

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, "store: " + std::move(message));
}

Error not_found(const char* what) {
  return make_error(ErrorCode::kNotFound, std::string("store: ") + what + " not found");
}

Error precondition(std::string message) {
  return make_error(ErrorCode::kFailedPrecondition, "store: " + std::move(message));
}

Error corrupt(const char* what) {
  return make_error(ErrorCode::kInternal, std::string("store: unreadable ") + what + " row");
}

Status check_hash(std::string_view hash, const char* what) {
  if (hash.size() != kHashBytes) {
    return invalid(std::string(what) + " must be a 32-byte hash (use store::hash_secret)");
  }
  return {};
}

// An optional hash: "" is stored as NULL.
Result<std::optional<std::string>> optional_hash(std::string_view hash, const char* what) {
  if (hash.empty()) {
    return std::optional<std::string>();
  }
  MCPGATE_TRY(check_hash(hash, what));
  return std::optional<std::string>(std::string(hash));
}

std::string username_key(std::string_view username) {
  std::string key(username);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return key;
}

Result<std::string> dump_json(const nlohmann::json& value) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception&) {
    return invalid("JSON holds a string that is not UTF-8");
  }
}

Result<nlohmann::json> parse_stored_json(const std::string& text, const char* what) {
  auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return corrupt(what);
  }
  return value;
}

Result<ClientKind> parse_kind(const std::string& text) {
  if (text == "static") {
    return ClientKind::kStatic;
  }
  if (text == "dcr") {
    return ClientKind::kDcr;
  }
  if (text == "cimd") {
    return ClientKind::kCimd;
  }
  return corrupt("client");
}

Result<KeyState> parse_state(const std::string& text) {
  if (text == "next") {
    return KeyState::kNext;
  }
  if (text == "active") {
    return KeyState::kActive;
  }
  if (text == "retired") {
    return KeyState::kRetired;
  }
  return corrupt("signing key");
}

std::string signing_key_aad(std::string_view kid) {
  return "mcpgate signing_key:" + std::string(kid);
}

// --- SQL (portable: '?' placeholders become $n for PostgreSQL) --------------------------------

constexpr const char* kUserColumns = "id, username, password_hash, disabled, created_at, org_id,"
    " deprovisioned_at, session_epoch";
constexpr const char* kOrganizationColumns = "id, name, settings, created_at";
constexpr const char* kClientColumns =
    "client_id, kind, metadata, secret_hash, secret_expires_at, registration_token_hash, "
    "disabled, created_at";
constexpr const char* kGrantColumns =
    "id, user_id, client_id, scope, resource, created_at, revoked_at";
constexpr const char* kCodeColumns =
    "c.code_hash, c.grant_id, c.client_id, c.user_id, c.redirect_uri, c.code_challenge, "
    "c.code_challenge_method, c.scope, c.resource, c.extra, c.created_at, c.expires_at, "
    "c.consumed_at";
constexpr const char* kRefreshColumns =
    "rt.token_hash, rt.grant_id, rt.parent_hash, rt.client_id, rt.scope, rt.resource, "
    "rt.created_at, rt.expires_at, rt.family_expires_at, rt.used_at, rt.revoked_at";

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto p : parts) {
    out += p;
  }
  return out;
}

const std::string kSelectUserById = sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?"});
const std::string kSelectUserByKey =
    sql({"SELECT ", kUserColumns, " FROM users WHERE org_id = ? AND username_key = ?"});
const std::string kSelectOrganization =
    sql({"SELECT ", kOrganizationColumns, " FROM organizations WHERE id = ?"});
const std::string kSelectOrganizations =
    sql({"SELECT ", kOrganizationColumns, " FROM organizations ORDER BY id"});
const std::string kSelectOrgUsersPage = sql(
    {"SELECT ", kUserColumns, " FROM users WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?"});
const std::string kSelectClientsPage =
    sql({"SELECT ", kClientColumns, " FROM clients WHERE client_id > ? ORDER BY client_id LIMIT ?"});
const std::string kSelectClient =
    sql({"SELECT ", kClientColumns, " FROM clients WHERE client_id = ?"});
const std::string kSelectGrant = sql({"SELECT ", kGrantColumns, " FROM grants WHERE id = ?"});
const std::string kSelectUserGrants =
    sql({"SELECT ",
         kGrantColumns,
         " FROM grants WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id"});
const std::string kSelectCodeForUpdate =
    sql({"SELECT ",
         kCodeColumns,
         ", g.revoked_at, u.disabled, cl.disabled FROM authorization_codes c"
         " JOIN grants g ON g.id = c.grant_id"
         " JOIN users u ON u.id = g.user_id"
         " JOIN clients cl ON cl.client_id = g.client_id"
         " WHERE c.code_hash = ?"});
const std::string kSelectRefresh =
    sql({"SELECT ", kRefreshColumns, " FROM refresh_tokens rt WHERE rt.token_hash = ?"});
const std::string kSelectRefreshForUpdate =
    sql({"SELECT ",
         kRefreshColumns,
         ", g.revoked_at, u.disabled, c.disabled, g.user_id, u.org_id FROM refresh_tokens rt"
         " JOIN grants g ON g.id = rt.grant_id"
         " JOIN users u ON u.id = g.user_id"
         " JOIN clients c ON c.client_id = g.client_id"
         " WHERE rt.token_hash = ?"});

constexpr const char* kInsertRefresh =
    "INSERT INTO refresh_tokens (token_hash, grant_id, parent_hash, client_id, scope, resource,"
    " created_at, expires_at, family_expires_at, used_at, revoked_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kInsertRevokedJti =
    "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES (?, ?, ?)"
    " ON CONFLICT (jti) DO NOTHING";

// --- row readers (column order as in the constants above) -------------------------------------

User read_user(const Statement& s) {
  User u;
  u.id = s.text(0);
  u.username = s.text(1);
  u.password_hash = s.text(2);
  u.disabled = s.integer(3) != 0;
  u.created_at = s.integer(4);
  u.org_id = s.text(5);
  u.deprovisioned_at = s.integer(6);
  u.session_epoch = s.integer(7);
  return u;
}

Result<Organization> read_organization(const Statement& s) {
  Organization o;
  o.id = s.text(0);
  o.name = s.text(1);
  MCPGATE_ASSIGN_OR_RETURN(o.settings, parse_stored_json(s.text(2), "organization"));
  if (!o.settings.is_object()) {
    return corrupt("organization");
  }
  o.created_at = s.integer(3);
  return o;
}

Result<Client> read_client(const Statement& s) {
  Client c;
  c.client_id = s.text(0);
  MCPGATE_ASSIGN_OR_RETURN(c.kind, parse_kind(s.text(1)));
  MCPGATE_ASSIGN_OR_RETURN(c.metadata, parse_stored_json(s.text(2), "client"));
  c.secret_hash = s.blob(3);
  c.secret_expires_at = s.integer(4);
  c.registration_token_hash = s.blob(5);
  c.disabled = s.integer(6) != 0;
  c.created_at = s.integer(7);
  return c;
}

Grant read_grant(const Statement& s) {
  Grant g;
  g.id = s.text(0);
  g.user_id = s.text(1);
  g.client_id = s.text(2);
  g.scope = s.text(3);
  g.resource = s.text(4);
  g.created_at = s.integer(5);
  g.revoked_at = s.optional_integer(6);
  return g;
}

Result<AuthorizationCode> read_code(const Statement& s) {
  AuthorizationCode c;
  c.code_hash = s.blob(0);
  c.grant_id = s.text(1);
  c.client_id = s.text(2);
  c.user_id = s.text(3);
  c.redirect_uri = s.text(4);
  c.code_challenge = s.text(5);
  c.code_challenge_method = s.text(6);
  c.scope = s.text(7);
  c.resource = s.text(8);
  MCPGATE_ASSIGN_OR_RETURN(c.extra, parse_stored_json(s.text(9), "authorization code"));
  c.created_at = s.integer(10);
  c.expires_at = s.integer(11);
  c.consumed_at = s.optional_integer(12);
  return c;
}

RefreshToken read_refresh(const Statement& s) {
  RefreshToken t;
  t.token_hash = s.blob(0);
  t.grant_id = s.text(1);
  t.parent_hash = s.blob(2);
  t.client_id = s.text(3);
  t.scope = s.text(4);
  t.resource = s.text(5);
  t.created_at = s.integer(6);
  t.expires_at = s.integer(7);
  t.family_expires_at = s.integer(8);
  t.used_at = s.optional_integer(9);
  t.revoked_at = s.optional_integer(10);
  return t;
}

std::optional<std::string> nonempty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// --- statements shared by several operations ---------------------------------------------------

Status insert_refresh(Connection& c, const RefreshToken& t) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kInsertRefresh));
  const std::optional<std::string> parent = nonempty(t.parent_hash);
  if (parent) {
    s.bind(Blob{t.token_hash},
           t.grant_id,
           Blob{*parent},
           t.client_id,
           t.scope,
           t.resource,
           t.created_at,
           t.expires_at,
           t.family_expires_at,
           t.used_at,
           t.revoked_at);
  } else {
    s.bind(Blob{t.token_hash},
           t.grant_id,
           Null{},
           t.client_id,
           t.scope,
           t.resource,
           t.created_at,
           t.expires_at,
           t.family_expires_at,
           t.used_at,
           t.revoked_at);
  }
  return s.run();
}

// Revokes one grant inside the caller's transaction; returns the revocation-list entries of
// its unexpired access tokens.
Result<std::vector<RevokedToken>> revoke_grant_in(Connection& c,
                                                  std::string_view grant_id,
                                                  Timestamp now) {
  {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT 1 FROM grants WHERE id = ?"));
    s.bind(grant_id);
    MCPGATE_ASSIGN_OR_RETURN(const bool found, s.step());
    if (!found) {
      return not_found("grant");
    }
  }
  const std::array<const char*, 3> updates = {
      "UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      "UPDATE refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
      "UPDATE authorization_codes SET consumed_at = ? WHERE grant_id = ? AND consumed_at IS NULL",
  };
  for (const char* update : updates) {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(update));
    s.bind(now, grant_id);
    MCPGATE_TRY(s.run());
  }
  {
    // The WHERE clause also settles SQLite's INSERT ... SELECT ... ON CONFLICT parse.
    MCPGATE_ASSIGN_OR_RETURN(auto s,
                             c.prepare("INSERT INTO revoked_tokens (jti, expires_at, revoked_at)"
                                       " SELECT jti, expires_at, ? FROM access_tokens"
                                       " WHERE grant_id = ? AND expires_at > ?"
                                       " ON CONFLICT (jti) DO NOTHING"));
    s.bind(now, grant_id, now);
    MCPGATE_TRY(s.run());
  }
  std::vector<RevokedToken> out;
  MCPGATE_ASSIGN_OR_RETURN(auto s,
                           c.prepare("SELECT r.seq, r.jti, r.expires_at FROM revoked_tokens r"
                                     " JOIN access_tokens a ON a.jti = r.jti"
                                     " WHERE a.grant_id = ? AND a.expires_at > ? ORDER BY r.seq"));
  s.bind(grant_id, now);
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      break;
    }
    out.push_back(RevokedToken{s.integer(0), s.text(1), s.integer(2)});
  }
  return out;
}

Result<std::vector<std::string>> select_ids(Connection& c,
                                            const char* query,
                                            std::string_view key) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(query));
  s.bind(key);
  std::vector<std::string> ids;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return ids;
    }
    ids.push_back(s.text(0));
  }
}

Result<std::vector<RevokedToken>> revoke_grants_in(Connection& c,
                                                   const std::vector<std::string>& grant_ids,
                                                   Timestamp now) {
  std::vector<RevokedToken> all;
  for (const auto& id : grant_ids) {
    MCPGATE_ASSIGN_OR_RETURN(auto some, revoke_grant_in(c, id, now));
    all.insert(
        all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  return all;
}

// --- authorization tuples --------------------------------------------------------------------

constexpr const char* kAuthzTupleColumns =
    "object, relation, user_ref, condition_name, condition_context, revision";

std::string tuple_text(const AuthzTuple& t) { return t.object + "#" + t.relation + "@" + t.user; }

// Code points, as substr() counts them in both SQLite and PostgreSQL.
std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

Status check_tuple_batch(std::string_view store_id,
                         const std::vector<AuthzTuple>& writes,
                         const std::vector<AuthzTuple>& deletes) {
  if (store_id.empty()) {
    return invalid("store_id is required");
  }
  if (writes.empty() && deletes.empty()) {
    return invalid("a tuple write needs at least one write or delete");
  }
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto* list : {&writes, &deletes}) {
    for (const AuthzTuple& t : *list) {
      if (t.object.empty() || t.relation.empty() || t.user.empty()) {
        return invalid("a tuple needs object, relation and user");
      }
      if (!seen.emplace(t.object, t.relation, t.user).second) {
        return invalid("tuple appears twice in one write: " + tuple_text(t));
      }
    }
  }
  return {};
}

StoredAuthzTuple read_tuple_row(const Statement& s) {
  return StoredAuthzTuple{AuthzTuple{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)},
                          s.integer(5)};
}

Result<std::vector<StoredAuthzTuple>> read_tuple_rows(Statement& s) {
  std::vector<StoredAuthzTuple> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(read_tuple_row(s));
  }
}

constexpr const char* kInsertAccessToken =
    "INSERT INTO access_tokens (jti, grant_id, client_id, issued_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?)";

// --- the store -------------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> writer,
              std::vector<std::unique_ptr<Connection>> readers,
              crypto::AeadKey seal_key)
      : writer_(std::move(writer)), readers_(std::move(readers)), seal_key_(std::move(seal_key)) {
    for (auto& r : readers_) {
      free_readers_.push_back(r.get());
    }
  }

  Status upsert_organization(const Organization& org) override {
    if (!is_valid_org_id(org.id)) {
      return invalid("an organization id is 1-63 characters of a-z, 0-9 and '-', not starting "
                     "with '-'");
    }
    if (org.name.empty()) {
      return invalid("an organization needs a name");
    }
    if (!org.settings.is_object() && !org.settings.is_null()) {
      return invalid("organization settings must be a JSON object");
    }
    MCPGATE_ASSIGN_OR_RETURN(
        const auto settings,
        dump_json(org.settings.is_null() ? nlohmann::json::object() : org.settings));
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO organizations (id, name, settings, created_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                    " settings = excluded.settings"));
      s.bind(org.id, org.name, settings, org.created_at);
      return s.run();
    });
  }

  Result<Organization> find_organization(std::string_view id) override {
    return read([&](Connection& c) -> Result<Organization> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectOrganization));
      s.bind(id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("organization");
      }
      return read_organization(s);
    });
  }

  Result<std::vector<Organization>> list_organizations() override {
    return read([&](Connection& c) -> Result<std::vector<Organization>> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectOrganizations));
      std::vector<Organization> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        MCPGATE_ASSIGN_OR_RETURN(auto org, read_organization(s));
        out.push_back(std::move(org));
      }
    });
  }

  Status create_user(const User& user) override {
    if (user.id.empty() || user.username.empty()) {
      return invalid("user id and username are required");
    }
    if (!is_valid_org_id(user.org_id)) {
      return invalid("the user's organization id is not valid");
    }
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO users (id, username, username_key, password_hash,"
                    " disabled, created_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      s.bind(user.id,
             user.username,
             username_key(user.username),
             user.password_hash,
             user.disabled,
             user.created_at,
             user.org_id);
      return s.run();
    });
  }

  Result<User> find_user(std::string_view id) override {
    return read([&](Connection& c) -> Result<User> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectUserById));
      s.bind(id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("user");
      }
      return read_user(s);
    });
  }

  Result<std::vector<User>> list_org_users(std::string_view org_id, std::string_view after_id,
                                           std::size_t limit) override {
    const auto capped = static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000));
    return read([&](Connection& c) -> Result<std::vector<User>> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectOrgUsersPage));
      s.bind(org_id, after_id, capped);
      std::vector<User> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        out.push_back(read_user(s));
      }
    });
  }

  Result<User> find_user_by_username(std::string_view org_id,
                                     std::string_view username) override {
    return read([&](Connection& c) -> Result<User> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectUserByKey));
      s.bind(org_id, username_key(username));
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("user");
      }
      return read_user(s);
    });
  }

  Status set_user_password(std::string_view id, std::string_view password_hash) override {
    return update_one("UPDATE users SET password_hash = ? WHERE id = ?", "user", password_hash, id);
  }

  Status set_user_disabled(std::string_view id, bool disabled) override {
    return update_one("UPDATE users SET disabled = ? WHERE id = ?", "user", disabled, id);
  }

  Result<DeprovisionReport> deprovision_user(std::string_view user_id, DeprovisionMode mode,
                                             Timestamp now) override {
    // One writer at a time (BEGIN IMMEDIATE): no row locks, and revocation seqs are handed out
    // in commit order already.
    return write([&](Connection& c) {
      return queries::deprovision_user(c, user_id, mode, now, "",
                                       [](Connection&) { return Status{}; });
    });
  }

  Result<ReactivationReport> reactivate_user(std::string_view user_id) override {
    return write([&](Connection& c) { return queries::reactivate_user(c, user_id, ""); });
  }

  Status create_client(const Client& client) override {
    if (client.client_id.empty()) {
      return invalid("client_id is required");
    }
    MCPGATE_ASSIGN_OR_RETURN(const auto secret, optional_hash(client.secret_hash, "secret_hash"));
    MCPGATE_ASSIGN_OR_RETURN(
        const auto reg, optional_hash(client.registration_token_hash, "registration_token_hash"));
    MCPGATE_ASSIGN_OR_RETURN(const auto metadata, dump_json(client.metadata));
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO clients (client_id, kind, metadata, secret_hash,"
                    " secret_expires_at, registration_token_hash, disabled, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      s.bind(client.client_id, client_kind_name(client.kind), metadata);
      bind_optional_blob(s, 4, secret);
      s.bind_at(5, client.secret_expires_at);
      bind_optional_blob(s, 6, reg);
      s.bind_at(7, client.disabled);
      s.bind_at(8, client.created_at);
      return s.run();
    });
  }

  Result<Client> find_client(std::string_view client_id) override {
    return read([&](Connection& c) -> Result<Client> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectClient));
      s.bind(client_id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("client");
      }
      return read_client(s);
    });
  }

  Result<std::vector<Client>> list_clients(std::string_view after_id,
                                           std::size_t limit) override {
    const auto capped = static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000));
    return read([&](Connection& c) -> Result<std::vector<Client>> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectClientsPage));
      s.bind(after_id, capped);
      std::vector<Client> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        MCPGATE_ASSIGN_OR_RETURN(auto client, read_client(s));
        out.push_back(std::move(client));
      }
    });
  }

  Status update_client(const Client& client) override {
    MCPGATE_ASSIGN_OR_RETURN(const auto secret, optional_hash(client.secret_hash, "secret_hash"));
    MCPGATE_ASSIGN_OR_RETURN(
        const auto reg, optional_hash(client.registration_token_hash, "registration_token_hash"));
    MCPGATE_ASSIGN_OR_RETURN(const auto metadata, dump_json(client.metadata));
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("UPDATE clients SET metadata = ?, secret_hash = ?,"
                    " secret_expires_at = ?, registration_token_hash = ?, disabled = ?"
                    " WHERE client_id = ?"));
      s.bind(metadata);
      bind_optional_blob(s, 2, secret);
      s.bind_at(3, client.secret_expires_at);
      bind_optional_blob(s, 4, reg);
      s.bind_at(5, client.disabled);
      s.bind_at(6, client.client_id);
      MCPGATE_TRY(s.run());
      if (s.changes() == 0) {
        return not_found("client");
      }
      return {};
    });
  }

  Result<std::vector<RevokedToken>> delete_client(std::string_view client_id,
                                                  Timestamp now) override {
    return write([&](Connection& c) -> Result<std::vector<RevokedToken>> {
      MCPGATE_ASSIGN_OR_RETURN(
          const auto grants, select_ids(c, "SELECT id FROM grants WHERE client_id = ?", client_id));
      MCPGATE_ASSIGN_OR_RETURN(auto revoked, revoke_grants_in(c, grants, now));
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("DELETE FROM clients WHERE client_id = ?"));
      s.bind(client_id);
      MCPGATE_TRY(s.run());
      if (s.changes() == 0) {
        return not_found("client");
      }
      return revoked;
    });
  }

  Result<std::int64_t> count_clients(ClientKind kind) override {
    return read([&](Connection& c) -> Result<std::int64_t> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT COUNT(*) FROM clients WHERE kind = ?"));
      s.bind(client_kind_name(kind));
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      return row ? s.integer(0) : 0;
    });
  }

  Status verify_client_secret(std::string_view client_id,
                              std::string_view secret_hash,
                              Timestamp now) override {
    return read([&](Connection& c) {
      return queries::verify_client_secret(c, client_id, secret_hash, now);
    });
  }

  Status verify_registration_token(std::string_view client_id,
                                   std::string_view token_hash) override {
    return read([&](Connection& c) {
      return queries::verify_registration_token(c, client_id, token_hash);
    });
  }

  Status create_authorization_code(const Grant& grant, const AuthorizationCode& code) override {
    MCPGATE_TRY(check_hash(code.code_hash, "code_hash"));
    if (grant.id.empty() || code.grant_id != grant.id || code.user_id != grant.user_id
        || code.client_id != grant.client_id) {
      return invalid("code must belong to the grant (grant_id, user_id, client_id)");
    }
    MCPGATE_ASSIGN_OR_RETURN(const auto extra, dump_json(code.extra));
    return write([&](Connection& c) -> Status {
      {
        auto disabled = queries::lock_user_disabled(c, grant.user_id, "");
        if (!disabled) {
          return disabled.error().code == ErrorCode::kNotFound ? precondition("user not found")
                                                               : disabled.error();
        }
        if (*disabled) {
          return precondition("user disabled");
        }
      }
      {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("INSERT INTO grants (id, user_id, client_id, scope, resource,"
                      " created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
        s.bind(grant.id,
               grant.user_id,
               grant.client_id,
               grant.scope,
               grant.resource,
               grant.created_at,
               grant.revoked_at);
        MCPGATE_TRY(s.run());
      }
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id,"
                    " redirect_uri, code_challenge, code_challenge_method, scope, resource, extra,"
                    " created_at, expires_at, consumed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      s.bind(Blob{code.code_hash},
             code.grant_id,
             code.client_id,
             code.user_id,
             code.redirect_uri,
             code.code_challenge,
             code.code_challenge_method,
             code.scope,
             code.resource,
             extra,
             code.created_at,
             code.expires_at,
             code.consumed_at);
      return s.run();
    });
  }

  Result<CodeRedemption> consume_authorization_code(std::string_view code_hash,
                                                    Timestamp now) override {
    if (code_hash.size() != kHashBytes) {
      return not_found("authorization code");
    }
    return write([&](Connection& c) -> Result<CodeRedemption> {
      CodeRedemption out;
      bool live = false;
      {
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectCodeForUpdate));
        s.bind(Blob{code_hash});
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return not_found("authorization code");
        }
        MCPGATE_ASSIGN_OR_RETURN(out.code, read_code(s));
        live = s.is_null(13) && s.integer(14) == 0 && s.integer(15) == 0;
      }
      if (out.code.consumed_at) {
        out.outcome = CodeOutcome::kAlreadyUsed;
      } else if (now >= out.code.expires_at) {
        out.outcome = CodeOutcome::kExpired;
      } else if (!live) {
        out.outcome = CodeOutcome::kRevoked;
      } else {
        // The conditional UPDATE is the real guard: with PostgreSQL at READ COMMITTED two
        // transactions can both read "unconsumed" above, but only one UPDATE matches.
        MCPGATE_ASSIGN_OR_RETURN(auto s,
                                 c.prepare("UPDATE authorization_codes SET consumed_at = ?"
                                           " WHERE code_hash = ? AND consumed_at IS NULL"));
        s.bind(now, Blob{code_hash});
        MCPGATE_TRY(s.run());
        if (s.changes() == 1) {
          out.outcome = CodeOutcome::kConsumed;
          out.code.consumed_at = now;
        } else {
          out.outcome = CodeOutcome::kAlreadyUsed;
        }
      }
      return out;
    });
  }

  Result<Grant> find_grant(std::string_view grant_id) override {
    return read([&](Connection& c) -> Result<Grant> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectGrant));
      s.bind(grant_id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("grant");
      }
      return read_grant(s);
    });
  }

  Result<std::vector<Grant>> list_user_grants(std::string_view user_id) override {
    return read([&](Connection& c) -> Result<std::vector<Grant>> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectUserGrants));
      s.bind(user_id);
      std::vector<Grant> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        out.push_back(read_grant(s));
      }
    });
  }

  Result<std::vector<RevokedToken>> revoke_grant(std::string_view grant_id,
                                                 Timestamp now) override {
    return write([&](Connection& c) { return revoke_grant_in(c, grant_id, now); });
  }

  Result<std::vector<RevokedToken>> revoke_user_grants(std::string_view user_id,
                                                       Timestamp now) override {
    return write([&](Connection& c) -> Result<std::vector<RevokedToken>> {
      MCPGATE_ASSIGN_OR_RETURN(
          const auto grants,
          select_ids(c, "SELECT id FROM grants WHERE user_id = ? AND revoked_at IS NULL", user_id));
      return revoke_grants_in(c, grants, now);
    });
  }

  Status create_refresh_token(const RefreshToken& token) override {
    MCPGATE_TRY(check_hash(token.token_hash, "token_hash"));
    if (!token.parent_hash.empty()) {
      return invalid("create_refresh_token makes the first token of a family; rotate for others");
    }
    return write([&](Connection& c) -> Status {
      MCPGATE_TRY(check_grant_live(c, token.grant_id, token.client_id));
      RefreshToken row = token;
      row.used_at.reset();
      row.revoked_at.reset();
      return insert_refresh(c, row);
    });
  }

  Result<RefreshToken> find_refresh_token(std::string_view token_hash) override {
    return read([&](Connection& c) -> Result<RefreshToken> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectRefresh));
      s.bind(Blob{token_hash});
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("refresh token");
      }
      return read_refresh(s);
    });
  }

  Result<Rotation> rotate_refresh_token(const RotateRequest& request) override {
    if (request.old_hash.size() != kHashBytes) {
      return not_found("refresh token");
    }
    MCPGATE_TRY(check_hash(request.new_hash, "new_hash"));
    if (request.new_hash == request.old_hash) {
      return invalid("new refresh token equals the old one");
    }
    return write([&](Connection& c) -> Result<Rotation> {
      Rotation out;
      bool live = false;
      {
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kSelectRefreshForUpdate));
        s.bind(Blob{request.old_hash});
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return not_found("refresh token");
        }
        out.presented = read_refresh(s);
        live = s.is_null(11) && s.integer(12) == 0 && s.integer(13) == 0;
        out.user_id = s.text(14);
        out.org_id = s.text(15);
      }
      const RefreshToken& old = out.presented;
      if (old.client_id != request.client_id) {
        return make_error(ErrorCode::kPermissionDenied,
                          "store: refresh token belongs to another client");
      }
      if (old.used_at) {
        out.outcome = RotateOutcome::kReused;
        return out;
      }
      if (old.revoked_at || !live) {
        out.outcome = RotateOutcome::kRevoked;
        return out;
      }
      if (request.now >= old.expires_at || request.now >= old.family_expires_at) {
        out.outcome = RotateOutcome::kExpired;
        return out;
      }
      if (request.precheck) {
        MCPGATE_TRY(request.precheck(old));
      }
      {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("UPDATE refresh_tokens SET used_at = ?"
                      " WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL"));
        s.bind(request.now, Blob{request.old_hash});
        MCPGATE_TRY(s.run());
        if (s.changes() != 1) {
          out.outcome = RotateOutcome::kReused;
          return out;
        }
      }
      RefreshToken next;
      next.token_hash = request.new_hash;
      next.grant_id = old.grant_id;
      next.parent_hash = old.token_hash;
      next.client_id = old.client_id;
      next.scope = old.scope;
      next.resource = old.resource;
      next.created_at = request.now;
      next.expires_at = std::min(request.new_expires_at, old.family_expires_at);
      next.family_expires_at = old.family_expires_at;
      MCPGATE_TRY(insert_refresh(c, next));
      if (request.access_token) {
        // The family is live (checked above, in this transaction): no revoked-grant case here.
        const AccessTokenRecord& at = *request.access_token;
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kInsertAccessToken));
        s.bind(at.jti, old.grant_id, at.client_id, at.issued_at, at.expires_at);
        MCPGATE_TRY(s.run());
      }
      out.presented.used_at = request.now;
      out.outcome = RotateOutcome::kRotated;
      out.issued = std::move(next);
      return out;
    });
  }

  Status record_access_token(const AccessTokenRecord& token) override {
    if (token.jti.empty()) {
      return invalid("jti is required");
    }
    // The lambda reports "grant revoked" as a value so the revocation entry it wrote commits.
    auto recorded = write([&](Connection& c) -> Result<bool> {
      MCPGATE_ASSIGN_OR_RETURN(auto g, c.prepare("SELECT revoked_at FROM grants WHERE id = ?"));
      g.bind(token.grant_id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, g.step());
      if (!row) {
        return precondition("grant not found");
      }
      if (!g.is_null(0)) {
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kInsertRevokedJti));
        s.bind(token.jti, token.expires_at, token.issued_at);
        MCPGATE_TRY(s.run());
        return false;
      }
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kInsertAccessToken));
      s.bind(token.jti, token.grant_id, token.client_id, token.issued_at, token.expires_at);
      MCPGATE_TRY(s.run());
      return true;
    });
    if (!recorded) {
      return recorded.error();
    }
    if (!*recorded) {
      return precondition("grant revoked");
    }
    return {};
  }

  Status revoke_access_token(std::string_view jti, Timestamp expires_at, Timestamp now) override {
    if (jti.empty()) {
      return invalid("jti is required");
    }
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(kInsertRevokedJti));
      s.bind(jti, expires_at, now);
      return s.run();
    });
  }

  Result<bool> is_access_token_revoked(std::string_view jti) override {
    return read([&](Connection& c) -> Result<bool> {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT 1 FROM revoked_tokens WHERE jti = ?"));
      s.bind(jti);
      return s.step();
    });
  }

  Result<std::vector<RevokedToken>> revoked_since(std::int64_t after_seq,
                                                  std::size_t limit) override {
    const auto capped = static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000000));
    return read([&](Connection& c) -> Result<std::vector<RevokedToken>> {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("SELECT seq, jti, expires_at FROM revoked_tokens WHERE seq > ?"
                    " ORDER BY seq LIMIT ?"));
      s.bind(after_seq, capped);
      std::vector<RevokedToken> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        out.push_back(RevokedToken{s.integer(0), s.text(1), s.integer(2)});
      }
    });
  }

  Status put_consent(const Consent& consent) override {
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO consents (user_id, client_id, scope, resource,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (user_id, client_id) DO UPDATE SET"
                    " scope = excluded.scope, resource = excluded.resource,"
                    " updated_at = excluded.updated_at"));
      s.bind(consent.user_id,
             consent.client_id,
             consent.scope,
             consent.resource,
             consent.created_at,
             consent.updated_at);
      return s.run();
    });
  }

  Result<Consent> find_consent(std::string_view user_id, std::string_view client_id) override {
    return read([&](Connection& c) -> Result<Consent> {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("SELECT user_id, client_id, scope, resource, created_at, updated_at"
                    " FROM consents WHERE user_id = ? AND client_id = ?"));
      s.bind(user_id, client_id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("consent");
      }
      return Consent{s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5)};
    });
  }

  Status delete_consent(std::string_view user_id, std::string_view client_id) override {
    return update_one(
        "DELETE FROM consents WHERE user_id = ? AND client_id = ?", "consent", user_id, client_id);
  }

  Status add_signing_key(const SigningKeyRecord& key) override {
    if (key.kid.empty() || key.alg.empty() || key.private_pem.empty()) {
      return invalid("signing key needs kid, alg and private key");
    }
    MCPGATE_ASSIGN_OR_RETURN(const auto jwk, dump_json(key.public_jwk));
    MCPGATE_ASSIGN_OR_RETURN(const auto sealed,
                             seal_key_.seal(key.private_pem, signing_key_aad(key.kid)));
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO signing_keys (kid, alg, private_key_sealed, public_jwk,"
                    " state, created_at, activated_at, retired_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      s.bind(key.kid,
             key.alg,
             Blob{sealed},
             jwk,
             key_state_name(key.state),
             key.created_at,
             key.activated_at,
             key.retired_at);
      return s.run();
    });
  }

  Result<std::vector<SigningKeyRecord>> list_signing_keys() override {
    return read([&](Connection& c) -> Result<std::vector<SigningKeyRecord>> {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("SELECT kid, alg, private_key_sealed, public_jwk, state, created_at,"
                    " activated_at, retired_at FROM signing_keys ORDER BY created_at, kid"));
      std::vector<SigningKeyRecord> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        SigningKeyRecord k;
        k.kid = s.text(0);
        k.alg = s.text(1);
        auto pem = seal_key_.open(s.blob(2), signing_key_aad(k.kid));
        if (!pem) {
          return precondition("signing key " + k.kid
                              + " does not open with this master key: " + pem.error().message);
        }
        k.private_pem = std::move(pem).value();
        MCPGATE_ASSIGN_OR_RETURN(k.public_jwk, parse_stored_json(s.text(3), "signing key"));
        MCPGATE_ASSIGN_OR_RETURN(k.state, parse_state(s.text(4)));
        k.created_at = s.integer(5);
        k.activated_at = s.optional_integer(6);
        k.retired_at = s.optional_integer(7);
        out.push_back(std::move(k));
      }
    });
  }

  Status activate_signing_key(std::string_view kid, Timestamp now) override {
    return write([&](Connection& c) -> Status {
      {
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT state FROM signing_keys WHERE kid = ?"));
        s.bind(kid);
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return not_found("signing key");
        }
        if (s.text(0) != "next") {
          return precondition("only a 'next' signing key can be activated");
        }
      }
      {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("UPDATE signing_keys SET state = 'retired', retired_at = ?"
                      " WHERE state = 'active'"));
        s.bind(now);
        MCPGATE_TRY(s.run());
      }
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("UPDATE signing_keys SET state = 'active', activated_at = ? WHERE kid = ?"));
      s.bind(now, kid);
      return s.run();
    });
  }

  Status delete_signing_key(std::string_view kid) override {
    return write([&](Connection& c) -> Status {
      {
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT state FROM signing_keys WHERE kid = ?"));
        s.bind(kid);
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return not_found("signing key");
        }
        if (s.text(0) != "retired") {
          return precondition("only a retired signing key can be deleted");
        }
      }
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("DELETE FROM signing_keys WHERE kid = ?"));
      s.bind(kid);
      return s.run();
    });
  }

  Status put_cimd_document(const CimdDocument& document) override {
    if (document.url.empty()) {
      return invalid("CIMD url is required");
    }
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("INSERT INTO cimd_documents (url, document, fetched_at, expires_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                    " document = excluded.document, fetched_at = excluded.fetched_at,"
                    " expires_at = excluded.expires_at"));
      s.bind(document.url, document.document, document.fetched_at, document.expires_at);
      return s.run();
    });
  }

  Result<CimdDocument> find_cimd_document(std::string_view url) override {
    return read([&](Connection& c) -> Result<CimdDocument> {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("SELECT url, document, fetched_at, expires_at FROM cimd_documents"
                    " WHERE url = ?"));
      s.bind(url);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("CIMD document");
      }
      return CimdDocument{s.text(0), s.text(1), s.integer(2), s.integer(3)};
    });
  }

  Result<PurgeCounts> purge_expired(Timestamp now) override {
    return write([&](Connection& c) -> Result<PurgeCounts> {
      PurgeCounts counts;
      auto run = [&](const char* query, std::int64_t& counter, auto... args) -> Status {
        MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(query));
        s.bind(args...);
        MCPGATE_TRY(s.run());
        counter = s.changes();
        return {};
      };
      MCPGATE_TRY(run("DELETE FROM authorization_codes WHERE expires_at < ?",
                      counts.codes,
                      now - kCodeRetention));
      MCPGATE_TRY(
          run("DELETE FROM refresh_tokens WHERE family_expires_at <= ?"
              " OR (used_at IS NULL AND expires_at <= ?)",
              counts.refresh_tokens,
              now,
              now));
      MCPGATE_TRY(
          run("DELETE FROM access_tokens WHERE expires_at <= ?", counts.access_tokens, now));
      MCPGATE_TRY(run("DELETE FROM revoked_tokens WHERE expires_at <= ?", counts.revocations, now));
      MCPGATE_TRY(run("DELETE FROM grants WHERE revoked_at IS NOT NULL AND revoked_at < ?",
                      counts.grants,
                      now - kRevokedGrantRetention));
      MCPGATE_TRY(
          run("DELETE FROM cimd_documents WHERE expires_at <= ?", counts.cimd_documents, now));
      return counts;
    });
  }

  // --- authorization (FGA) ---------------------------------------------------------------------

  Status write_authz_model(const AuthzModel& model) override {
    if (model.store_id.empty() || model.id.empty() || model.model.empty()) {
      return invalid("authorization model needs store_id, id and model");
    }
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(auto s,
                               c.prepare("INSERT INTO authz_models (store_id, id, created_at, model)"
                                         " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"));
      s.bind(model.store_id, model.id, model.created_at, model.model);
      MCPGATE_TRY(s.run());
      if (s.changes() == 0) {
        return make_error(ErrorCode::kAlreadyExists,
                          "store: authorization model " + model.id + " already exists");
      }
      return {};
    });
  }

  Result<AuthzModel> find_authz_model(std::string_view store_id, std::string_view id) override {
    return read([&](Connection& c) -> Result<AuthzModel> {
      MCPGATE_ASSIGN_OR_RETURN(auto s,
                               c.prepare("SELECT store_id, id, created_at, model FROM authz_models"
                                         " WHERE store_id = ? AND id = ?"));
      s.bind(store_id, id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("authorization model");
      }
      return AuthzModel{s.text(1), s.text(0), s.integer(2), s.text(3)};
    });
  }

  Result<AuthzModel> latest_authz_model(std::string_view store_id) override {
    return read([&](Connection& c) -> Result<AuthzModel> {
      MCPGATE_ASSIGN_OR_RETURN(auto s,
                               c.prepare("SELECT store_id, id, created_at, model FROM authz_models"
                                         " WHERE store_id = ? ORDER BY id DESC LIMIT 1"));
      s.bind(store_id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return not_found("authorization model");
      }
      return AuthzModel{s.text(1), s.text(0), s.integer(2), s.text(3)};
    });
  }

  Result<AuthzModelPage> list_authz_models(std::string_view store_id,
                                           const PageRequest& page) override {
    const auto limit = static_cast<std::int64_t>(std::clamp<std::size_t>(page.limit, 1, 1000));
    return read([&](Connection& c) -> Result<AuthzModelPage> {
      // Newest first (ULIDs sort by creation time); the token is the last id returned.
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare(page.token.empty()
                        ? "SELECT store_id, id, created_at, model FROM authz_models"
                          " WHERE store_id = ? ORDER BY id DESC LIMIT ?"
                        : "SELECT store_id, id, created_at, model FROM authz_models"
                          " WHERE store_id = ? AND id < ? ORDER BY id DESC LIMIT ?"));
      if (page.token.empty()) {
        s.bind(store_id, limit + 1);
      } else {
        s.bind(store_id, page.token, limit + 1);
      }
      AuthzModelPage out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          break;
        }
        if (static_cast<std::int64_t>(out.models.size()) == limit) {
          out.next_token = out.models.back().id;  // one more exists
          break;
        }
        out.models.push_back(AuthzModel{s.text(1), s.text(0), s.integer(2), s.text(3)});
      }
      return out;
    });
  }

  Result<std::int64_t> write_tuples(std::string_view store_id,
                                    const std::vector<AuthzTuple>& writes,
                                    const std::vector<AuthzTuple>& deletes,
                                    Timestamp now) override {
    MCPGATE_TRY(check_tuple_batch(store_id, writes, deletes));
    return write([&](Connection& c) -> Result<std::int64_t> {
      // One revision per call. The upsert takes the store's revision row lock, so concurrent
      // writers to one store commit in revision order.
      std::int64_t revision = 0;
      {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("INSERT INTO authz_revisions (store_id, revision) VALUES (?, 1)"
                      " ON CONFLICT (store_id) DO UPDATE SET revision = authz_revisions.revision + 1"
                      " RETURNING revision"));
        s.bind(store_id);
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return make_error(ErrorCode::kInternal, "store: no revision returned");
        }
        revision = s.integer(0);
      }
      std::int64_t ordinal = 0;
      auto log_change = [&](const char* op, const AuthzTuple& t) -> Status {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("INSERT INTO authz_changes (store_id, revision, ordinal, op, object,"
                      " relation, user_ref, condition_name, condition_context, changed_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        s.bind(store_id,
               revision,
               ordinal++,
               op,
               t.object,
               t.relation,
               t.user,
               t.condition_name,
               t.condition_context,
               now);
        return s.run();
      };
      for (const AuthzTuple& t : deletes) {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("DELETE FROM authz_tuples WHERE store_id = ? AND object = ? AND relation = ?"
                      " AND user_ref = ?"));
        s.bind(store_id, t.object, t.relation, t.user);
        MCPGATE_TRY(s.run());
        if (s.changes() == 0) {
          return make_error(ErrorCode::kNotFound,
                            "store: cannot delete a tuple that does not exist: " + tuple_text(t));
        }
        MCPGATE_TRY(log_change("delete", t));
      }
      for (const AuthzTuple& t : writes) {
        MCPGATE_ASSIGN_OR_RETURN(
            auto s,
            c.prepare("INSERT INTO authz_tuples (store_id, object, relation, user_ref,"
                      " condition_name, condition_context, revision) VALUES (?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT DO NOTHING"));
        s.bind(store_id,
               t.object,
               t.relation,
               t.user,
               t.condition_name,
               t.condition_context,
               revision);
        MCPGATE_TRY(s.run());
        if (s.changes() == 0) {
          return make_error(ErrorCode::kAlreadyExists,
                            "store: cannot write a tuple that already exists: " + tuple_text(t));
        }
        MCPGATE_TRY(log_change("write", t));
      }
      return revision;
    });
  }

  Result<std::vector<StoredAuthzTuple>> read_tuples(std::string_view store_id,
                                                    const AuthzTupleFilter& filter) override {
    return read([&](Connection& c) -> Result<std::vector<StoredAuthzTuple>> {
      // The WHERE clause is assembled from fixed fragments; values stay parameters.
      std::string query = std::string("SELECT ") + kAuthzTupleColumns
                          + " FROM authz_tuples WHERE store_id = ?";
      std::vector<std::string> values;
      auto add = [&](const char* column, const std::string& value, bool prefix_allowed) {
        if (value.empty()) {
          return;
        }
        if (prefix_allowed && value.back() == ':') {
          query += std::string(" AND substr(") + column + ", 1, "
                   + std::to_string(utf8_length(value)) + ") = ?";
        } else {
          query += std::string(" AND ") + column + " = ?";
        }
        values.push_back(value);
      };
      add("object", filter.object, true);
      add("relation", filter.relation, false);
      add("user_ref", filter.user, true);
      query += " ORDER BY object, relation, user_ref";
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(query));
      s.bind_at(1, store_id);
      for (std::size_t i = 0; i < values.size(); ++i) {
        s.bind_at(static_cast<int>(i) + 2, values[i]);
      }
      return read_tuple_rows(s);
    });
  }

  Result<AuthzSnapshot> load_all_tuples(std::string_view store_id) override {
    return read([&](Connection& c) -> Result<AuthzSnapshot> {
      // One statement, so the tuples and the revision come from one snapshot.
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare(std::string("SELECT ") + kAuthzTupleColumns
                    + ", (SELECT COALESCE(MAX(revision), 0) FROM authz_revisions r"
                      " WHERE r.store_id = t.store_id)"
                      " FROM authz_tuples t WHERE store_id = ? ORDER BY object, relation, user_ref"));
      s.bind(store_id);
      AuthzSnapshot out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          break;
        }
        out.tuples.push_back(read_tuple_row(s));
        out.revision = s.integer(6);
      }
      if (out.tuples.empty()) {
        MCPGATE_ASSIGN_OR_RETURN(auto r,
                                 c.prepare("SELECT revision FROM authz_revisions WHERE store_id = ?"));
        r.bind(store_id);
        MCPGATE_ASSIGN_OR_RETURN(const bool row, r.step());
        out.revision = row ? r.integer(0) : 0;
      }
      return out;
    });
  }

  Result<std::vector<AuthzTupleChange>> tuple_changes_since(std::string_view store_id,
                                                            std::int64_t revision,
                                                            std::size_t limit) override {
    const auto offset =
        static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, 1000000)) - 1;
    return read([&](Connection& c) -> Result<std::vector<AuthzTupleChange>> {
      // Whole revisions only: everything up to the revision of the limit-th change, so a
      // caller that resumes from the last revision it saw never skips half a write.
      MCPGATE_ASSIGN_OR_RETURN(
          auto s,
          c.prepare("SELECT revision, op, object, relation, user_ref, condition_name,"
                    " condition_context, changed_at FROM authz_changes"
                    " WHERE store_id = ? AND revision > ? AND revision <= COALESCE("
                    "(SELECT revision FROM authz_changes WHERE store_id = ? AND revision > ?"
                    " ORDER BY revision, ordinal LIMIT 1 OFFSET ?), 9223372036854775807)"
                    " ORDER BY revision, ordinal"));
      s.bind(store_id, revision, store_id, revision, offset);
      std::vector<AuthzTupleChange> out;
      while (true) {
        MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
          return out;
        }
        AuthzTupleChange ch;
        ch.revision = s.integer(0);
        ch.op = s.text(1) == "delete" ? TupleOp::kDelete : TupleOp::kWrite;
        ch.tuple = AuthzTuple{s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)};
        ch.changed_at = s.integer(7);
        out.push_back(std::move(ch));
      }
    });
  }

  // --- SSO identities (the SQL is shared: sso_queries.hpp) ------------------------------------

  Result<SsoIdentity> find_sso_identity(std::string_view org_id, std::string_view issuer,
                                        std::string_view subject) override {
    return read([&](Connection& c) { return queries::find_sso_identity(c, org_id, issuer, subject); });
  }

  Status create_sso_user(const User& user, const SsoIdentity& identity) override {
    MCPGATE_TRY(queries::check_new_sso_user(user, identity));
    const std::string key = username_key(user.username);
    return write([&](Connection& c) { return queries::create_sso_user(c, user, key, identity); });
  }

  Status record_sso_login(const SsoIdentity& identity) override {
    MCPGATE_TRY(queries::check_sso_identity(identity));
    return write([&](Connection& c) { return queries::record_sso_login(c, identity); });
  }

  // --- approvals of destructive admin calls (the SQL is shared: admin_approval_queries.hpp) --

  Status create_admin_approval(const AdminApproval& approval) override {
    MCPGATE_TRY(queries::check_new_admin_approval(approval));
    return write([&](Connection& c) { return queries::create_admin_approval(c, approval); });
  }

  Result<AdminApproval> find_admin_approval(std::string_view id) override {
    return read([&](Connection& c) { return queries::find_admin_approval(c, id); });
  }

  Result<AdminApproval> find_pending_admin_approval(std::string_view binding,
                                                    Timestamp now) override {
    return read([&](Connection& c) { return queries::find_pending_admin_approval(c, binding, now); });
  }

  Status decide_admin_approval(std::string_view id, std::string_view user_id, bool approve,
                               Timestamp now) override {
    return write([&](Connection& c) {
      return queries::decide_admin_approval(c, id, user_id, approve, now);
    });
  }

  Result<bool> use_admin_approval(std::string_view binding, Timestamp now) override {
    return write([&](Connection& c) { return queries::use_admin_approval(c, binding, now); });
  }

  // --- audit log and tool pins (the SQL is shared: audit_pin_queries.hpp) --------------------

  Status append_audit_records(const std::vector<AuditRecord>& records) override {
    if (records.empty()) {
      return {};
    }
    MCPGATE_TRY(queries::check_audit_batch(records));
    return write(
        [&](Connection& c) -> Status { return queries::append_audit_records(c, records); });
  }

  Status append_audit_records(const std::vector<AuditRecord>& records,
                              const std::vector<AuditColumns>& columns) override {
    if (records.empty() && columns.empty()) {
      return {};
    }
    MCPGATE_TRY(queries::check_audit_batch(records));
    return write([&](Connection& c) -> Status {
      return queries::append_audit_records(c, records, &columns);
    });
  }

  Result<AuditRecord> last_audit_record() override {
    return read([&](Connection& c) { return queries::last_audit_record(c); });
  }

  Result<std::vector<AuditRecord>> read_audit_records(std::int64_t after_seq,
                                                      std::size_t limit) override {
    return read([&](Connection& c) { return queries::read_audit_records(c, after_seq, limit); });
  }

  Result<std::vector<Session>> list_sessions(const SessionQuery& query) override {
    return read([&](Connection& c) { return queries::list_sessions(c, query); });
  }

  Result<Session> find_session(std::string_view org_id, std::string_view grant_id) override {
    return read([&](Connection& c) { return queries::find_session(c, org_id, grant_id); });
  }

  Result<std::vector<RevokedToken>> set_client_disabled(std::string_view client_id, bool disabled,
                                                        Timestamp now) override {
    return write([&](Connection& c) {
      return queries::set_client_disabled(c, client_id, disabled,
                                          [&](const std::vector<std::string>& grants) {
                                            return revoke_grants_in(c, grants, now);
                                          });
    });
  }

  Result<OrganizationCounts> count_organization(std::string_view org_id) override {
    return read([&](Connection& c) { return queries::count_organization(c, org_id); });
  }

  Result<std::vector<AuditRecord>> search_audit(const AuditQuery& query) override {
    return read([&](Connection& c) { return queries::search_audit(c, query); });
  }

  Result<std::vector<ToolPin>> list_tool_pins(std::string_view upstream) override {
    return read([&](Connection& c) { return queries::list_tool_pins(c, upstream); });
  }

  Result<ToolPin> pin_tool_if_absent(const ToolPin& pin) override {
    MCPGATE_TRY(queries::check_new_pin(pin));
    return write([&](Connection& c) { return queries::pin_tool_if_absent(c, pin); });
  }

  Status set_tool_pin_pending(std::string_view upstream,
                              std::string_view tool,
                              std::string_view pending_hash,
                              std::string_view pending_definition,
                              Timestamp now) override {
    return write([&](Connection& c) {
      return queries::set_tool_pin_pending(
          c, upstream, tool, pending_hash, pending_definition, now);
    });
  }

  Status approve_tool_pin(std::string_view upstream,
                          std::string_view tool,
                          std::string_view pending_hash,
                          Timestamp now) override {
    return write([&](Connection& c) { return queries::approve_tool_pin(c, upstream, tool, pending_hash, now); });
  }

  // --- SCIM provisioning (the SQL is shared: scim_queries.hpp) ------------------------------

  Status create_scim_directory(const ScimDirectory& directory) override {
    MCPGATE_TRY(queries::check_scim_directory(directory));
    return write([&](Connection& c) { return queries::create_scim_directory<Blob>(c, directory); });
  }

  Result<std::vector<ScimDirectory>> list_scim_directories(std::string_view org_id) override {
    return read([&](Connection& c) { return queries::list_scim_directories(c, org_id); });
  }

  Status revoke_scim_directory(std::string_view id, Timestamp now) override {
    return write([&](Connection& c) { return queries::revoke_scim_directory(c, id, now); });
  }

  Result<ScimDirectory> find_scim_directory_by_token(std::string_view token_hash) override {
    return read([&](Connection& c) {
      return queries::find_scim_directory_by_token<Blob>(c, token_hash);
    });
  }

  Status create_scim_user(const ScimResource& user, std::string_view password_hash) override {
    MCPGATE_TRY(queries::check_scim_resource(user));
    return write([&](Connection& c) { return queries::create_scim_user(c, user, password_hash); });
  }

  Result<std::int64_t> replace_scim_user(const ScimResource& user, std::int64_t expected_version,
                                         const std::optional<std::string>& password_hash) override {
    MCPGATE_TRY(queries::check_scim_resource(user));
    return write([&](Connection& c) {
      return queries::replace_scim_user(c, user, expected_version, password_hash);
    });
  }

  Status delete_scim_user(std::string_view org_id, std::string_view id,
                          const ScimTupleTarget& tuples) override {
    return write([&](Connection& c) { return queries::delete_scim_user(c, org_id, id, tuples); });
  }

  Status create_scim_group(const ScimResource& group, const ScimTupleTarget& tuples) override {
    MCPGATE_TRY(queries::check_scim_resource(group));
    return write([&](Connection& c) { return queries::create_scim_group(c, group, tuples); });
  }

  Result<std::int64_t> replace_scim_group(const ScimResource& group, std::int64_t expected_version,
                                          const ScimTupleTarget& tuples) override {
    MCPGATE_TRY(queries::check_scim_resource(group));
    return write([&](Connection& c) {
      return queries::replace_scim_group(c, group, expected_version, tuples);
    });
  }

  Status delete_scim_group(std::string_view org_id, std::string_view id,
                           const ScimTupleTarget& tuples) override {
    return write([&](Connection& c) { return queries::delete_scim_group(c, org_id, id, tuples); });
  }

  Result<ScimResource> find_scim_resource(ScimKind kind, std::string_view org_id,
                                          std::string_view id) override {
    return read([&](Connection& c) { return queries::find_scim_resource(c, kind, org_id, id); });
  }

  Result<ScimPage> list_scim_resources(const ScimListQuery& query) override {
    return read([&](Connection& c) {
      return queries::list_scim_resources(c, scim::SqlDialect::kSqlite, query);
    });
  }

  // --- token vault and refresh leases (the SQL is shared: vault_queries.hpp) -------------------

  Result<std::vector<VaultDataKey>> list_vault_data_keys(std::string_view tenant) override {
    return read([&](Connection& c) { return queries::list_vault_data_keys(c, tenant); });
  }

  Status add_vault_data_key(const VaultDataKey& key) override {
    MCPGATE_TRY(queries::check_vault_data_key(key));
    return write([&](Connection& c) { return queries::add_vault_data_key<Blob>(c, key); });
  }

  Status rewrap_vault_data_key(std::string_view tenant, std::int64_t version,
                               std::int64_t expected_master_version, std::string_view wrapped,
                               std::int64_t master_key_version, Timestamp now) override {
    return write([&](Connection& c) {
      return queries::rewrap_vault_data_key<Blob>(
          c, tenant, version, expected_master_version, wrapped, master_key_version, now);
    });
  }

  Status insert_vault_connection(const VaultConnection& connection) override {
    MCPGATE_TRY(queries::check_vault_connection(connection));
    return write(
        [&](Connection& c) { return queries::insert_vault_connection<Blob>(c, connection, ""); });
  }

  Result<VaultConnection> find_vault_connection(std::string_view tenant, std::string_view user_id,
                                                std::string_view connector) override {
    return read([&](Connection& c) {
      return queries::find_vault_connection(c, tenant, user_id, connector);
    });
  }

  Result<std::vector<VaultConnection>> list_vault_connections(std::string_view tenant,
                                                              std::string_view user_id) override {
    return read([&](Connection& c) { return queries::list_vault_connections(c, tenant, user_id); });
  }

  Result<std::int64_t> update_vault_connection(const VaultConnection& connection,
                                               std::int64_t expected_version) override {
    MCPGATE_TRY(queries::check_vault_connection(connection));
    return write([&](Connection& c) {
      return queries::update_vault_connection<Blob>(c, connection, expected_version);
    });
  }

  Status delete_vault_connection(std::string_view tenant, std::string_view user_id,
                                 std::string_view connector) override {
    return write([&](Connection& c) {
      return queries::delete_vault_connection(c, tenant, user_id, connector);
    });
  }

  Result<std::vector<VaultKeyUsage>> vault_key_usage() override {
    return read([&](Connection& c) { return queries::vault_key_usage(c); });
  }

  Result<std::int64_t> count_vault_connections_not_under(std::string_view tenant,
                                                         std::int64_t data_key_version) override {
    return read([&](Connection& c) {
      return queries::count_vault_connections_not_under(c, tenant, data_key_version);
    });
  }

  Result<RefreshLease> acquire_refresh_lease(std::string_view connection_id,
                                             std::string_view holder, Timestamp now,
                                             Timestamp ttl_s) override {
    return write([&](Connection& c) {
      return queries::acquire_refresh_lease(c, connection_id, holder, now, ttl_s);
    });
  }

  Status release_refresh_lease(std::string_view connection_id, std::string_view holder) override {
    return write(
        [&](Connection& c) { return queries::release_refresh_lease(c, connection_id, holder); });
  }

 private:
  template <class... Args>
  Status update_one(const char* query, const char* what, const Args&... args) {
    return write([&](Connection& c) -> Status {
      MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(query));
      s.bind(args...);
      MCPGATE_TRY(s.run());
      if (s.changes() == 0) {
        return not_found(what);
      }
      return {};
    });
  }

  static void bind_optional_blob(Statement& s, int index, const std::optional<std::string>& value) {
    if (value) {
      s.bind_at(index, Blob{*value});
    } else {
      s.bind_at(index, Null{});
    }
  }

  static Status check_grant_live(Connection& c,
                                 std::string_view grant_id,
                                 std::string_view client_id) {
    MCPGATE_ASSIGN_OR_RETURN(auto s,
                             c.prepare("SELECT revoked_at, client_id FROM grants WHERE id = ?"));
    s.bind(grant_id);
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return precondition("grant not found");
    }
    if (!s.is_null(0)) {
      return precondition("grant revoked");
    }
    if (s.text(1) != client_id) {
      return invalid("token client differs from the grant's client");
    }
    return {};
  }

  // Runs `f` in a BEGIN IMMEDIATE transaction on the writer; commits when f succeeds, rolls
  // back when it fails or throws.
  template <class F>
  auto write(F&& f) -> std::invoke_result_t<F&, Connection&> {
    std::lock_guard lock(write_mutex_);
    Connection& c = *writer_;
    if (auto begun = c.exec("BEGIN IMMEDIATE"); !begun) {
      return begun.error();
    }

    struct Rollback {
      Connection& c;
      bool armed = true;

      ~Rollback() {
        if (armed) {
          c.exec("ROLLBACK").ignore_error();
        }
      }
    } rollback{c};

    auto result = f(c);
    if (result) {
      if (auto committed = c.exec("COMMIT"); !committed) {
        return committed.error();
      }
      rollback.armed = false;
    }
    return result;
  }

  // Runs `f` on a reader connection (or the writer, for ":memory:").
  template <class F>
  auto read(F&& f) -> std::invoke_result_t<F&, Connection&> {
    if (readers_.empty()) {
      std::lock_guard lock(write_mutex_);
      return f(*writer_);
    }
    Connection* conn = nullptr;
    {
      std::unique_lock lock(readers_mutex_);
      readers_cv_.wait(lock, [&] { return !free_readers_.empty(); });
      conn = free_readers_.back();
      free_readers_.pop_back();
    }

    struct Release {
      SqliteStore& store;
      Connection* conn;

      ~Release() {
        {
          std::lock_guard lock(store.readers_mutex_);
          store.free_readers_.push_back(conn);
        }
        store.readers_cv_.notify_one();
      }
    } release{*this, conn};

    return f(*conn);
  }

  std::mutex write_mutex_;
  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<Connection*> free_readers_;
  crypto::AeadKey seal_key_;
  // Last: stopped before the connections and the write lock it uses go away.
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;

 public:
  // Takes WAL checkpoints off the committing writer (sqlite_checkpointer.hpp). Files only.
  Status start_checkpointer(const std::string& path) {
    MCPGATE_ASSIGN_OR_RETURN(
        checkpointer_,
        sqlite::WalCheckpointer::start(path, *writer_, write_mutex_, sqlite::CheckpointOptions{}));
    return {};
  }
};

// --- opening ---------------------------------------------------------------------------------

Status create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kUnavailable, "store: cannot create " + path);
  }
  ::close(fd);
  return {};
}

Result<std::string> query_text(Connection& c, const char* query) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(query));
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  return row ? s.text(0) : std::string();
}

// Migrations run with foreign-key enforcement off (the pragma is a no-op inside a transaction,
// hence around it): a migration that rebuilds a table (7: users) drops the old one, which with
// enforcement on would cascade into every referencing table. `foreign_key_check` before the
// commit refuses a migration that left a dangling reference.
Status check_foreign_keys(Connection& c) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("PRAGMA foreign_key_check"));
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (row) {
    return precondition("a migration left a row in " + s.text(0)
                        + " whose foreign key names no row");
  }
  return {};
}

Status migrate_in_transaction(Connection& c);

Status migrate(Connection& c) {
  MCPGATE_TRY(c.exec("PRAGMA foreign_keys = OFF"));
  const Status migrated = migrate_in_transaction(c);
  const Status restored = c.exec("PRAGMA foreign_keys = ON");
  MCPGATE_TRY(migrated);
  return restored;
}

Status migrate_in_transaction(Connection& c) {
  MCPGATE_TRY(c.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    MCPGATE_TRY(c.exec(kCreateMigrationsTable));
    std::int64_t current = 0;
    {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s, c.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      current = row ? s.integer(0) : 0;
    }
    const auto all = migrations(Dialect::kSqlite);
    if (!all.empty() && current > all.back().version) {
      return precondition("database schema version " + std::to_string(current)
                          + " is newer than this binary knows ("
                          + std::to_string(all.back().version) + ")");
    }
    for (const auto& m : all) {
      if (m.version <= current) {
        continue;
      }
      if (!m.sql.empty()) {
        MCPGATE_TRY(c.exec(m.sql.c_str()));
      }
      MCPGATE_ASSIGN_OR_RETURN(auto s,
                               c.prepare("INSERT INTO schema_migrations (version, name, applied_at)"
                                         " VALUES (?, ?, ?)"));
      s.bind(m.version, m.name, static_cast<std::int64_t>(std::time(nullptr)));
      MCPGATE_TRY(s.run());
    }
    return check_foreign_keys(c);
  };
  if (auto result = body(); !result) {
    c.exec("ROLLBACK").ignore_error();
    return result;
  }
  return c.exec("COMMIT");
}

Status bind_master_key(Connection& c, const crypto::MasterKey& master_key) {
  MCPGATE_TRY(c.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT value FROM store_meta WHERE name = ?"));
    s.bind(kFingerprintName);
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    const std::string fingerprint = master_key.fingerprint();
    if (row) {
      if (!crypto::constant_time_equal(s.text(0), fingerprint)) {
        return precondition(
            "the master key does not belong to this database (its sealed signing keys would not "
            "open); restore the matching master.key");
      }
      return {};
    }
    MCPGATE_ASSIGN_OR_RETURN(auto insert,
                             c.prepare("INSERT INTO store_meta (name, value) VALUES (?, ?)"));
    insert.bind(kFingerprintName, fingerprint);
    return insert.run();
  };
  if (auto result = body(); !result) {
    c.exec("ROLLBACK").ignore_error();
    return result;
  }
  return c.exec("COMMIT");
}

// True when `path` is a database that already recorded a master-key fingerprint.
bool has_master_key_fingerprint(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return false;
  }
  sqlite3* db = nullptr;
  bool found = false;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM store_meta WHERE name = 'master_key_fingerprint'",
                           -1,
                           &stmt,
                           nullptr)
        == SQLITE_OK) {
      found = sqlite3_step(stmt) == SQLITE_ROW;
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return found;
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options,
                                                 const crypto::MasterKey& master_key) {
  if (options.path.empty()) {
    return invalid("database path is empty");
  }
  const bool memory = options.path == ":memory:";
  if (!memory) {
    MCPGATE_TRY(create_private_file(options.path));
  }
  sqlite::ConnectionOptions conn_options{options.path, false, options.busy_timeout_ms};
  MCPGATE_ASSIGN_OR_RETURN(auto writer, Connection::open(conn_options));
  if (!memory) {
    MCPGATE_ASSIGN_OR_RETURN(const auto mode, query_text(*writer, "PRAGMA journal_mode = WAL"));
    if (mode != "wal") {
      return make_error(ErrorCode::kUnavailable, "store: could not switch to WAL (" + mode + ")");
    }
  }
  MCPGATE_TRY(migrate(*writer));
  MCPGATE_TRY(bind_master_key(*writer, master_key));
  std::vector<std::unique_ptr<Connection>> readers;
  if (!memory) {
    conn_options.read_only = true;
    for (std::size_t i = 0; i < options.readers; ++i) {
      MCPGATE_ASSIGN_OR_RETURN(auto reader, Connection::open(conn_options));
      readers.push_back(std::move(reader));
    }
  }
  auto store = std::make_unique<SqliteStore>(
      std::move(writer), std::move(readers), master_key.aead_key(kSigningKeyPurpose));
  if (!memory) {
    MCPGATE_TRY(store->start_checkpointer(options.path));
  }
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> open_sqlite_data_dir(const std::filesystem::path& data_dir,
                                                    const SqliteOptions& tuning) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    std::filesystem::create_directories(data_dir, ec);
    if (ec) {
      return make_error(ErrorCode::kUnavailable,
                        "store: cannot create data directory " + data_dir.string());
    }
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);
  }
  const std::filesystem::path db =
      tuning.path.empty() ? data_dir / "mcpgate.db" : std::filesystem::path(tuning.path);
  const std::filesystem::path key_file = data_dir / "master.key";
  const bool initialised = has_master_key_fingerprint(db);
  auto key = crypto::MasterKey::load(
      key_file,
      initialised ? crypto::MasterKey::Create::kNever : crypto::MasterKey::Create::kIfMissing);
  if (!key) {
    if (key.error().code == ErrorCode::kNotFound) {
      return precondition(key_file.string() + " is missing but " + db.string() +
                          " was initialised with a master key; restore master.key from backup "
                          "(a new key could not open the stored signing keys)");
    }
    return key.error();
  }
  SqliteOptions options = tuning;
  options.path = db.string();
  return open_sqlite_store(options, *key);
}

}  // namespace mcpgate::store
