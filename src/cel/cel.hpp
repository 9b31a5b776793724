#pragma once
// cel: a compiler and evaluator for the subset of Google's Common Expression Language that
// OpenFGA conditions use (../shared/docs/FGA.md §2.3). An expression is parsed and type-checked
// once, against declared typed parameters, into a Program; evaluating a Program is a walk over
// an immutable tree with a cost budget, so a Program is safe to share between threads.
//
// The subset: literals (int, uint `1u`, double, string, bytes, bool, null, lists, maps),
// parameters, comparison, logic (&& || ! with CEL's commutative error absorption), arithmetic
// with overflow errors, `in`, indexing, `size`, `has`-free member calls on strings
// (startsWith, endsWith, contains, matches via RE2), list macros (all, exists, exists_one, map,
// filter), conversions (int, uint, double, string, bytes, duration, timestamp), timestamp and
// duration arithmetic and accessors, and the OpenFGA extension `ipaddress(s).in_cidr(c)`.
//
// Errors:
//  * compile: syntax errors with line:column, unknown identifiers or functions, type errors
//    (the expression must be of type bool).
//  * evaluate: a declared parameter the expression needs is absent (kMissingParameter), a
//    runtime error (overflow, division by zero, bad conversion, index out of range), or the
//    cost budget exceeded. Callers treat every error as "deny".

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::cel {

// The parameter types OpenFGA allows (JSON names TYPE_NAME_*; DSL names in brackets).
enum class TypeKind {
  kAny,        // TYPE_NAME_ANY (JSON API only; the DSL rejects `any`)
  kBool,       // bool
  kString,     // string
  kInt,        // int
  kUint,       // uint
  kDouble,     // double
  kBytes,      // bytes (JSON only)
  kDuration,   // duration
  kTimestamp,  // timestamp
  kIpAddress,  // ipaddress
  kList,       // list<T>
  kMap,        // map<T> (string keys)
};

struct Type {
  TypeKind kind = TypeKind::kAny;
  std::vector<Type> generic;  // list / map: exactly one element type

  friend bool operator==(const Type&, const Type&) = default;
};

// "TYPE_NAME_INT" <-> Type, and the DSL spelling "list<string>" <-> Type.
Result<Type> type_from_json(const nlohmann::json& parameter);  // {"type_name":..., "generic_types":[...]}
nlohmann::json type_to_json(const Type& type);
Result<Type> type_from_dsl(std::string_view spelling);
std::string type_to_dsl(const Type& type);

// A runtime value. Opaque outside the module; produced from JSON by value_from_json.
class Value;
using ValuePtr = std::shared_ptr<const Value>;

// Converts a context value (JSON, as OpenFGA's google.protobuf.Struct carries it) to `type`
// strictly: a string for an int, a fractional number for an int, NaN/±Inf or a string for a
// double, a malformed timestamp (RFC 3339), duration ("1h30m") or IP address are errors.
Result<ValuePtr> value_from_json(const nlohmann::json& json, const Type& type);

// Bindings for one evaluation: parameter name -> value. Callers merge request context and tuple
// context before evaluating (OpenFGA: the tuple's context wins).
using Activation = std::map<std::string, ValuePtr, std::less<>>;

struct Limits {
  std::uint64_t max_cost = 100;                // OpenFGA's maxConditionEvaluationCost default
  std::size_t max_expression_bytes = 8 * 1024;
  std::size_t max_nesting = 64;                // parser recursion bound
};

enum class EvalErrorKind { kMissingParameter, kRuntime, kCostExceeded };

struct EvalError {
  EvalErrorKind kind = EvalErrorKind::kRuntime;
  std::string message;
  std::vector<std::string> missing;  // kMissingParameter: the absent parameter names
};

class EvalResult {
 public:
  EvalResult(bool value) : ok_(true), value_(value) {}  // NOLINT(google-explicit-constructor)
  EvalResult(EvalError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  bool value() const { return value_; }
  const EvalError& error() const { return error_; }

 private:
  bool ok_ = false;
  bool value_ = false;
  EvalError error_;
};

class Program {
 public:
  // Parses and type-checks `expression` against `parameters`; the result type must be bool.
  static Result<Program> compile(std::string_view expression,
                                 const std::map<std::string, Type, std::less<>>& parameters,
                                 const Limits& limits = {});

  EvalResult evaluate(const Activation& activation) const;

  // The declared parameters the expression reads (for "which parameters are missing").
  const std::vector<std::string>& referenced_parameters() const;

  struct Impl;

 private:
  explicit Program(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace mcpgate::cel
