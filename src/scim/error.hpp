#pragma once
// SCIM errors (RFC 7644 §3.12). They travel as mcpgate::Error inside Result<T> like every other
// expected failure; the scimType rides in the message as a prefix ("invalidFilter: detail") so
// the MCPGATE_TRY macros work unchanged, and the endpoint turns an Error into the SCIM error body
// in one place (error_body).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mcpgate::scim {

enum class ScimType {
  kNone,           // an error without a scimType (404, 500, ...)
  kInvalidFilter,  // 400: bad filter syntax, or an unsupported attribute/operator combination
  kTooMany,        // 400
  kUniqueness,     // 409
  kMutability,     // 400: the change is incompatible with the attribute's mutability
  kInvalidSyntax,  // 400: the request body is not a valid SCIM message
  kInvalidPath,    // 400: the PATCH path is malformed or names no defined attribute
  kNoTarget,       // 400: the path selected nothing to operate on
  kInvalidValue,   // 400: a value has the wrong type or is missing
  kInvalidVers,    // 400
  kSensitive,      // 400
};

std::string_view scim_type_name(ScimType type);

// An Error carrying `type`. The ErrorCode follows the HTTP status RFC 7644 gives it
// (kAlreadyExists for uniqueness, kInvalidArgument for the rest).
Error scim_error(ScimType type, std::string detail);

// The scimType of an error made by scim_error (kNone for any other Error).
ScimType scim_type_of(const Error& error);
// The detail without the scimType prefix.
std::string_view scim_detail(const Error& error);
// The HTTP status of an error ("400", "404", "409", ...), as SCIM sends it: a string.
int scim_status(const Error& error);
// {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":..,"detail":..}
nlohmann::json error_body(const Error& error);

}  // namespace mcpgate::scim
