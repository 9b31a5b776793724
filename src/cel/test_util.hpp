#pragma once
// Helpers shared by the cel unit tests.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cel/cel.hpp"

namespace mcpgate::cel::testing {

using Params = std::map<std::string, Type, std::less<>>;

// {"x", "int"}, {"l", "list<string>"}; "any" for TYPE_NAME_ANY (not a DSL spelling).
inline Params params(std::vector<std::pair<std::string, std::string>> decls) {
  Params out;
  for (auto& [name, spelling] : decls) {
    if (spelling == "any") {
      out[name] = Type{TypeKind::kAny, {}};
    } else if (spelling == "bytes") {
      out[name] = Type{TypeKind::kBytes, {}};
    } else {
      auto type = type_from_dsl(spelling);
      EXPECT_TRUE(type) << spelling;
      out[name] = type ? *type : Type{};
    }
  }
  return out;
}

inline Activation activation(const Params& declared, const nlohmann::json& context) {
  Activation out;
  for (const auto& [name, value] : context.items()) {
    auto it = declared.find(name);
    if (it == declared.end()) {
      continue;
    }
    auto converted = value_from_json(value, it->second);
    EXPECT_TRUE(converted) << name << ": " << (converted ? "" : converted.error().message);
    if (converted) {
      out[name] = *converted;
    }
  }
  return out;
}

// Compiles and evaluates; compile errors fail the test.
inline EvalResult run(std::string_view expr,
                      const Params& declared = {},
                      const nlohmann::json& context = nlohmann::json::object(),
                      const Limits& limits = {}) {
  auto program = Program::compile(expr, declared, limits);
  if (!program) {
    ADD_FAILURE() << "compile failed for `" << expr << "`: " << program.error().message;
    return EvalError{EvalErrorKind::kRuntime, "compile failed", {}};
  }
  return program->evaluate(activation(declared, context));
}

inline ::testing::AssertionResult is_true(const EvalResult& r) {
  if (!r.ok()) {
    return ::testing::AssertionFailure() << "error: " << r.error().message;
  }
  return r.value() ? ::testing::AssertionSuccess()
                   : ::testing::AssertionFailure() << "evaluated to false";
}

inline ::testing::AssertionResult is_false(const EvalResult& r) {
  if (!r.ok()) {
    return ::testing::AssertionFailure() << "error: " << r.error().message;
  }
  return !r.value() ? ::testing::AssertionSuccess()
                    : ::testing::AssertionFailure() << "evaluated to true";
}

inline ::testing::AssertionResult is_error(const EvalResult& r,
                                           EvalErrorKind kind = EvalErrorKind::kRuntime,
                                           std::string_view contains = {}) {
  if (r.ok()) {
    return ::testing::AssertionFailure() << "no error, value " << r.value();
  }
  if (r.error().kind != kind) {
    return ::testing::AssertionFailure() << "wrong error kind: " << r.error().message;
  }
  if (!contains.empty() && r.error().message.find(contains) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message '" << r.error().message << "' lacks '" << contains << "'";
  }
  return ::testing::AssertionSuccess();
}

inline std::string compile_error(std::string_view expr,
                                 const Params& declared = {},
                                 const Limits& limits = {}) {
  auto program = Program::compile(expr, declared, limits);
  if (program) {
    return "";
  }
  return program.error().message;
}

}  // namespace mcpgate::cel::testing
