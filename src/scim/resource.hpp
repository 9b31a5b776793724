#pragma once
// A whole resource from a client (POST, RFC 7644 §3.3; PUT, §3.5.1) checked against its type and
// put in the canonical form the rest of the module (and the SQL mapping's JSON column) expects:
// attribute names spelled as in the schema, extension attributes under their URN and listed in
// "schemas", every value through normalize_attribute_value (booleans from strings, multi-valued
// as arrays, readOnly sub-attributes dropped).
//
//  * readOnly attributes the client sends (id, meta, groups, ...) are ignored: the server owns them;
//  * an attribute no schema of the type defines: invalidSyntax;
//  * a required attribute missing, or a value of the wrong type: invalidValue;
//  * PUT: an immutable attribute that has a value must keep it (mutability); writeOnly values
//    (password) the client omits are kept; the server's readOnly values are carried over.

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "scim/schema.hpp"

namespace mcpgate::scim {

// POST: the client's resource in canonical form, without server-owned attributes.
Result<nlohmann::json> normalize_resource(const nlohmann::json& input, const ResourceType& type);

// PUT: `existing` (canonical, with id and meta) replaced by `input`.
Result<nlohmann::json> replace_resource(const nlohmann::json& existing, const nlohmann::json& input,
                                        const ResourceType& type);

}  // namespace mcpgate::scim
