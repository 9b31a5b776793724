#pragma once
// The OpenFGA modelling language (`model.fga`, schema 1.1), parsed by hand into the same
// AuthorizationModel that model_from_json() produces. The accepted language and the resulting
// model follow openfga/language's grammar and @openfga/syntax-transformer exactly, so that
// model_to_json(parse_dsl(text)) equals the transformer's JSON for the same text:
//
//   model
//     schema 1.1
//   type user
//   type document
//     relations
//       define viewer: [user, user:*, group#member, user with cond] or editor or viewer from parent
//       define can_edit: (a and b) but not blocked
//   condition cond(x: int, names: list<string>) {
//     x < 100 && "a" in names
//   }
//
// Notable rules of that grammar, all reproduced:
//  * `#` starts a comment when it begins a line (after blanks) or follows a space; `group#member`
//    is not a comment. Indentation is not significant.
//  * One operator kind per level: `a or b and c` is an error, `(a or b) and c` is not. `but not`
//    takes exactly one operand. Direct type restrictions `[...]` may only come first.
//  * A definition stays on one line, except that a `[...]` list may break after its commas.
//  * A condition's parameter list is on one line; its body is kept as the text between the
//    braces, trimmed, with `//` comments removed (the transformer's getText of the body).
//  * Modular models (`module`, `extend type`) are rejected with a clear error.
//
// Errors are kInvalidArgument with the message "LINE:COLUMN: what" (both 1-based, the column
// counted in bytes). Parsing checks syntax and what the transformer itself rejects (a relation
// or condition defined twice, a parameter declared twice); meaning (undefined types, cycles, ...)
// is validate_model()'s job.

#include <cstddef>
#include <string>
#include <string_view>

#include "authz/model.hpp"
#include "core/result.hpp"

namespace mcpgate::authz {

struct DslLimits {
  // Far above any real model (OpenFGA stores at most 256 KiB of model); bounds the work a
  // hostile text can cause before validation.
  std::size_t max_bytes = 1024 * 1024;
  // Parentheses nested deeper than this are refused: the parser recurses once per level.
  std::size_t max_nesting = 50;
};

Result<AuthorizationModel> parse_dsl(std::string_view text, const DslLimits& limits = {});

// The model in the DSL, in the layout the transformer writes (two-space indentation, one
// definition per line, conditions last). Parsing the result gives back an equal model. Names
// or expressions the DSL cannot spell (e.g. a JSON-only `TYPE_NAME_ANY` parameter) come out
// as written and fail to parse again.
std::string model_to_dsl(const AuthorizationModel& model);

}  // namespace mcpgate::authz
