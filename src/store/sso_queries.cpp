#include "store/sso_queries.hpp"

#include <nlohmann/json.hpp>

namespace mcpgate::store::queries {

Status check_sso_identity(const SsoIdentity& identity) {
  if (identity.org_id.empty() || identity.issuer.empty() || identity.subject.empty()
      || identity.user_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: an sso identity needs an organization, an issuer, a subject and a"
                      " user");
  }
  return {};
}

Status check_new_sso_user(const User& user, const SsoIdentity& identity) {
  if (user.id.empty() || user.username.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "store: user id and username are required");
  }
  MCPGATE_TRY(check_sso_identity(identity));
  if (identity.user_id != user.id || identity.org_id != user.org_id) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: the sso identity must name the new user and its organization");
  }
  if (!is_valid_org_id(user.org_id)) {
    return make_error(ErrorCode::kInvalidArgument, "store: the user's organization id is not valid");
  }
  return {};
}

std::string encode_sso_groups(const std::vector<std::string>& groups) {
  // Group names come from the IdP and may hold any bytes; replace keeps dump() from throwing.
  return nlohmann::json(groups).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> decode_sso_groups(const std::string& text) {
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) {
    return make_error(ErrorCode::kInternal, "store: unreadable sso identity groups");
  }
  std::vector<std::string> out;
  for (const auto& g : parsed) {
    if (!g.is_string()) {
      return make_error(ErrorCode::kInternal, "store: unreadable sso identity groups");
    }
    out.push_back(g.get<std::string>());
  }
  return out;
}

}  // namespace mcpgate::store::queries
