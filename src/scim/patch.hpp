#pragma once
// SCIM PATCH (RFC 7644 §3.5.2) on a resource held as JSON, checked against the resource type's
// schemas: add / replace / remove, with or without a path, value filters in paths
// (`members[value eq "2819c223"]`, `emails[type eq "work"].value`), mutability (readOnly and
// immutable attributes, required attributes: scimType mutability), value types (invalidValue),
// unknown attributes (invalidPath), paths that select nothing (noTarget).
//
// Accepted client quirks (docs/shared OAUTH.md §5.2):
//  * `op` in any case ("Replace", "Add": Entra ID);
//  * booleans as strings ("True", "false": Entra ID);
//  * no path with an object value of attributes (`{"active": false}`: Okta), whose keys may
//    also be paths ("name.givenName") or extension URNs with an object;
//  * add to a filtered sub-attribute path that selects nothing (`emails[type eq "work"].value`)
//    creates the value from the filter's eq terms, and add where replace is meant works;
//  * adding a member (or any value) that is already there adds no duplicate;
//  * a complex value given as a bare string ("manager": "id") means {"value": "id"};
//  * remove of values that are not there (a filter without a match, or `path: members` with a
//    `value` list) is a no-op unless PatchOptions::strict_remove.

#include <cstddef>
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "scim/filter.hpp"
#include "scim/schema.hpp"

namespace mcpgate::scim {

struct PatchOptions {
  std::size_t max_operations = 1000;
  bool require_patch_schema = true;  // "schemas" must name urn:…:PatchOp
  bool strict_remove = false;        // a remove that selects nothing is noTarget (RFC 7644 wording)
  FilterLimits path_limits;
};

struct PatchOutcome {
  bool changed = false;  // the resource differs from before
};

// Applies a PatchOp message to `resource`. All or nothing: on error `resource` is unchanged.
Result<PatchOutcome> apply_patch(nlohmann::json& resource, const nlohmann::json& request, const ResourceType& type,
                                 const PatchOptions& options = {});

// A value for attribute `attr` checked and put into canonical form: names as in the schema,
// booleans from strings, a multi-valued attribute always an array, readOnly sub-attributes of
// complex values dropped. Errors: invalidValue. Used by PATCH and, later, by POST/PUT.
Result<nlohmann::json> normalize_attribute_value(const Attribute& attr, const nlohmann::json& value);

}  // namespace mcpgate::scim
