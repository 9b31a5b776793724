#pragma once
// SCIM provisioning's store operations, written once for both backends (as vault_queries.hpp
// does): portable SQL, each operation a template over the backend's Connection and its Blob
// marker; the backend supplies the transaction.
//
// Filtered lists: the filter (already bound to its resource type) goes through scim::to_sql with
// a mapping of this schema's columns, so every value from the request is a bind parameter; the
// SQL's shape depends on the request, so it is prepared uncached (prepare_numbered).
//
// Membership tuples: a change of a group's members writes group:<id>#member@user:<id> tuples
// into authz_tuples and logs them in authz_changes under a new revision of the policy store, in
// the caller's transaction, exactly as Store::write_tuples does, so the authorization engines of
// every replica pick them up through tuple_changes_since (and PostgreSQL's change notification).
// Unlike write_tuples this is idempotent: a tuple already there is not written again, a missing
// one is not deleted, and a change with no effect takes no revision.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "scim/sql.hpp"
#include "store/scim_types.hpp"

namespace mcpgate::store::queries {

Status check_scim_directory(const ScimDirectory& directory);
Status check_scim_resource(const ScimResource& resource);
// The lower-cased (ASCII) name: the unique key per organization and the folded filter column.
std::string scim_name_key(std::string_view name);
Result<nlohmann::json> parse_scim_resource(const std::string& text);
std::string scim_member_object(std::string_view group_id);  // "group:<id>"
std::string scim_member_user(std::string_view user_id);     // "user:<id>"
// The columns list filters use, for users or groups, in a dialect; first parameter ?2 / $2 (the
// organization is ?1 / $1).
scim::SqlMapping scim_sql_mapping(ScimKind kind, scim::SqlDialect dialect);

inline constexpr const char* kScimDirectoryColumns =
    "id, org_id, name, token_hash, created_at, revoked_at";
inline constexpr const char* kScimUserColumns =
    "scim_users.id, scim_users.org_id, scim_users.user_name, scim_users.external_id,"
    " scim_users.active, CAST(scim_users.resource AS TEXT), scim_users.version,"
    " scim_users.created_at, scim_users.last_modified";
inline constexpr const char* kScimGroupColumns =
    "scim_groups.id, scim_groups.org_id, scim_groups.display_name, scim_groups.external_id, 1,"
    " CAST(scim_groups.resource AS TEXT), scim_groups.version, scim_groups.created_at,"
    " scim_groups.last_modified";

template <class Statement>
ScimDirectory read_scim_directory(const Statement& s) {
  ScimDirectory d;
  d.id = s.text(0);
  d.org_id = s.text(1);
  d.name = s.text(2);
  d.token_hash = s.blob(3);
  d.created_at = s.integer(4);
  d.revoked_at = s.optional_integer(5);
  return d;
}

template <class Statement>
Result<ScimResource> read_scim_resource(const Statement& s) {
  ScimResource r;
  r.id = s.text(0);
  r.org_id = s.text(1);
  r.name = s.text(2);
  r.external_id = s.text(3);
  r.active = s.integer(4) != 0;
  MCPGATE_ASSIGN_OR_RETURN(r.resource, parse_scim_resource(s.text(5)));
  r.version = s.integer(6);
  r.created_at = s.integer(7);
  r.last_modified = s.integer(8);
  return r;
}

// --- directories ---------------------------------------------------------------------------

template <class Blob, class Connection>
Status create_scim_directory(Connection& c, const ScimDirectory& d) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(std::string("INSERT INTO scim_directories (")
                                             + kScimDirectoryColumns
                                             + ") VALUES (?, ?, ?, ?, ?, ?)"));
  s.bind(d.id, d.org_id, d.name, Blob{d.token_hash}, d.created_at, d.revoked_at);
  return s.run();
}

