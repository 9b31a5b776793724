#pragma once
// The SSO identity operations (store::SsoIdentity), written once for both backends as
// vault_queries.hpp does: portable SQL, each operation a template over the backend's
// Connection. The backend supplies the transaction (its write()/read() wrapper) and the
// username key of its users table.
//
// Concurrency, both backends: the primary key (org_id, issuer, subject) decides a race between
// two first sign-ins of the same person (the loser gets kAlreadyExists and its user row rolls
// back with it, since both inserts share the transaction); the users table's unique username
// key decides a race for the same username.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/types.hpp"

namespace mcpgate::store::queries {

// kInvalidArgument unless org, issuer, subject and user are set.
Status check_sso_identity(const SsoIdentity& identity);
// What Store::create_sso_user accepts, the same on both backends: a user with an id, a name and
// a valid organization, and a valid identity naming that user and organization.
Status check_new_sso_user(const User& user, const SsoIdentity& identity);
// The groups as a JSON array and back; an unreadable column reads as kInternal.
std::string encode_sso_groups(const std::vector<std::string>& groups);
Result<std::vector<std::string>> decode_sso_groups(const std::string& text);

inline constexpr const char* kSsoIdentityColumns =
    "org_id, issuer, subject, user_id, email, groups_json, created_at, last_login_at";

template <class Connection>
Result<SsoIdentity> find_sso_identity(Connection& c, std::string_view org_id,
                                      std::string_view issuer, std::string_view subject) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare(std::string("SELECT ") + kSsoIdentityColumns
                        + " FROM sso_identities WHERE org_id = ? AND issuer = ? AND subject = ?"));
  s.bind(org_id, issuer, subject);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: sso identity not found");
  }
  SsoIdentity out;
  out.org_id = s.text(0);
  out.issuer = s.text(1);
  out.subject = s.text(2);
  out.user_id = s.text(3);
  out.email = s.text(4);
  MCPGATE_ASSIGN_OR_RETURN(out.groups, decode_sso_groups(s.text(5)));
  out.created_at = s.integer(6);
  out.last_login_at = s.integer(7);
  return out;
}

template <class Connection>
Status insert_sso_identity(Connection& c, const SsoIdentity& identity) {
  MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare(std::string("INSERT INTO sso_identities (")
                                             + kSsoIdentityColumns
                                             + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  s.bind(identity.org_id,
         identity.issuer,
         identity.subject,
         identity.user_id,
         identity.email,
         encode_sso_groups(identity.groups),
         identity.created_at,
         identity.last_login_at);
  return s.run();
}

template <class Connection>
Status record_sso_login(Connection& c, const SsoIdentity& identity) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("UPDATE sso_identities SET email = ?, groups_json = ?, last_login_at = ?"
                        " WHERE org_id = ? AND issuer = ? AND subject = ? AND user_id = ?"));
  s.bind(identity.email,
         encode_sso_groups(identity.groups),
         identity.last_login_at,
         identity.org_id,
         identity.issuer,
         identity.subject,
         identity.user_id);
  MCPGATE_TRY(s.run());
  if (s.changes() == 0) {
    return make_error(ErrorCode::kNotFound, "store: sso identity not found");
  }
  return {};
}

// Just-in-time provisioning: the user and its identity in the caller's transaction.
// `username_key` is the backend's case-folded key of user.username.
template <class Connection>
Status create_sso_user(Connection& c, const User& user, std::string_view username_key,
                       const SsoIdentity& identity) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("INSERT INTO users (id, username, username_key, password_hash,"
                        " disabled, created_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  s.bind(user.id, user.username, username_key, user.password_hash, user.disabled,
         user.created_at, user.org_id);
  MCPGATE_TRY(s.run());
  return insert_sso_identity(c, identity);
}

}  // namespace mcpgate::store::queries
