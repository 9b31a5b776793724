#pragma once
// Which attributes a response carries (RFC 7643 §2.4 "returned", RFC 7644 §3.4.2.5, §3.9):
//   always   — always (id; schemas is always kept too)
//   never    — never (password)
//   default  — unless excludedAttributes names it, or attributes is given and does not
//   request  — only when attributes names it
// Naming a sub-attribute ("name.givenName") selects the parent with just that sub-attribute;
// naming an extension URN selects the whole extension. Members the schema does not define are
// never returned.

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scim/path.hpp"
#include "scim/schema.hpp"

namespace mcpgate::scim {

// A comma-separated attributes= / excludedAttributes= value. Names the resource type does not
// define are skipped (a client asking for an attribute we do not have gets a response without
// it); a malformed name is invalidPath.
Result<std::vector<Resolved>> parse_attribute_list(std::string_view list, const ResourceType& type);

nlohmann::json project(const nlohmann::json& resource, const ResourceType& type,
                       const std::vector<Resolved>& attributes, const std::vector<Resolved>& excluded);

}  // namespace mcpgate::scim
