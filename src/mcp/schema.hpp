#pragma once
// A small JSON Schema validator for tool arguments: the subset tool input schemas use in practice.
//
// Supported keywords: type (string or array; "integer" accepts integral numbers), enum, const,
// properties, required, additionalProperties (bool or schema), patternProperties is NOT supported,
// items (schema), minItems/maxItems, uniqueItems, minLength/maxLength (in code points),
// minimum/maximum/exclusiveMinimum/exclusiveMaximum (numeric forms), multipleOf, allOf/anyOf/
// oneOf/not, if/then/else, and local $ref ("#/$defs/x", "#/definitions/x", "#"). Unknown keywords
// (format, pattern, title, description, $schema, $anchor, x-*) are ignored, as the JSON Schema
// spec allows for annotations.

#include <string>

#include "core/result.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::mcp {

// Validates `instance` against `schema`. The error (kInvalidArgument) names the JSON pointer of
// the first failing value and the reason, e.g. "/address/city: expected string, got number".
Status validate_json_schema(const Json& schema, const Json& instance);

// Fills in `default` values of top-level `properties` missing from `instance` (an object).
void apply_schema_defaults(const Json& schema, Json& instance);

// True when every JSON object is valid against `schema` and apply_schema_defaults() adds nothing
// to it: `true`, or an object schema whose only keywords are annotations, `type` allowing
// "object", empty `properties`/`required`, and `additionalProperties` true or {} (what no-argument
// tools declare). Conservative: any other keyword answers false. Meant to be asked once per
// schema, not per call.
bool schema_accepts_any_object(const Json& schema);

}  // namespace mcpgate::mcp
