#pragma once
// cel: a compiler and evaluator for the subset of Google's Common Expression Language that
// OpenFGA conditions use (../shared/docs/FGA.md §2.3). An expression is parsed and type-checked
// once, against declared typed parameters, into a Program; evaluating a Program is a walk over
// an immutable tree with a cost budget, so a Program is safe to share between threads.
//
// The subset: literals (int, uint `1u`, double, string, bytes, bool, null, lists, maps),
// parameters, comparison, logic (&& || ! with CEL's commutative error absorption), arithmetic
// with overflow errors, `in`, indexing, field selection and has() on maps, `size`, string
// functions (startsWith, endsWith, contains, matches via RE2, unanchored), macros (all, exists,
// exists_one, map with 2 or 3 arguments, filter) over lists and map keys, conversions (int, uint,
// double, string, bytes, bool, duration, timestamp, dyn), timestamp and duration arithmetic and
// accessors (time zones: "UTC" or fixed "+HH:MM" offsets only), and the OpenFGA extension
// `ipaddress(s).in_cidr(c)`. Not supported: protobuf messages, type(), optional syntax, string
// extension libraries.
//
// Errors:
//  * compile: syntax errors with line:column, unknown identifiers or functions, type errors
//    (the expression must be of type bool).
//  * evaluate: a declared parameter is absent (kMissingParameter; see evaluate_partial), a
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
  kBytes,      // bytes: an expression type only; OpenFGA has no TYPE_NAME_BYTES, so neither the
               // JSON nor the DSL can declare it (type_to_json gives TYPE_NAME_UNSPECIFIED)
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

// "TYPE_NAME_INT" <-> Type ({"type_name": ..., "generic_types": [...]}), and the DSL spelling
// "list<string>" <-> Type. type_to_dsl also spells types the DSL cannot declare ("any", "bytes",
// nested generics), for messages.
Result<Type> type_from_json(const nlohmann::json& parameter);
nlohmann::json type_to_json(const Type& type);
Result<Type> type_from_dsl(std::string_view spelling);
std::string type_to_dsl(const Type& type);

// A runtime value. Opaque outside the module; produced from JSON by value_from_json.
class Value;
using ValuePtr = std::shared_ptr<const Value>;

// Converts a context value (JSON, as OpenFGA's google.protobuf.Struct carries it) to `type`
// with OpenFGA's rules: int/uint/double accept a JSON number or a base-10 numeric string ("42",
// "1e3"), int/uint only integral, in-range values (uint non-negative); a double from a string must
// be exact ("0.5" yes, "0.1" no, as OpenFGA's big.Float route); non-finite values are refused.
// bool/string take only their JSON kind; timestamp is an RFC 3339 string, duration a Go duration
// string ("1h30m", "1.5s"), ipaddress an IPv4/IPv6 string (IPv4-mapped IPv6 is unmapped); lists
// and maps convert element-wise; `any` keeps the JSON shape with every number a double; JSON null
// is only accepted for `any`. Errors are kInvalidArgument with the reason.
Result<ValuePtr> value_from_json(const nlohmann::json& json, const Type& type);

// Bindings for one evaluation: parameter name -> value. Callers merge request context and tuple
// context before evaluating (OpenFGA: the tuple's context wins).
using Activation = std::map<std::string, ValuePtr, std::less<>>;

struct Limits {
  std::uint64_t max_cost = 100;  // OpenFGA's maxConditionEvaluationCost default
  std::size_t max_expression_bytes = 8 * 1024;
  std::size_t max_nesting = 64;  // parser recursion bound (parentheses, lists, calls);
                                 // the tree height is bounded to 4x this, so long
                                 // left-associative chains are refused too
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

  // OpenFGA semantics: a declared parameter absent from `activation` is an error
  // (kMissingParameter, listing every absent declared parameter), whether or not the expression
  // could have been decided without it; a runtime error takes precedence over it.
  EvalResult evaluate(const Activation& activation) const;

  // Partial evaluation: absent parameters are unknowns, so `false && missing` is false and only an
  // outcome that depends on them is kMissingParameter (listing the absent parameters the
  // expression reads). For "may this be allowed?" questions such as tools/list.
  EvalResult evaluate_partial(const Activation& activation) const;

  // The declared parameters the expression reads (for "which parameters are missing").
  const std::vector<std::string>& referenced_parameters() const;

  struct Impl;

 private:
  explicit Program(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;
};

}  // namespace mcpgate::cel