template <class Connection>
Result<std::vector<ScimDirectory>> list_scim_directories(Connection& c, std::string_view org_id) {
  const std::string select =
      std::string("SELECT ") + kScimDirectoryColumns + " FROM scim_directories";
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(org_id.empty()
                                                 ? select + " ORDER BY id"
                                                 : select + " WHERE org_id = ? ORDER BY id"));
  if (!org_id.empty()) {
    s.bind(org_id);
  }
  std::vector<ScimDirectory> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(read_scim_directory(s));
  }
}

template <class Connection>
Status revoke_scim_directory(Connection& c, std::string_view id, Timestamp now) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("UPDATE scim_directories SET revoked_at = COALESCE(revoked_at, ?)"
                        " WHERE id = ?"));
  s.bind(now, id);
  MCPGATE_TRY(s.run());
  if (s.changes() == 0) {
    return make_error(ErrorCode::kNotFound, "store: scim directory not found");
  }
  return {};
}

template <class Blob, class Connection>
Result<ScimDirectory> find_scim_directory_by_token(Connection& c, std::string_view token_hash) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(std::string("SELECT ") + kScimDirectoryColumns
                                             + " FROM scim_directories WHERE token_hash = ?"));
  s.bind(Blob{token_hash});
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: scim directory not found");
  }
  return read_scim_directory(s);
}

// --- membership tuples ---------------------------------------------------------------------

using ScimMembership = std::pair<std::string, std::string>;  // (group id, user id)

template <class Connection>
Result<bool> scim_tuple_exists(Connection& c, std::string_view store_id,
                               const ScimMembership& m) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT 1 FROM authz_tuples WHERE store_id = ? AND object = ?"
                        " AND relation = 'member' AND user_ref = ?"));
  s.bind(store_id, scim_member_object(m.first), scim_member_user(m.second));
  return s.step();
}

template <class Connection>
Status write_scim_member_tuples(Connection& c, const ScimTupleTarget& target,
                                const std::vector<ScimMembership>& writes,
                                const std::vector<ScimMembership>& deletes) {
  if (target.store_id.empty()) {
    return {};
  }
  std::vector<ScimMembership> to_write;
  std::vector<ScimMembership> to_delete;
  for (const auto& m : writes) {
    MCPGATE_ASSIGN_OR_RETURN(const bool there, scim_tuple_exists(c, target.store_id, m));
    if (!there) {
      to_write.push_back(m);
    }
  }
  for (const auto& m : deletes) {
    MCPGATE_ASSIGN_OR_RETURN(const bool there, scim_tuple_exists(c, target.store_id, m));
    if (there) {
      to_delete.push_back(m);
    }
  }
  if (to_write.empty() && to_delete.empty()) {
    return {};
  }
  std::int64_t revision = 0;
  {
    // The same upsert as write_tuples: it takes the store's revision row lock, so concurrent
    // writers commit in revision order.
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("INSERT INTO authz_revisions (store_id, revision) VALUES (?, 1)"
                  " ON CONFLICT (store_id) DO UPDATE SET revision = authz_revisions.revision + 1"
                  " RETURNING revision"));
    s.bind(target.store_id);
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return make_error(ErrorCode::kInternal, "store: no revision returned");
    }
    revision = s.integer(0);
  }
  std::int64_t ordinal = 0;
  const auto log_change = [&](const char* op, const ScimMembership& m) -> Status {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("INSERT INTO authz_changes (store_id, revision, ordinal, op, object,"
                          " relation, user_ref, condition_name, condition_context, changed_at)"
                          " VALUES (?, ?, ?, ?, ?, 'member', ?, '', '', ?)"));
    s.bind(target.store_id, revision, ordinal++, op, scim_member_object(m.first),
           scim_member_user(m.second), target.now);
    return s.run();
  };
  for (const auto& m : to_delete) {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("DELETE FROM authz_tuples WHERE store_id = ? AND object = ?"
                          " AND relation = 'member' AND user_ref = ?"));
    s.bind(target.store_id, scim_member_object(m.first), scim_member_user(m.second));
    MCPGATE_TRY(s.run());
    MCPGATE_TRY(log_change("delete", m));
  }
  for (const auto& m : to_write) {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("INSERT INTO authz_tuples (store_id, object, relation, user_ref,"
                          " condition_name, condition_context, revision)"
                          " VALUES (?, ?, 'member', ?, '', '', ?)"));
    s.bind(target.store_id, scim_member_object(m.first), scim_member_user(m.second), revision);
    MCPGATE_TRY(s.run());
    MCPGATE_TRY(log_change("write", m));
  }
  return {};
}

