#pragma once
// The SCIM filter language (RFC 7644 §3.4.2.2) as one AST with three users: the evaluator
// (evaluate.hpp), the SQL compiler (sql.hpp) and PATCH value selection (patch.hpp).
//
//   parse_filter   text → Filter (syntax only; no schema needed)
//   bind_filter    resolves every attribute against a resource type, checks that each
//                  operator suits the attribute's type, and types the literals (dateTime as an
//                  instant, case-folded strings for caseExact=false). After binding, evaluation
//                  and SQL compilation cannot meet an unknown attribute or a type error.
//
// Hostile input: the text is limited in length, nesting depth and node count (FilterLimits),
// and the parser's recursion is bounded by the depth limit. Every failure is an invalidFilter
// error (PATCH paths: invalidPath) naming the offset and what was expected.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scim/path.hpp"
#include "scim/schema.hpp"

namespace mcpgate::scim {

enum class CompareOp { kEq, kNe, kCo, kSw, kEw, kGt, kGe, kLt, kLe, kPr };
std::string_view compare_op_name(CompareOp op);

enum class NodeKind {
  kAnd,        // children: 2 or more
  kOr,         // children: 2 or more
  kNot,        // children: 1
  kCompare,    // path op literal, or path pr
  kValuePath,  // path[children[0]]: children[0] is a filter over the attribute's sub-attributes
};

using NodeId = std::uint32_t;

// A bound literal.
struct TypedValue {
  enum class Kind { kNone, kBoolean, kNumber, kString, kDateTime };
  Kind kind = Kind::kNone;
  bool boolean = false;
  bool is_integer = false;   // kNumber: `integer` holds it exactly
  std::int64_t integer = 0;  // kNumber (integral literal) or kDateTime (microseconds since the epoch)
  double number = 0;         // kNumber
  std::string text;          // kString: folded to lower case unless the attribute is caseExact
};

struct Node {
  NodeKind kind = NodeKind::kCompare;
  std::vector<NodeId> children;
  AttrPath path;                 // kCompare, kValuePath
  CompareOp op = CompareOp::kEq;  // kCompare
  nlohmann::json literal;        // kCompare except pr: the JSON literal as written
  std::size_t offset = 0;        // where the node starts in the text

  // Set by bind_filter.
  Resolved target;          // kCompare: what is compared (sub set for sub-attributes and for a
                            // complex attribute compared through its "value"); kValuePath: the
                            // complex attribute whose values are selected
  bool in_element = false;  // kCompare inside a value path: target.sub is relative to one value
  bool negate = false;      // "ne x" is bound as not "eq x"; "eq null" as not "pr"
  TypedValue value;         // kCompare except pr
};

struct FilterLimits {
  std::size_t max_length = 4096;  // bytes of filter text
  int max_depth = 16;             // nested parentheses, not, and value paths (capped at 64)
  std::size_t max_nodes = 256;    // AST nodes
};

struct Filter {
  std::vector<Node> nodes;
  NodeId root = 0;
  const ResourceType* type = nullptr;  // set by bind_filter
  bool bound() const { return type != nullptr; }
};

// The filter grammar: operators and keywords ignoring case, literals as JSON (strings with JSON
// escapes, numbers, true/false/null ignoring case). Errors: invalidFilter.
Result<Filter> parse_filter(std::string_view text, const FilterLimits& limits = {});
// Binds a parsed filter to `type` (see above). Errors: invalidFilter (unknown attribute, an
// operator the attribute's type does not support, a literal of the wrong type).
Status bind_filter(Filter& filter, const ResourceType& type);
// parse_filter + bind_filter.
Result<Filter> compile_filter(std::string_view text, const ResourceType& type, const FilterLimits& limits = {});

// A canonical rendering: parsing it again gives the same tree (used by tests and the fuzzer).
std::string to_string(const Filter& filter);

// A PATCH path (RFC 7644 §3.5.2): attrPath, or attrPath "[" valFilter "]" ["." subAttr].
struct PatchPath {
  AttrPath attr;
  std::optional<Filter> filter;  // the value filter (its paths are sub-attributes of attr)
  std::string sub;               // the sub-attribute after the value filter
};
// Errors: invalidPath (malformed path), invalidFilter is reported as invalidPath too.
Result<PatchPath> parse_patch_path(std::string_view text, const FilterLimits& limits = {});
// Binds a value filter of a PATCH path to the complex attribute it selects values of.
Status bind_value_filter(Filter& filter, const ResourceType& type, const Resolved& outer);

}  // namespace mcpgate::scim
