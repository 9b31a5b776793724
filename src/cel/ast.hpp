#pragma once
// Internal: the expression tree shared by the parser, the checker and the evaluator.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "cel/value.hpp"

namespace mcpgate::cel {

// Static types as the checker sees them. kDyn is `any` (checked at run time).
enum class CKind : std::uint8_t {
  kDyn,
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kDuration,
  kTimestamp,
  kIpAddress,
  kList,
  kMap,
};

struct CType {
  CKind kind = CKind::kDyn;
  std::shared_ptr<const CType> key;   // map
  std::shared_ptr<const CType> elem;  // list element, map value

  static CType of(CKind kind) { return CType{kind, nullptr, nullptr}; }

  static CType list(CType elem) {
    return CType{CKind::kList, nullptr, std::make_shared<const CType>(std::move(elem))};
  }

  static CType map(CType key, CType value) {
    return CType{CKind::kMap,
                 std::make_shared<const CType>(std::move(key)),
                 std::make_shared<const CType>(std::move(value))};
  }

  const CType& element() const;  // dyn when absent
  const CType& key_type() const;
};

bool same_type(const CType& a, const CType& b);
std::string type_name(const CType& type);
CType ctype_from(const Type& type);

enum class NodeKind : std::uint8_t {
  kLiteral,
  kIdent,   // parameter or comprehension variable
  kSelect,  // args[0].name
  kHas,     // has(args[0].name)
  kCall,    // function `name`; receiver_style: args[0] is the receiver
  kList,
  kMap,  // args: key0, value0, key1, value1, ...
  kComprehension,
};

enum class Macro : std::uint8_t { kAll, kExists, kExistsOne, kMap, kMapFilter, kFilter };

// Resolved operations, chosen by the checker so the evaluator switches once per node.
enum class Op : std::uint16_t {
  kNone,
  kConst,
  kParam,
  kIterVar,
  kAnd,
  kOr,
  kNot,
  kTernary,
  kNeg,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kIn,
  kIndex,
  kSelect,
  kHas,
  kSize,
  kContains,
  kStartsWith,
  kEndsWith,
  kMatches,
  kToInt,
  kToUint,
  kToDouble,
  kToString,
  kToBytes,
  kToBool,
  kToDuration,
  kToTimestamp,
  kDyn,
  kIpAddress,
  kInCidr,
  kGetFullYear,
  kGetMonth,
  kGetDate,
  kGetDayOfMonth,
  kGetDayOfWeek,
  kGetDayOfYear,
  kGetHours,
  kGetMinutes,
  kGetSeconds,
  kGetMilliseconds,
  kMakeList,
  kMakeMap,
  kComprehension,
};

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  std::uint32_t pos = 0;     // byte offset in the source, for messages
  std::uint32_t height = 1;  // tree height, bounded so no recursion over the tree runs deep
  bool receiver_style = false;
  Macro macro = Macro::kAll;
  std::string name;  // identifier, field, function or comprehension variable
  std::vector<Node*> args;
  ValuePtr literal;

  // Filled in by the checker.
  CType type;
  Op op = Op::kNone;
  int slot = -1;                    // parameter index (kParam) or comprehension variable slot
  std::unique_ptr<re2::RE2> regex;  // `matches` with a literal pattern, compiled once
};

struct Ast {
  std::vector<std::unique_ptr<Node>> nodes;  // owns every node; children are raw pointers
  Node* root = nullptr;
};

// Parses CEL source text. Errors read "line:column: message".
Result<Ast> parse(std::string_view source, const Limits& limits);

// "line:column" (1-based, columns in code points) of a byte offset.
std::string source_location(std::string_view source, std::uint32_t offset);

}  // namespace mcpgate::cel
