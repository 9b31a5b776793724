#pragma once
// Internal: the type checker (checker.cpp) and its helpers.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cel/ast.hpp"

namespace mcpgate::cel {

// Comprehension variables live in a fixed array during evaluation; this bounds their nesting.
constexpr std::size_t kMaxSlots = 16;
// RE2 bounds: pattern text and the memory one compiled program may take.
constexpr std::size_t kMaxRegexBytes = 2048;
constexpr std::int64_t kRegexMaxMem = 1 << 20;

Result<std::unique_ptr<re2::RE2>> compile_regex(std::string_view pattern);
CType ctype_of_value(const Val& val);

// Evaluates a node whose inputs are all constants (the checker folds such subtrees).
using FoldFn = std::function<Result<ValuePtr>(const Node*)>;

class Checker {
 public:
  Checker(std::string_view source,
          const std::map<std::string, Type, std::less<>>& parameters,
          std::vector<ValuePtr>& constants,
          const FoldFn& fold);

  bool check(Node* node);

  const std::string& error() const { return error_; }

  const std::vector<bool>& referenced() const { return referenced_; }

  int slots() const { return max_slots_; }

 private:
  struct Scope {
    std::string name;
    int slot;
    CType type;
  };

  bool check_ident(Node* node);
  bool check_call(Node* node);
  bool check_comprehension(Node* node);
  bool fail(const Node* node, std::string message);
  bool no_overload(const Node* node, std::string_view name);
  void make_const(Node* node, ValuePtr value);

  std::string_view source_;
  std::vector<std::string> param_names_;
  std::vector<CType> param_types_;
  std::vector<bool> referenced_;
  std::vector<Scope> scopes_;
  int max_slots_ = 0;
  std::vector<ValuePtr>& constants_;
  const FoldFn& fold_;
  std::string error_;
};

}  // namespace mcpgate::cel
