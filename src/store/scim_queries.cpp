#include "store/scim_queries.hpp"

#include "core/ascii.hpp"

namespace mcpgate::store::queries {

Status check_scim_directory(const ScimDirectory& d) {
  if (d.id.empty() || d.org_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "store: a scim directory needs an id and an org");
  }
  if (d.token_hash.size() != 32) {
    return make_error(ErrorCode::kInvalidArgument, "store: a scim token hash must be 32 bytes");
  }
  return {};
}

Status check_scim_resource(const ScimResource& r) {
  if (r.id.empty() || r.org_id.empty() || r.name.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a scim resource needs an id, an org and a name");
  }
  if (!r.resource.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "store: a scim resource must be an object");
  }
  return {};
}

std::string scim_name_key(std::string_view name) { return ascii::to_lower(name); }

Result<nlohmann::json> parse_scim_resource(const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::kInternal, "store: a stored scim resource is not a JSON object");
  }
  return doc;
}

std::string scim_member_object(std::string_view group_id) {
  return "group:" + std::string(group_id);
}

std::string scim_member_user(std::string_view user_id) { return "user:" + std::string(user_id); }

scim::SqlMapping scim_sql_mapping(ScimKind kind, scim::SqlDialect dialect) {
  scim::SqlMapping m;
  m.dialect = dialect;
  m.first_parameter = 2;
  if (kind == ScimKind::kUser) {
    m.columns["id"] = {"scim_users.id", false};
    m.columns["username"] = {"scim_users.user_name_key", true};
    m.columns["externalid"] = {"scim_users.external_id", false};
    m.json_column = "scim_users.resource";
    return m;
  }
  m.columns["id"] = {"scim_groups.id", false};
  m.columns["displayname"] = {"scim_groups.display_name_key", true};
  m.columns["externalid"] = {"scim_groups.external_id", false};
  scim::SqlValueTable members;
  members.table = "scim_group_members";
  members.owner_column = "group_id";
  members.owner_key = "scim_groups.id";
  members.columns["value"] = {"user_id", false};
  m.value_tables["members"] = members;
  m.json_column = "scim_groups.resource";
  return m;
}

}  // namespace mcpgate::store::queries
