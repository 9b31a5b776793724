#include <gtest/gtest.h>

#include "cel/test_util.hpp"

namespace mcpgate::cel {
namespace {

using namespace mcpgate::cel::testing;  // NOLINT(google-build-using-namespace): test helpers

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST(ParserTest, SyntaxErrorsCarryLineAndColumn) {
  EXPECT_TRUE(starts_with(compile_error("1 +"), "1:4:")) << compile_error("1 +");
  EXPECT_TRUE(starts_with(compile_error("true &&\n  )"), "2:3:")) << compile_error("true &&\n  )");
  EXPECT_TRUE(starts_with(compile_error("'é' == #"), "1:8:")) << compile_error("'é' == #");
  EXPECT_TRUE(starts_with(compile_error("x == 1", {}), "1:1: undeclared reference to 'x'"))
      << compile_error("x == 1");
  EXPECT_TRUE(starts_with(compile_error("1 == 1 true"), "1:8:")) << compile_error("1 == 1 true");
}

TEST(ParserTest, Malformed) {
  for (const char* bad :
       {"",        " ",           "(",      ")",          "(1 == 1", "1 == 1)",  "[1, 2",
        "{1: 2",   "{1 2}",       "a.",     "a.1",        "1 ? 2",   "!",        "-",
        "1 1",     "in",          "1 in",   "'abc",       "\"abc'",  "'''abc''", "b'",
        "0x",      "1.e5 == 1.0", "1u2",    "12abc == 1", "@",       "$x",       "a = 1",
        "1 === 1", "f(,)",        "[,]",    "{,}",        ".x",      "if == 1",  "var == 1",
        "x.while", "true &",      "true |", "'\\",        "'\\x4'",  "'\\u00'",  "'\\8'"}) {
    EXPECT_NE(compile_error(bad, params({{"a", "any"}, {"x", "any"}})), "") << bad;
  }
}

TEST(ParserTest, Whitespace) {
  EXPECT_TRUE(is_true(run("\t1\r\n==\f1")));
  EXPECT_TRUE(is_true(run("1 == 1 // comment\n && // more\n true")));
}

TEST(ParserTest, InvalidUtf8) {
  EXPECT_NE(compile_error("'\xff' == ''"), "");
  EXPECT_NE(compile_error("'\xc0\x80' == ''"), "");          // overlong
  EXPECT_NE(compile_error("'\xed\xa0\x80' == ''"), "");      // surrogate
  EXPECT_NE(compile_error("'\xe2\x82' == ''"), "");          // truncated
  EXPECT_TRUE(is_true(run("'\xe2\x82\xac' == '\\u20ac'")));  // the euro sign
}

TEST(ParserTest, ExpressionSizeLimit) {
  Limits limits;
  limits.max_expression_bytes = 16;
  EXPECT_NE(compile_error("1 == 1 && 2 == 2 && 3 == 3", {}, limits), "");
  EXPECT_EQ(compile_error("1 == 1", {}, limits), "");
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  Limits limits;
  limits.max_expression_bytes = 1 << 20;
  for (const char* open_close : {"()", "[]"}) {
    std::string expr;
    for (int i = 0; i < 10000; ++i) {
      expr += open_close[0];
    }
    expr += "1";
    for (int i = 0; i < 10000; ++i) {
      expr += open_close[1];
    }
    const std::string error = compile_error(expr + " == 1", {}, limits);
    EXPECT_NE(error.find("nests too deeply"), std::string::npos) << error.substr(0, 100);
  }
  // Default limits: the 8 KiB size bound refuses it first.
  std::string parens(5000, '(');
  EXPECT_NE(compile_error(parens + "1" + std::string(5000, ')') + " == 1"), "");
  // Within the bound, nesting works.
  std::string ok = std::string(60, '(') + "1" + std::string(60, ')') + " == 1";
  EXPECT_TRUE(is_true(run(ok)));
}

TEST(ParserTest, LongChainsAreBounded) {
  Limits limits;
  limits.max_expression_bytes = 1 << 20;
  // Left-associative chains parse iteratively; the tree height bound still stops them.
  std::string sum = "1";
  for (int i = 0; i < 10000; ++i) {
    sum += " + 1";
  }
  EXPECT_NE(compile_error(sum + " == 10001", {}, limits).find("nests too deeply"),
            std::string::npos);
  std::string nots(10000, '!');
  EXPECT_NE(compile_error(nots + "true", {}, limits).find("nests too deeply"), std::string::npos);
  std::string minus(10000, '-');
  EXPECT_NE(compile_error(minus + "(1) == 1", {}, limits), "");
  std::string member = "m";
  for (int i = 0; i < 10000; ++i) {
    member += ".a";
  }
  EXPECT_NE(compile_error(member + " == 1", params({{"m", "any"}}), limits), "");
  // && and || chains are balanced, so long ones stay shallow.
  std::string ors = "false";
  for (int i = 0; i < 2000; ++i) {
    ors += " || false";
  }
  EXPECT_TRUE(is_false(run(ors + " || false", {}, {}, limits)));
  std::string ands = "x == 1";
  for (int i = 0; i < 2000; ++i) {
    ands += " && x == 1";
  }
  limits.max_cost = 100000;
  EXPECT_TRUE(is_true(run(ands, params({{"x", "int"}}), {{"x", 1}}, limits)));
  // A 200-term sum fits the default height bound (4 x max_nesting).
  std::string small_sum = "0";
  for (int i = 0; i < 200; ++i) {
    small_sum += "+1";
  }
  limits.max_expression_bytes = Limits{}.max_expression_bytes;
  limits.max_cost = 1000;  // constant arithmetic is not folded: each + costs 1, as in cel-go
  EXPECT_TRUE(is_true(run(small_sum + " == 200", {}, {}, limits)));
}

TEST(ParserTest, ReservedWordsAndMacroShapes) {
  EXPECT_NE(compile_error("has(1)"), "");
  EXPECT_NE(compile_error("[1].exists(x.y, true)"), "");
  EXPECT_NE(compile_error("[1].map(x, true, 1, 2) == []"), "");
  EXPECT_NE(compile_error("let == 1"), "");
}

TEST(ParserTest, NegativeLiteralsBindTighterThanMembers) {
  EXPECT_TRUE(is_true(run("-1 < 0")));
  EXPECT_TRUE(is_true(run("-[1][0] == -1")));
  EXPECT_TRUE(is_true(run("-2.5 < -2.0")));
  EXPECT_TRUE(is_true(run("1 - -1 == 2")));
}

TEST(ParserTest, CommentsDoNotEndStrings) {
  EXPECT_TRUE(is_true(run("'a//b' == 'a' + '//b'")));
}

}  // namespace
}  // namespace mcpgate::cel