// --- users ---------------------------------------------------------------------------------

template <class Connection>
Status create_scim_user(Connection& c, const ScimResource& u, std::string_view password_hash) {
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("INSERT INTO users (id, username, username_key, password_hash,"
                          " disabled, created_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    s.bind(u.id, u.name, scim_name_key(u.name), password_hash, !u.active, u.created_at,
           u.org_id);
    MCPGATE_TRY(s.run());
  }
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("INSERT INTO scim_users (id, org_id, user_name, user_name_key,"
                        " external_id, active, resource, version, created_at, last_modified)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"));
  s.bind(u.id, u.org_id, u.name, scim_name_key(u.name), u.external_id, u.active,
         u.resource.dump(), u.created_at, u.last_modified);
  return s.run();
}

// kNotFound / kFailedPrecondition for a replace whose row is absent or whose version moved.
template <class Connection>
Status scim_version_check(Connection& c, const char* table, std::string_view org_id,
                          std::string_view id, std::int64_t expected_version,
                          std::int64_t& current) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(std::string("SELECT version FROM ") + table
                                             + " WHERE id = ? AND org_id = ?"));
  s.bind(id, org_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: scim resource not found");
  }
  current = s.integer(0);
  if (expected_version != 0 && current != expected_version) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "store: scim resource changed since it was read");
  }
  return {};
}

template <class Connection>
Result<std::int64_t> replace_scim_user(Connection& c, const ScimResource& u,
                                       std::int64_t expected_version,
                                       const std::optional<std::string>& password_hash) {
  std::int64_t current = 0;
  MCPGATE_TRY(scim_version_check(c, "scim_users", u.org_id, u.id, expected_version, current));
  const std::int64_t next = current + 1;
  nlohmann::json resource = u.resource;
  resource["meta"]["version"] = "W/\"" + std::to_string(next) + "\"";
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE scim_users SET user_name = ?, user_name_key = ?,"
                          " external_id = ?, active = ?, resource = ?, version = ?,"
                          " last_modified = ? WHERE id = ? AND org_id = ? AND version = ?"));
    s.bind(u.name, scim_name_key(u.name), u.external_id, u.active, resource.dump(), next,
           u.last_modified, u.id, u.org_id, current);
    MCPGATE_TRY(s.run());
    if (s.changes() != 1) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "store: scim resource changed since it was read");
    }
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE users SET username = ?, username_key = ?, disabled = ?"
                          " WHERE id = ?"));
    s.bind(u.name, scim_name_key(u.name), !u.active, u.id);
    MCPGATE_TRY(s.run());
  }
  if (password_hash) {
    MCPGATE_ASSIGN_OR_RETURN(auto s,
                             c.prepare("UPDATE users SET password_hash = ? WHERE id = ?"));
    s.bind(*password_hash, u.id);
    MCPGATE_TRY(s.run());
  }
  return next;
}

template <class Connection>
Status delete_scim_user(Connection& c, std::string_view org_id, std::string_view id,
                        const ScimTupleTarget& tuples) {
  std::int64_t current = 0;
  MCPGATE_TRY(scim_version_check(c, "scim_users", org_id, id, 0, current));
  std::vector<ScimMembership> memberships;
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("SELECT group_id FROM scim_group_members WHERE user_id = ?"));
    s.bind(id);
    while (true) {
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        break;
      }
      memberships.emplace_back(s.text(0), std::string(id));
    }
  }
  MCPGATE_TRY(write_scim_member_tuples(c, tuples, {}, memberships));
  for (const char* sql : {"DELETE FROM scim_group_members WHERE user_id = ?",
                          "DELETE FROM scim_users WHERE id = ?", "DELETE FROM users WHERE id = ?"}) {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(sql));
    s.bind(id);
    MCPGATE_TRY(s.run());
  }
  return {};
}

