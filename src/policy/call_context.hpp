#pragma once
// The condition context of one tools/call: the tool's arguments, flattened and typed from its
// inputSchema (`arg_<name>`, nested objects `arg_<a>_<b>`), plus facts the gate itself
// established (who, through which client, from where, when). Conditions in the policy model
// declare the parameters they use; the engine converts each value strictly to the declared type.
//
// Arguments only ever become condition *parameters*, never relationship tuples: a tool argument
// is controlled by the agent, so it may narrow a permission but never assert one.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::policy {

// Facts the gate trusts about a call. Their names cannot collide with arguments (which all start
// with `arg_`).
struct RequestFacts {
  std::string_view user;                           // `user`: the token's subject
  std::string_view client_id;                      // `client_id`
  std::string_view client_kind;                    // `client_kind`: "cimd" | "dcr" | "static"
  std::string_view client_host;                    // `client_host`: CIMD metadata URL's host, else ""
  const std::vector<std::string>* scopes = nullptr;  // `scopes`: list<string>
  std::chrono::system_clock::time_point time;      // `request_time`: timestamp (RFC 3339, UTC)
  std::string_view source_ip;                      // `source_ip`: ipaddress
};

struct ContextLimits {
  std::size_t max_bytes = 32 * 1024;  // serialized size, as OpenFGA bounds a tuple's context
  std::size_t max_depth = 8;          // nesting of objects flattened into arg_<a>_<b>_...
};

// The argument part: arguments (a schema-validated object) flattened into `out`.
//  * a property described by the schema takes the schema's type: integer, number, boolean,
//    string; arrays of scalars become lists; objects with `properties` are flattened further;
//    objects with only `additionalProperties` of a scalar type become maps (`arg_<name>`);
//  * a property the schema does not describe is flattened by its JSON type (scalars only);
//  * names are made CEL identifiers (characters other than [A-Za-z0-9_] become `_`); two
//    arguments that land on the same name are an error (the call is denied, never guessed).
// kInvalidArgument for a collision, a value that contradicts its schema type, or a context over
// the limits.
Status flatten_arguments(const nlohmann::json& arguments,
                         const nlohmann::json* input_schema,
                         nlohmann::json& out,
                         const ContextLimits& limits = {});

// The whole context: trusted facts, then arguments.
Result<nlohmann::json> build_call_context(const nlohmann::json& arguments,
                                          const nlohmann::json* input_schema,
                                          const RequestFacts& facts,
                                          const ContextLimits& limits = {});

// RFC 3339 UTC with microseconds ("2026-11-28T18:30:00.000000Z").
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace mcpgate::policy
