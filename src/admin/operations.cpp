#include "admin/operations.hpp"

#include "core/ascii.hpp"

namespace mcpgate::admin {

using http::bhttp::verb;

const std::vector<Operation>& operations() {
  // Permissions name what the call does, not who may do it: the model decides which roles
  // (admin, helpdesk, auditor, ...) carry each one (examples/demo-policy.fga).
  static const std::vector<Operation> kOps = {
      {OpId::kListUsers, "listUsers", verb::get, "/users", kReadScope, "can_read_users",
       "List the users of the caller's organization", false, true},
      {OpId::kGetUser, "getUser", verb::get, "/users/{user_id}", kReadScope, "can_read_users",
       "One user of the caller's organization", false, false},
      {OpId::kDeactivateUser, "deactivateUser", verb::post, "/users/{user_id}/deactivate",
       kWriteScope, "can_manage_users",
       "Deactivate a user: sessions, grants and live tokens are revoked on every replica", true,
       false},
      {OpId::kReactivateUser, "reactivateUser", verb::post, "/users/{user_id}/reactivate",
       kWriteScope, "can_manage_users",
       "Reactivate a user (revoked grants stay revoked: the user signs in again)", true, false},
      {OpId::kListUserGrants, "listUserGrants", verb::get, "/users/{user_id}/grants", kReadScope,
       "can_read_grants", "The user's live grants (connected agents)", false, true},
      {OpId::kRevokeUserGrant, "revokeUserGrant", verb::delete_, "/users/{user_id}/grants/{grant_id}",
       kWriteScope, "can_revoke_grants",
       "Revoke one grant with its refresh tokens and live access tokens", false, false},
      {OpId::kListClients, "listClients", verb::get, "/clients", kReadScope, "can_read_clients",
       "The registered OAuth clients (static, DCR, CIMD) and their metadata", false, true},
  };
  return kOps;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") {
    return false;
  }
  for (const char c : id) {
    const bool ok = ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '.' ||
                    c == '_' || c == '~' || c == '@' || c == '+' || c == '=';
    if (!ok) {
      return false;
    }
  }
  return true;
}

namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') {
    return out;
  }
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return out;
    }
    path.remove_prefix(slash + 1);
  }
}

std::string_view method_name(verb m) {
  switch (m) {
    case verb::get:
      return "GET";
    case verb::post:
      return "POST";
    case verb::delete_:
      return "DELETE";
    default:
      return "?";
  }
}

}  // namespace

RouteMatch match_route(verb method, std::string_view path) {
  RouteMatch out;
  const auto segments = split_segments(path);
  if (segments.empty()) {
    return out;
  }
  for (const auto& op : operations()) {
    const auto pattern = split_segments(op.path);
    if (pattern.size() != segments.size()) {
      continue;
    }
    std::vector<std::string> params;
    bool same = true;
    bool bad = false;
    for (std::size_t i = 0; i < pattern.size() && same; ++i) {
      if (!pattern[i].empty() && pattern[i].front() == '{') {
        if (!valid_id(segments[i])) {
          bad = true;  // still this route's shape: decide 400 vs 405 below
        }
        params.emplace_back(segments[i]);
      } else {
        same = pattern[i] == segments[i];
      }
    }
    if (!same) {
      continue;
    }
    out.path_known = true;
    if (!out.allow.empty()) {
      out.allow += ", ";
    }
    out.allow += method_name(op.method);
    if (op.method == method && out.op == nullptr) {
      out.op = &op;
      out.params = std::move(params);
      out.bad_id = bad;
    }
  }
  return out;
}

}  // namespace mcpgate::admin