// --- groups --------------------------------------------------------------------------------

template <class Connection>
Result<std::vector<ScimMember>> scim_group_members(Connection& c, std::string_view group_id) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT m.user_id, u.user_name FROM scim_group_members m"
                        " JOIN scim_users u ON u.id = m.user_id WHERE m.group_id = ?"
                        " ORDER BY m.user_id"));
  s.bind(group_id);
  std::vector<ScimMember> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(ScimMember{s.text(0), s.text(1)});
  }
}

// Adds and removes member rows so the group has exactly `wanted`; returns the difference as
// memberships for the tuples. kFailedPrecondition when a wanted member is not a SCIM user of
// the group's organization.
template <class Connection>
Status set_scim_group_members(Connection& c, const ScimResource& g,
                              const ScimTupleTarget& tuples) {
  std::set<std::string> wanted;
  for (const auto& m : g.members) {
    wanted.insert(m.user_id);
  }
  std::set<std::string> have;
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("SELECT user_id FROM scim_group_members WHERE group_id = ?"));
    s.bind(g.id);
    while (true) {
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        break;
      }
      have.insert(s.text(0));
    }
  }
  std::vector<ScimMembership> added;
  std::vector<ScimMembership> removed;
  for (const auto& id : wanted) {
    if (have.count(id) != 0) {
      continue;
    }
    {
      MCPGATE_ASSIGN_OR_RETURN(
          auto s, c.prepare("SELECT 1 FROM scim_users WHERE id = ? AND org_id = ?"));
      s.bind(id, g.org_id);
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "store: a group member is not a user of the organization");
      }
    }
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("INSERT INTO scim_group_members (group_id, user_id) VALUES (?, ?)"));
    s.bind(g.id, id);
    MCPGATE_TRY(s.run());
    added.emplace_back(g.id, id);
  }
  for (const auto& id : have) {
    if (wanted.count(id) != 0) {
      continue;
    }
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("DELETE FROM scim_group_members WHERE group_id = ? AND user_id = ?"));
    s.bind(g.id, id);
    MCPGATE_TRY(s.run());
    removed.emplace_back(g.id, id);
  }
  return write_scim_member_tuples(c, tuples, added, removed);
}

template <class Connection>
Status create_scim_group(Connection& c, const ScimResource& g, const ScimTupleTarget& tuples) {
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("INSERT INTO scim_groups (id, org_id, display_name, display_name_key,"
                          " external_id, resource, version, created_at, last_modified)"
                          " VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)"));
    s.bind(g.id, g.org_id, g.name, scim_name_key(g.name), g.external_id, g.resource.dump(),
           g.created_at, g.last_modified);
    MCPGATE_TRY(s.run());
  }
  return set_scim_group_members(c, g, tuples);
}

template <class Connection>
Result<std::int64_t> replace_scim_group(Connection& c, const ScimResource& g,
                                        std::int64_t expected_version,
                                        const ScimTupleTarget& tuples) {
  std::int64_t current = 0;
  MCPGATE_TRY(scim_version_check(c, "scim_groups", g.org_id, g.id, expected_version, current));
  const std::int64_t next = current + 1;
  nlohmann::json resource = g.resource;
  resource["meta"]["version"] = "W/\"" + std::to_string(next) + "\"";
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare("UPDATE scim_groups SET display_name = ?, display_name_key = ?,"
                          " external_id = ?, resource = ?, version = ?, last_modified = ?"
                          " WHERE id = ? AND org_id = ? AND version = ?"));
    s.bind(g.name, scim_name_key(g.name), g.external_id, resource.dump(), next, g.last_modified,
           g.id, g.org_id, current);
    MCPGATE_TRY(s.run());
    if (s.changes() != 1) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "store: scim resource changed since it was read");
    }
  }
  MCPGATE_TRY(set_scim_group_members(c, g, tuples));
  return next;
}

