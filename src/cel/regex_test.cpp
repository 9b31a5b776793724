#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "cel/test_util.hpp"

namespace mcpgate::cel {
namespace {

using namespace mcpgate::cel::testing;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

TEST(RegexTest, LiteralPatternsCompileOnceAndErrorsAreCompileErrors) {
  EXPECT_NE(compile_error("'a'.matches('(')").find("invalid regular expression"),
            std::string::npos);
  EXPECT_NE(compile_error("'a'.matches('[z-a]')"), "");
  EXPECT_NE(compile_error("'a'.matches('(?<name>x)')"), "");  // RE2 syntax only
  EXPECT_NE(compile_error("'a'.matches('a\\\\1')"), "");      // no backreferences in RE2
  // Pattern size bound.
  const std::string long_pattern(3000, 'a');
  Limits limits;
  limits.max_expression_bytes = 1 << 16;
  EXPECT_NE(compile_error("'a'.matches('" + long_pattern + "')", {}, limits).find("longer than"),
            std::string::npos);
  // Program size bound: a pattern whose automaton exceeds RE2's memory budget.
  EXPECT_NE(compile_error("'a'.matches('((a{100}){100}){100}')"), "");
}

TEST(RegexTest, RuntimePatterns) {
  const auto p = params({{"re", "string"}, {"s", "string"}});
  EXPECT_TRUE(is_true(run("s.matches(re)", p, {{"re", "^a+b$"}, {"s", "aab"}})));
  EXPECT_TRUE(is_false(run("s.matches(re)", p, {{"re", "^a+b$"}, {"s", "aac"}})));
  EXPECT_TRUE(is_error(run("s.matches(re)", p, {{"re", "("}, {"s", "a"}}),
                       EvalErrorKind::kRuntime,
                       "invalid regular expression"));
  Limits limits;
  limits.max_cost = 100000;
  EXPECT_TRUE(
      is_error(run("s.matches(re)", p, {{"re", std::string(3000, 'a')}, {"s", "a"}}, limits),
               EvalErrorKind::kRuntime,
               "longer than"));
  // An error in one disjunct is absorbed by a true one.
  EXPECT_TRUE(is_true(run("s.matches(re) || s == 'a'", p, {{"re", "("}, {"s", "a"}})));
}

TEST(RegexTest, Semantics) {
  EXPECT_TRUE(is_true(run("'héllo'.matches('^h.llo$')")));  // UTF-8 aware: é is one character
  EXPECT_TRUE(is_true(run("'abc'.matches('')")));
  EXPECT_TRUE(is_true(run("'ABC'.matches('(?i)abc')")));
  EXPECT_TRUE(is_false(run("'a\\nb'.matches('^b')")));
  EXPECT_TRUE(is_true(run("'a\\nb'.matches('(?m)^b')")));
}

TEST(MiscTest, JsonDeclaredParameters) {
  auto type = type_from_json(json::parse(
      R"({"type_name":"TYPE_NAME_LIST","generic_types":[{"type_name":"TYPE_NAME_STRING"}]})"));
  ASSERT_TRUE(type);
  std::map<std::string, Type, std::less<>> declared{{"allowed", *type}};
  auto program = Program::compile("'b' in allowed", declared);
  ASSERT_TRUE(program) << program.error().message;
  auto value = value_from_json(json::array({"a", "b"}), *type);
  ASSERT_TRUE(value);
  EXPECT_TRUE(is_true(program->evaluate({{"allowed", *value}})));
  // Names in the activation that are not declared are ignored.
  EXPECT_TRUE(is_true(program->evaluate({{"allowed", *value}, {"zzz", *value}, {"aaa", *value}})));
}

TEST(MiscTest, ConcurrentEvaluation) {
  const auto p = params({{"x", "int"}, {"s", "string"}});
  auto program =
      Program::compile("x > 10 && s.matches('^a') && [1, 2].map(i, i * x).size() == 2", p);
  ASSERT_TRUE(program);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Activation yes = activation(p, {{"x", 11 + t}, {"s", "abc"}});
      const Activation no = activation(p, {{"x", 1}, {"s", "abc"}});
      for (int i = 0; i < 500; ++i) {
        auto a = program->evaluate(yes);
        auto b = program->evaluate(no);
        if (!a.ok() || !a.value() || !b.ok() || b.value()) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

TEST(MiscTest, ComprehensionNestingBound) {
  std::string expr = "true";
  for (int i = 0; i < 20; ++i) {
    expr = "[1].all(v" + std::to_string(i) + ", " + expr + ")";
  }
  EXPECT_NE(compile_error(expr).find("comprehensions nest too deeply"), std::string::npos);
  // Shadowing: the inner variable wins.
  EXPECT_TRUE(is_true(run("[1].all(x, [2].all(x, x == 2))")));
}

}  // namespace
}  // namespace mcpgate::cel
