#pragma once
// A relationship tuple as JSON, in OpenFGA's TupleKey shape
//   {"user": "...", "relation": "...", "object": "...", "condition"?: {"name", "context"?}}
// read and written in one place for every API that takes or shows tuples: the
// OpenFGA-compatible API (openfga_api.cpp) and the Admin API's policy operations (src/admin).

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "authz/tuple.hpp"
#include "core/result.hpp"

namespace mcpgate::policy {

struct TupleKeyRules {
  bool user_required = true;
  bool relation_required = true;
  bool object_required = true;
  bool allow_condition = false;
};

// OpenFGA's request limits: user 512, object 256, relation 50 bytes, no whitespace; a relation
// without ':', '#' or '@'; a condition name 1..256 bytes; a context object of at most
// `max_context_bytes` serialised. Syntax beyond that (type:id, usersets) is the engine's to
// judge. kInvalidArgument naming the member (prefixed by `where`), never echoing its value.
Status parse_tuple_key(const nlohmann::json& v, authz::TupleRecord& out,
                       const TupleKeyRules& rules, std::size_t max_context_bytes,
                       std::string_view where);

nlohmann::json tuple_key_to_json(const authz::TupleRecord& t);

// Whitespace as OpenFGA's validation sees it (space, \t \n \r \v \f).
bool tuple_text_has_space(std::string_view s);
// A relation name as OpenFGA's request validation accepts it: 1..50 bytes without ':', '#',
// '@' or whitespace.
bool valid_tuple_relation(std::string_view s);

}  // namespace mcpgate::policy
