// Bytes -> cel::Program::compile / evaluate. Input: a CEL expression, optionally followed by a NUL
// byte and a JSON object giving the context. The declared parameters cover every parameter type.
// Beyond "no crash, no sanitizer report, no stack exhaustion":
//  * a compile error always says why;
//  * with every declared parameter present, evaluate() and evaluate_partial() agree exactly;
//  * evaluate() never yields a value while a declared parameter is absent;
//  * a kMissingParameter error always names at least one parameter.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cel/cel.hpp"

namespace {

using namespace mcpgate::cel;  // NOLINT(google-build-using-namespace)

Type scalar(TypeKind kind) {
  return Type{kind, {}};
}

const std::map<std::string, Type, std::less<>>& declared() {
  static const std::map<std::string, Type, std::less<>> kDeclared = {
      {"i", scalar(TypeKind::kInt)},
      {"u", scalar(TypeKind::kUint)},
      {"d", scalar(TypeKind::kDouble)},
      {"s", scalar(TypeKind::kString)},
      {"b", scalar(TypeKind::kBool)},
      {"t", scalar(TypeKind::kTimestamp)},
      {"du", scalar(TypeKind::kDuration)},
      {"ip", scalar(TypeKind::kIpAddress)},
      {"l", Type{TypeKind::kList, {scalar(TypeKind::kInt)}}},
      {"ls", Type{TypeKind::kList, {scalar(TypeKind::kString)}}},
      {"m", Type{TypeKind::kMap, {scalar(TypeKind::kString)}}},
      {"a", scalar(TypeKind::kAny)},
  };
  return kDeclared;
}

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view expression = input.substr(0, nul);
  Limits limits;
  limits.max_cost = 1000;
  auto program = Program::compile(expression, declared(), limits);
  if (!program) {
    check(!program.error().message.empty());
    return 0;
  }
  Activation activation;
  if (nul != std::string_view::npos) {
    const auto context = nlohmann::json::parse(input.substr(nul + 1), nullptr, false);
    if (context.is_object()) {
      for (const auto& [name, type] : declared()) {
        auto it = context.find(name);
        if (it == context.end()) {
          continue;
        }
        auto value = value_from_json(*it, type);
        if (value) {
          activation[name] = *value;
        }
      }
    }
  }
  const EvalResult full = program->evaluate(activation);
  const EvalResult partial = program->evaluate_partial(activation);
  const bool complete = activation.size() == declared().size();
  if (!full.ok() && full.error().kind == EvalErrorKind::kMissingParameter) {
    check(!full.error().missing.empty());
  }
  if (!partial.ok() && partial.error().kind == EvalErrorKind::kMissingParameter) {
    check(!partial.error().missing.empty());
  }
  if (full.ok()) {
    check(complete);
  }
  if (complete) {
    check(full.ok() == partial.ok());
    if (full.ok()) {
      check(full.value() == partial.value());
    } else {
      check(full.error().kind == partial.error().kind);
    }
  }
  return 0;
}