template <class Connection>
Status delete_scim_group(Connection& c, std::string_view org_id, std::string_view id,
                         const ScimTupleTarget& tuples) {
  std::int64_t current = 0;
  MCPGATE_TRY(scim_version_check(c, "scim_groups", org_id, id, 0, current));
  ScimResource empty;
  empty.id = std::string(id);
  empty.org_id = std::string(org_id);
  MCPGATE_TRY(set_scim_group_members(c, empty, tuples));
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("DELETE FROM scim_groups WHERE id = ?"));
  s.bind(id);
  return s.run();
}

// --- reads ---------------------------------------------------------------------------------

template <class Connection>
Result<ScimResource> find_scim_resource(Connection& c, ScimKind kind, std::string_view org_id,
                                        std::string_view id) {
  const bool user = kind == ScimKind::kUser;
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare(std::string("SELECT ") + (user ? kScimUserColumns : kScimGroupColumns)
                        + (user ? " FROM scim_users WHERE scim_users.id = ? AND scim_users.org_id = ?"
                                : " FROM scim_groups WHERE scim_groups.id = ? AND"
                                  " scim_groups.org_id = ?")));
  s.bind(id, org_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: scim resource not found");
  }
  MCPGATE_ASSIGN_OR_RETURN(auto r, read_scim_resource(s));
  if (!user) {
    MCPGATE_ASSIGN_OR_RETURN(r.members, scim_group_members(c, r.id));
  }
  return r;
}

// Binds a compiled filter's parameters from `first` on.
template <class Statement>
void bind_scim_filter(Statement& s, const std::vector<scim::SqlValue>& params, int first) {
  int at = first;
  for (const scim::SqlValue& p : params) {
    std::visit([&](const auto& v) { s.bind_at(at, v); }, p);
    ++at;
  }
}

template <class Connection>
Result<ScimPage> list_scim_resources(Connection& c, scim::SqlDialect dialect,
                                     const ScimListQuery& q) {
  const bool user = q.kind == ScimKind::kUser;
  const std::string table = user ? "scim_users" : "scim_groups";
  const std::string org = dialect == scim::SqlDialect::kSqlite ? "?1" : "$1";
  std::string where = table + ".org_id = " + org;
  std::vector<scim::SqlValue> params;
  if (q.filter != nullptr) {
    MCPGATE_ASSIGN_OR_RETURN(auto compiled,
                             scim::to_sql(*q.filter, scim_sql_mapping(q.kind, dialect)));
    where += " AND (" + compiled.where + ")";
    params = std::move(compiled.params);
    // The mapping reaches every attribute (the JSON column), so compiled filters are exact.
  }
  ScimPage page;
  {
    MCPGATE_ASSIGN_OR_RETURN(auto s,
                             c.prepare_numbered("SELECT COUNT(*) FROM " + table + " WHERE " + where));
    s.bind_at(1, q.org_id);
    bind_scim_filter(s, params, 2);
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    page.total = row ? s.integer(0) : 0;
  }
  if (q.limit <= 0 || q.offset >= page.total) {
    return page;
  }
  {
    // offset and limit are numbers the caller computed and checked, not request text.
    MCPGATE_ASSIGN_OR_RETURN(
        auto s, c.prepare_numbered(std::string("SELECT ")
                                   + (user ? kScimUserColumns : kScimGroupColumns) + " FROM "
                                   + table + " WHERE " + where + " ORDER BY " + table
                                   + ".id LIMIT " + std::to_string(q.limit) + " OFFSET "
                                   + std::to_string(std::max<std::int64_t>(q.offset, 0))));
    s.bind_at(1, q.org_id);
    bind_scim_filter(s, params, 2);
    while (true) {
      MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) {
        break;
      }
      MCPGATE_ASSIGN_OR_RETURN(auto r, read_scim_resource(s));
      page.resources.push_back(std::move(r));
    }
  }
  if (!user && q.with_members) {
    for (auto& g : page.resources) {
      MCPGATE_ASSIGN_OR_RETURN(g.members, scim_group_members(c, g.id));
    }
  }
  return page;
}

}  // namespace mcpgate::store::queries
