#include "oauth/cli.hpp"

#include <cctype>

#include "core/log.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"

namespace mcpgate::oauth {

Status validate_username(std::string_view username) {
  if (username.empty() || username.size() > 64) {
    return make_error(ErrorCode::kInvalidArgument, "a username has 1 to 64 characters");
  }
  for (const char c : username) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '@' &&
        c != '+' && c != '-') {
      return make_error(ErrorCode::kInvalidArgument,
                        "a username may hold letters, digits and . _ @ + - only");
    }
  }
  return {};
}

Status add_user(store::Store& store, std::string_view username, std::string_view password,
                std::int64_t now, std::string_view id, std::string_view org_id) {
  MCPGATE_TRY(validate_username(username));
  if (!store::is_valid_org_id(org_id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "an organization id is 1-63 characters of a-z, 0-9 and '-'");
  }
  if (!id.empty()) {
    // Same alphabet as usernames: ids end up in policy tuples (`user:<id>`).
    if (auto st = validate_username(id); !st) {
      return make_error(ErrorCode::kInvalidArgument, "a user id may hold letters, digits and . _ @ + - only");
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(std::string hash, crypto::hash_password(password));
  store::User user;
  user.id = id.empty() ? "usr_" + crypto::random_id() : std::string(id);
  user.username = std::string(username);
  user.password_hash = std::move(hash);
  user.created_at = now;
  user.org_id = std::string(org_id);
  if (auto created = store.create_user(user); !created) {
    if (created.error().code == ErrorCode::kFailedPrecondition) {
      return make_error(ErrorCode::kNotFound,
                        "no organization '" + user.org_id + "' (list it under organizations:)");
    }
    return created;
  }
  log::info("oauth_user_added", {{"user_id", user.id}, {"org_id", user.org_id}});
  return {};
}

Status set_user_password(store::Store& store, std::string_view username, std::string_view password,
                         std::int64_t now, std::string_view org_id) {
  MCPGATE_ASSIGN_OR_RETURN(store::User user, store.find_user_by_username(org_id, username));
  MCPGATE_ASSIGN_OR_RETURN(std::string hash, crypto::hash_password(password));
  MCPGATE_TRY(store.set_user_password(user.id, hash));
  MCPGATE_ASSIGN_OR_RETURN(auto revoked, store.revoke_user_grants(user.id, now));
  log::info("oauth_user_password_set", {{"user_id", user.id}, {"revoked_count", revoked.size()}});
  return {};
}

Result<store::User> find_user_ref(store::Store& store, std::string_view ref,
                                  std::string_view org_id) {
  if (ref.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "name a user by id or username");
  }
  if (!org_id.empty() && !store::is_valid_org_id(org_id)) {
    return make_error(ErrorCode::kInvalidArgument, "not an organization id: " + std::string(org_id));
  }
  auto by_id = store.find_user(ref);
  if (!by_id && by_id.error().code != ErrorCode::kNotFound) {
    return by_id.error();
  }
  const bool id_matches = by_id && (org_id.empty() || by_id->org_id == org_id);
  auto by_name =
      store.find_user_by_username(org_id.empty() ? store::kDefaultOrgId : org_id, ref);
  if (!by_name && by_name.error().code != ErrorCode::kNotFound) {
    return by_name.error();
  }
  if (id_matches && by_name && by_id->id != by_name->id) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(ref) + "' is the id of one user and the username of "
                      "another: name the user by id (" + by_id->id + " or " + by_name->id + ")");
  }
  if (id_matches) {
    return by_id;
  }
  if (by_name) {
    return by_name;
  }
  return make_error(ErrorCode::kNotFound, "no user with id or username '" + std::string(ref) + "'" +
                                              (org_id.empty() ? std::string()
                                                              : " in organization " + std::string(org_id)));
}

Result<std::string> disable_user(store::Store& store, std::string_view ref,
                                 std::string_view org_id) {
  MCPGATE_ASSIGN_OR_RETURN(const store::User user, find_user_ref(store, ref, org_id));
  UserDeprovisioning deprovisioning(store);
  MCPGATE_ASSIGN_OR_RETURN(const store::DeprovisionReport r, deprovisioning.deactivate(user.id));
  return user.username + " (" + user.id + "): " +
         (r.was_disabled ? "was already disabled" : "disabled") + "; " +
         std::to_string(r.grant_ids.size()) + " grants and " + std::to_string(r.revoked.size()) +
         " access tokens revoked, " + std::to_string(r.vault_suspended) +
         " vault connections suspended";
}

Result<std::string> enable_user(store::Store& store, std::string_view ref,
                                std::string_view org_id) {
  MCPGATE_ASSIGN_OR_RETURN(const store::User user, find_user_ref(store, ref, org_id));
  UserDeprovisioning deprovisioning(store);
  MCPGATE_ASSIGN_OR_RETURN(const store::ReactivationReport r, deprovisioning.reactivate(user.id));
  return user.username + " (" + user.id + "): " + (r.was_disabled ? "enabled" : "was already enabled") +
         "; " + std::to_string(r.vault_resumed) +
         " vault connections usable again (clients must authorize again)";
}

Status seed_users(store::Store& store, const AuthOptions& options, std::int64_t now) {
  for (const auto& u : options.users) {
    auto existing = store.find_user_by_username(u.org, u.username);
    if (existing) {
      continue;
    }
    if (existing.error().code != ErrorCode::kNotFound) {
      return existing.error();
    }
    auto st = add_user(store, u.username, u.password, now, u.id, u.org);
    if (!st && st.error().code != ErrorCode::kAlreadyExists) {
      return st;
    }
  }
  return {};
}

}  // namespace mcpgate::oauth
