#pragma once
// Evaluating a bound filter against a resource (RFC 7644 §3.4.2.2 semantics):
//  * attribute names in the resource are matched ignoring case; extension attributes are read
//    from the object under the extension's URN;
//  * strings compare by bytes when the attribute is caseExact, else ignoring ASCII case;
//  * dateTime values compare as instants, numbers as numbers, booleans by value (a stored
//    "True"/"false" string counts as the boolean);
//  * a multi-valued attribute matches when any of its values matches;
//  * "pr": the attribute has a value that is not null, not "", not [] and not {};
//  * a comparison with an absent or mistyped value is false, and "ne" is exactly not "eq" (so
//    `title ne "x"` matches users without a title). Two-valued logic throughout: the SQL
//    compiler produces the same answers.

#include <nlohmann/json.hpp>

#include "scim/filter.hpp"

namespace mcpgate::scim {

// Whether `resource` matches `filter`, which must be bound (false otherwise).
bool matches(const Filter& filter, const nlohmann::json& resource);

// Whether `element` (one value of the complex attribute a PATCH value filter was bound to)
// matches that value filter.
bool element_matches(const Filter& value_filter, const nlohmann::json& element);

// RFC 7643 "pr" on one JSON value (see above).
bool is_present(const nlohmann::json& value);

}  // namespace mcpgate::scim
