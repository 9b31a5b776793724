#pragma once
// Relationship tuples as callers and storage see them (strings), the OpenFGA error codes the
// engine reports, and the syntax checks for tuple strings.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::authz {

// OpenFGA's numeric error codes, so results map 1:1 onto its API and test corpus.
enum class FgaErrorCode : int {
  kNone = 0,
  kValidationError = 2000,          // bad request: unknown type/relation (Check), bad condition input
  kModelNotFound = 2001,
  kResolutionTooComplex = 2002,     // depth limit (25) exceeded
  kInvalidWriteInput = 2003,        // write/delete of a tuple that exists / does not exist
  kDuplicateTupleInWrite = 2004,
  kExceededEntityLimit = 2008,      // more than max_tuples_per_write
  kTypeNotFound = 2021,             // ListObjects / ListUsers
  kRelationNotFound = 2022,         // ListObjects / ListUsers
  kInvalidTuple = 2027,             // a (contextual or written) tuple that the model does not allow
  kContextTooLarge = 2028,
  kInternal = 4000,
};

struct FgaError {
  FgaErrorCode code = FgaErrorCode::kNone;
  std::string message;
  // A condition lacked parameters the request did not supply (OpenFGA reports it as 2000).
  // Callers deciding without a call's arguments (tools/list, `policy explain`) read it as
  // "may be allowed"; everyone else denies, as for any error.
  bool missing_parameters = false;

  bool ok() const { return code == FgaErrorCode::kNone; }
  int numeric() const { return static_cast<int>(code); }
};

// Maps an engine error onto the project's canonical codes (for transports).
ErrorCode to_error_code(FgaErrorCode code);

// One relationship tuple, as written by callers and kept by persistent storage.
//   object: "type:id"; user: "type:id", "type:*" or "type:id#relation".
struct TupleRecord {
  std::string object;
  std::string relation;
  std::string user;
  std::string condition_name;      // empty: unconditioned
  nlohmann::json condition_context;  // null or a JSON object (the tuple's partial context)

  friend bool operator==(const TupleRecord& a, const TupleRecord& b) {
    return a.object == b.object && a.relation == b.relation && a.user == b.user &&
           a.condition_name == b.condition_name && a.condition_context == b.condition_context;
  }
};

std::string to_string(const TupleRecord& t);  // "object#relation@user[cond]"

// The pieces of a tuple's strings after the syntax check.
struct ParsedObject {
  std::string_view type;
  std::string_view id;
};

struct ParsedUser {
  std::string_view type;
  std::string_view id;        // "*" for a wildcard
  std::string_view relation;  // non-empty for a userset
  bool wildcard = false;
};

// Syntax only (the model decides what is allowed): `type:id`, with a type of 1..254 characters
// without ':', '#', '@' or whitespace and an id of 1..256 characters without '#', whitespace or
// a lone '*'.
Result<ParsedObject> parse_object(std::string_view object);
// `type:id`, `type:*` or `type:id#relation`.
Result<ParsedUser> parse_user(std::string_view user);
bool valid_relation_name(std::string_view relation);

}  // namespace mcpgate::authz
