#include <gtest/gtest.h>

#include "cel/test_util.hpp"

namespace mcpgate::cel {
namespace {

using namespace mcpgate::cel::testing;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

TEST(EvalTest, LiteralsAndLogic) {
  EXPECT_TRUE(is_true(run("true")));
  EXPECT_TRUE(is_false(run("false")));
  EXPECT_TRUE(is_true(run("!false")));
  EXPECT_TRUE(is_true(run("!!true")));
  EXPECT_TRUE(is_true(run("true && true")));
  EXPECT_TRUE(is_false(run("true && false")));
  EXPECT_TRUE(is_true(run("false || true")));
  EXPECT_TRUE(is_false(run("false || false")));
  EXPECT_TRUE(is_true(run("true ? true : false")));
  EXPECT_TRUE(is_false(run("false ? true : false")));
  EXPECT_TRUE(is_true(run("1 == 1 ? 2 < 3 : 1/0 == 1")));
  EXPECT_TRUE(is_true(run("null == null")));
  EXPECT_TRUE(is_true(run("(true)")));
  EXPECT_TRUE(is_true(run("true // trailing comment\n")));
}

TEST(EvalTest, ErrorAbsorption) {
  const auto p = params({{"x", "int"}});
  EXPECT_TRUE(is_false(run("false && 1/0 == 1")));
  EXPECT_TRUE(is_false(run("1/0 == 1 && false")));
  EXPECT_TRUE(is_true(run("true || 1/0 == 1")));
  EXPECT_TRUE(is_true(run("1/0 == 1 || true")));
  EXPECT_TRUE(is_error(run("1/0 == 1 && true"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(is_error(run("false || 1/0 == 1"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(is_error(run("1/0 == 1 || 1 % 0 == 1")));
  EXPECT_TRUE(is_false(run("x / 0 == 1 && x > 5", p, {{"x", 3}})));
  EXPECT_TRUE(is_error(run("!(1/0 == 1)")));
  EXPECT_TRUE(is_error(run("1/0 == 1 ? true : false")));
}

TEST(EvalTest, IntArithmetic) {
  EXPECT_TRUE(is_true(run("1 + 2 == 3")));
  EXPECT_TRUE(is_true(run("5 - 7 == -2")));
  EXPECT_TRUE(is_true(run("6 * 7 == 42")));
  EXPECT_TRUE(is_true(run("7 / 2 == 3")));
  EXPECT_TRUE(is_true(run("-7 / 2 == -3")));
  EXPECT_TRUE(is_true(run("7 % 3 == 1")));
  EXPECT_TRUE(is_true(run("-7 % 3 == -1")));
  EXPECT_TRUE(is_true(run("2 + 3 * 4 == 14")));
  EXPECT_TRUE(is_true(run("(2 + 3) * 4 == 20")));
  EXPECT_TRUE(is_true(run("0x10 == 16")));
  EXPECT_TRUE(is_true(run("-(-3) == 3")));
  EXPECT_TRUE(is_true(run("--3 == 3")));
  EXPECT_TRUE(is_true(run("-9223372036854775808 < 0")));
  EXPECT_TRUE(is_true(run("9223372036854775807 > 0")));
  EXPECT_TRUE(is_error(run("9223372036854775807 + 1 > 0"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("-9223372036854775808 - 1 < 0"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("9223372036854775807 * 2 > 0"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("-9223372036854775808 / -1 > 0"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("-9223372036854775808 % -1 == 0"), EvalErrorKind::kRuntime, "overflow"));
  const auto p = params({{"x", "int"}});
  EXPECT_TRUE(is_error(run("-x > 0", p, {{"x", std::numeric_limits<std::int64_t>::min()}}),
                       EvalErrorKind::kRuntime,
                       "overflow"));
  EXPECT_TRUE(is_error(run("1 / 0 == 0"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(is_error(run("1 % 0 == 0"), EvalErrorKind::kRuntime, "modulus by zero"));
  EXPECT_NE(compile_error("9223372036854775808 > 0"), "");
  EXPECT_NE(compile_error("-9223372036854775809 < 0"), "");
  EXPECT_NE(compile_error("99999999999999999999 > 0"), "");
}

TEST(EvalTest, UintArithmetic) {
  EXPECT_TRUE(is_true(run("1u + 2u == 3u")));
  EXPECT_TRUE(is_true(run("18446744073709551615u > 0u")));
  EXPECT_TRUE(is_true(run("7u / 2u == 3u && 7u % 2u == 1u && 3u * 3u == 9u")));
  EXPECT_TRUE(is_true(run("0x10u == 16u")));
  EXPECT_TRUE(is_error(run("0u - 1u == 0u"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(
      is_error(run("18446744073709551615u + 1u == 0u"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(
      is_error(run("18446744073709551615u * 2u == 0u"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("1u / 0u == 0u"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(is_error(run("1u % 0u == 0u"), EvalErrorKind::kRuntime, "modulus by zero"));
  EXPECT_NE(compile_error("-1u == 1u"), "");
  EXPECT_NE(compile_error("18446744073709551616u > 0u"), "");
}

TEST(EvalTest, DoubleArithmetic) {
  EXPECT_TRUE(is_true(run("1.5 + 2.5 == 4.0")));
  EXPECT_TRUE(is_true(run("0.1 + 0.2 != 0.3")));
  EXPECT_TRUE(is_true(run("1.0 / 0.0 > 1e308")));
  EXPECT_TRUE(is_true(run("-1.0 / 0.0 < -1e308")));
  EXPECT_TRUE(is_true(run("0.0 / 0.0 != 0.0 / 0.0")));
  EXPECT_TRUE(is_false(run("0.0 / 0.0 < 1.0")));
  EXPECT_TRUE(is_false(run("0.0 / 0.0 >= 1.0")));
  EXPECT_TRUE(is_true(run("2.0 * 3.0 == 6.0 && 5.0 - 1.0 == 4.0")));
  EXPECT_TRUE(is_true(run("1e3 == 1000.0 && .5 == 0.5 && 1E-2 == 0.01")));
  EXPECT_TRUE(is_true(run("-1.5 < 0.0")));
  EXPECT_NE(compile_error("5.0 % 2.0 == 1.0"), "");
}

TEST(EvalTest, NoImplicitNumericMixing) {
  EXPECT_NE(compile_error("1 + 1.0 == 2.0"), "");
  EXPECT_NE(compile_error("1 + 1u == 2u"), "");
  EXPECT_NE(compile_error("1 == 1.0"), "");
  EXPECT_NE(compile_error("1u == 1"), "");
  // Ordering is defined across numeric types (cel-spec).
  EXPECT_TRUE(is_true(run("1 < 1.5")));
  EXPECT_TRUE(is_true(run("2u > 1")));
  EXPECT_TRUE(is_true(run("-1 < 0u")));
  EXPECT_TRUE(is_true(run("1.0 <= 1")));
  EXPECT_TRUE(is_true(run("18446744073709551615u > 9223372036854775807")));
  EXPECT_TRUE(is_false(run("9007199254740993 <= 9007199254740992.0")));
}

TEST(EvalTest, DynHeterogeneousEquality) {
  const auto p = params({{"a", "any"}});
  // JSON numbers for `any` parameters are doubles (protobuf Struct), yet compare equal to ints.
  EXPECT_TRUE(is_true(run("a == 1", p, {{"a", 1}})));
  EXPECT_TRUE(is_true(run("a == 1u", p, {{"a", 1}})));
  EXPECT_TRUE(is_true(run("a > 0", p, {{"a", 0.5}})));
  EXPECT_TRUE(is_false(run("a == 'x'", p, {{"a", 1}})));
  EXPECT_TRUE(is_true(run("a == null", p, {{"a", nullptr}})));
  EXPECT_TRUE(is_true(run("a != null", p, {{"a", "x"}})));
  EXPECT_TRUE(is_true(run("a.b == 'c'", p, {{"a", {{"b", "c"}}}})));
  EXPECT_TRUE(is_true(run("a['b'][0] == 2", p, {{"a", {{"b", {2, 3}}}}})));
  EXPECT_TRUE(is_true(run("has(a.b) && !has(a.z)", p, {{"a", {{"b", 1}}}})));
  EXPECT_TRUE(
      is_error(run("a + 1 == 2", p, {{"a", 1}}), EvalErrorKind::kRuntime, "no such overload"));
  EXPECT_TRUE(is_true(run("a + 1.0 == 2.0", p, {{"a", 1}})));
  EXPECT_TRUE(
      is_true(run("timestamp('2020-01-01T00:00:10Z') - dyn(timestamp('2020-01-01T00:00:00Z')) == "
                  "duration('10s')")));
  EXPECT_TRUE(is_error(run("a.b == 1", p, {{"a", 1}})));
  EXPECT_TRUE(is_error(run("a < 'x'", p, {{"a", 1}}), EvalErrorKind::kRuntime, "no such overload"));
  EXPECT_TRUE(is_error(run("a && true", p, {{"a", 1}})));
  EXPECT_TRUE(is_true(run("a && true", p, {{"a", true}})));
  EXPECT_TRUE(is_true(run("a.exists(k, k == 'x')", p, {{"a", {{"x", 1}}}})));
  EXPECT_TRUE(is_true(run("[1, 'a', true] == [1, 'a', true]")));
  EXPECT_TRUE(is_true(run("[1, 2] != [1, 2, 3]")));
  EXPECT_TRUE(is_true(run("{'a': 1} == {'a': 1} && {'a': 1} != {'a': 2}")));
  // dyn() escapes static typing.
  EXPECT_TRUE(is_true(run("dyn(1) == 1.0")));
  EXPECT_TRUE(is_true(run("dyn(1u) == 1")));
  // The result of a condition must be statically bool, as OpenFGA requires.
  EXPECT_NE(compile_error("a", p), "");
  EXPECT_NE(compile_error("1 + 2"), "");
}

TEST(EvalTest, Strings) {
  const auto p = params({{"s", "string"}});
  EXPECT_TRUE(is_true(run("'abc' + 'def' == 'abcdef'")));
  EXPECT_TRUE(is_true(run("'abc' < 'abd' && 'b' > 'abc' && 'a' <= 'a' && 'b' >= 'a'")));
  EXPECT_TRUE(is_true(run("size('héllo') == 5 && 'héllo'.size() == 5")));
  EXPECT_TRUE(is_true(
      run("'hello'.startsWith('he') && 'hello'.endsWith('lo') && 'hello'.contains('ell')")));
  EXPECT_TRUE(is_false(
      run("'hello'.startsWith('lo') || 'hello'.endsWith('he') || 'hello'.contains('xyz')")));
  EXPECT_TRUE(is_true(run("''.startsWith('') && 'a'.contains('')")));
  EXPECT_TRUE(is_true(run("s.matches('^[a-z]+$')", p, {{"s", "abc"}})));
  EXPECT_TRUE(is_false(run("s.matches('^[a-z]+$')", p, {{"s", "ab1"}})));
  EXPECT_TRUE(
      is_true(run("s.matches('[0-9]')", p, {{"s", "ab1"}})));  // unanchored, as RE2 PartialMatch
  EXPECT_TRUE(is_true(run("matches(s, 'b')", p, {{"s", "abc"}})));
  EXPECT_TRUE(is_true(run("'a' in ['a', 'b']")));
  EXPECT_TRUE(is_false(run("'c' in ['a', 'b']")));
  // Escapes, raw strings, triple quotes.
  EXPECT_TRUE(is_true(run(R"('a\nb' == "a\u000ab")")));
  EXPECT_TRUE(is_true(run(R"('\x41\101\u0041\U00000041' == 'AAAA')")));
  EXPECT_TRUE(is_true(run(R"(r'\n' == '\\n')")));
  EXPECT_TRUE(is_true(run(R"(R"\d" == '\\d')")));
  EXPECT_TRUE(is_true(run("'''a\nb''' == 'a\\nb'")));
  EXPECT_TRUE(is_true(run(R"("""x"y""" == 'x"y')")));
  EXPECT_TRUE(is_true(run(R"('\'\"\?\`\\\a\b\f\r\t\v' == "'\"?`\\\x07\x08\x0c\x0d\x09\x0b")")));
  EXPECT_TRUE(is_true(run(R"('\xff' == 'ÿ')")));
  EXPECT_NE(compile_error(R"('\q' == '')"), "");
  EXPECT_NE(compile_error(R"('\uD800' == '')"), "");
  EXPECT_NE(compile_error(R"('\U00110000' == '')"), "");
  EXPECT_NE(compile_error("'abc == 'abc'"), "");
  EXPECT_NE(compile_error("'a\nb' == 'ab'"), "");
  EXPECT_NE(compile_error("'x'.startsWith(1)"), "");
  EXPECT_NE(compile_error("'x'.matches('(')"), "");
}

TEST(EvalTest, Bytes) {
  EXPECT_TRUE(is_true(run("b'abc' == bytes('abc')")));
  EXPECT_TRUE(is_true(run("b'\\xff' != b'\\xfe' && size(b'\\xff\\x00') == 2")));
  EXPECT_TRUE(is_true(run("b'a' + b'b' == b'ab' && b'a' < b'b'")));
  EXPECT_TRUE(is_true(run("string(b'abc') == 'abc'")));
  EXPECT_TRUE(is_true(run("rb'\\x' == b'\\\\x' && BR'a' == b'a'")));
  EXPECT_TRUE(is_error(run("string(b'\\xff') == ''"), EvalErrorKind::kRuntime, "UTF-8"));
  EXPECT_NE(compile_error("b'\\u0041' == b'A'"), "");
  EXPECT_NE(compile_error("b'a' == 'a'"), "");
}

TEST(EvalTest, Conversions) {
  EXPECT_TRUE(
      is_true(run("int('42') == 42 && int('-7') == -7 && int(3.9) == 3 && int(-3.9) == -3")));
  EXPECT_TRUE(is_true(run("int(42u) == 42 && int(timestamp('1970-01-01T00:01:00Z')) == 60")));
  EXPECT_TRUE(is_error(run("int('4x') == 4")));
  EXPECT_TRUE(is_error(run("int('') == 0")));
  EXPECT_TRUE(
      is_error(run("int(18446744073709551615u) == 0"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("int(1e19) == 0"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("int(0.0/0.0) == 0")));
  EXPECT_TRUE(is_true(run("uint(42) == 42u && uint('7') == 7u && uint(3.5) == 3u")));
  EXPECT_TRUE(is_error(run("uint(-1) == 0u"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_TRUE(is_error(run("uint(-1.5) == 0u")));
  EXPECT_TRUE(is_error(run("uint('-1') == 0u")));
  EXPECT_TRUE(is_true(run(
      "double(1) == 1.0 && double(2u) == 2.0 && double('1.5') == 1.5 && double('1e2') == 100.0")));
  EXPECT_TRUE(is_true(run("double('inf') > 1e308 && double('-Infinity') < 0.0")));
  EXPECT_TRUE(is_error(run("double('abc') == 0.0")));
  EXPECT_TRUE(is_true(run("string(42) == '42' && string(-1) == '-1' && string(7u) == '7'")));
  EXPECT_TRUE(is_true(run("string(1.5) == '1.5' && string(true) == 'true' && string('x') == 'x'")));
  EXPECT_TRUE(is_true(
      run("string(1e21) == '1e+21' && string(100.0) == '100' && string(0.0001) == '0.0001'")));
  EXPECT_TRUE(
      is_true(run("string(1000000.0) == '1e+06' && string(123456.5) == '123456.5' && "
                  "string(0.00001) == '1e-05'")));
  EXPECT_TRUE(is_true(
      run("string(-0.5) == '-0.5' && string(1.0/0.0) == '+Inf' && string(0.0/0.0) == 'NaN'")));
  EXPECT_TRUE(
      is_true(run("string(duration('1m30s')) == '90s' && string(duration('1.5s')) == '1.5s'")));
  EXPECT_TRUE(
      is_true(run("string(timestamp('2024-02-29T12:00:00.5+01:00')) == '2024-02-29T11:00:00.5Z'")));
  EXPECT_TRUE(is_true(run("bool('true') && !bool('false') && bool('1') && !bool('F')")));
  EXPECT_TRUE(is_error(run("bool('yes')")));
  EXPECT_TRUE(is_true(run("timestamp(0) == timestamp('1970-01-01T00:00:00Z')")));
  EXPECT_NE(compile_error("int(true) == 1"), "");
  EXPECT_NE(compile_error("uint(timestamp('2020-01-01T00:00:00Z')) == 1u"), "");
  EXPECT_NE(compile_error("bytes(1) == b''"), "");
  EXPECT_NE(compile_error("nosuchfn(1) == 1"), "");
}

TEST(EvalTest, DurationsAndTimestamps) {
  const auto p = params({{"t", "timestamp"}, {"d", "duration"}});
  const json ctx = {{"t", "2024-03-10T08:30:15.250Z"}, {"d", "1h30m"}};
  EXPECT_TRUE(is_true(run("t + d == timestamp('2024-03-10T10:00:15.25Z')", p, ctx)));
  EXPECT_TRUE(is_true(run("d + t == t + d", p, ctx)));
  EXPECT_TRUE(is_true(run("t - d == timestamp('2024-03-10T07:00:15.25Z')", p, ctx)));
  EXPECT_TRUE(is_true(run("t - timestamp('2024-03-10T08:30:15Z') == duration('250ms')", p, ctx)));
  EXPECT_TRUE(
      is_true(run("d - duration('30m') == duration('1h') && d + d == duration('3h')", p, ctx)));
  EXPECT_TRUE(is_true(run("d > duration('1h') && d < duration('2h') && d >= d && d <= d", p, ctx)));
  EXPECT_TRUE(is_true(run("t > timestamp('2024-01-01T00:00:00Z') && t != null", p, ctx)));
  EXPECT_TRUE(
      is_true(run("t.getFullYear() == 2024 && t.getMonth() == 2 && t.getDate() == 10", p, ctx)));
  EXPECT_TRUE(is_true(
      run("t.getDayOfMonth() == 9 && t.getDayOfWeek() == 0 && t.getDayOfYear() == 69", p, ctx)));
  EXPECT_TRUE(
      is_true(run("t.getHours() == 8 && t.getMinutes() == 30 && t.getSeconds() == 15", p, ctx)));
  EXPECT_TRUE(is_true(run("t.getMilliseconds() == 250", p, ctx)));
  EXPECT_TRUE(is_true(run("t.getHours('+02:00') == 10 && t.getHours('UTC') == 8", p, ctx)));
  EXPECT_TRUE(is_true(run("t.getDate('-09:00') == 9", p, ctx)));
  EXPECT_TRUE(is_error(
      run("t.getHours('Mars/Olympus') == 1", p, ctx), EvalErrorKind::kRuntime, "time zone"));
  EXPECT_TRUE(
      is_true(run("d.getHours() == 1 && d.getMinutes() == 90 && d.getSeconds() == 5400", p, ctx)));
  EXPECT_TRUE(is_true(run("d.getMilliseconds() == 5400000", p, ctx)));
  EXPECT_TRUE(is_true(run("duration('-1.5h') == duration('0s') - duration('90m')")));
  EXPECT_TRUE(is_error(run("timestamp('9999-12-31T23:59:59Z') + duration('1s') > timestamp(0)"),
                       EvalErrorKind::kRuntime,
                       "overflow"));
  EXPECT_TRUE(is_error(run("timestamp('0001-01-01T00:00:00Z') - duration('1s') < timestamp(0)"),
                       EvalErrorKind::kRuntime,
                       "overflow"));
  EXPECT_TRUE(is_error(
      run("timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z') > duration('1s')"),
      EvalErrorKind::kRuntime,
      "overflow"));
  EXPECT_TRUE(is_error(run("duration('2562047h') + duration('2562047h') > duration('0s')"),
                       EvalErrorKind::kRuntime,
                       "overflow"));
  EXPECT_TRUE(is_error(run("timestamp('not a time') > timestamp(0)")));
  EXPECT_TRUE(is_error(run("duration('1x') > duration('0s')")));
  EXPECT_TRUE(
      is_error(run("timestamp(253402300800) > timestamp(0)"), EvalErrorKind::kRuntime, "overflow"));
  EXPECT_NE(compile_error("t + t == t", p), "");
  EXPECT_NE(compile_error("d - t == t", p), "");
  EXPECT_NE(compile_error("t < d", p), "");
  EXPECT_NE(compile_error("d.getFullYear() == 1", p), "");
}

TEST(EvalTest, ListsAndMaps) {
  const auto p = params({{"l", "list<int>"}, {"m", "map<string>"}, {"ls", "list<string>"}});
  const json ctx = {{"l", {1, 2, 3}}, {"m", {{"a", "x"}, {"b", "y"}}}, {"ls", {"p", "q"}}};
  EXPECT_TRUE(is_true(run("2 in l && !(5 in l) && size(l) == 3 && l.size() == 3", p, ctx)));
  EXPECT_TRUE(is_true(run("l[0] == 1 && l[2] == 3 && l[1u] == 2", p, ctx)));
  EXPECT_TRUE(is_true(
      run("'a' in m && !('z' in m) && m['a'] == 'x' && m.b == 'y' && size(m) == 2", p, ctx)));
  EXPECT_TRUE(is_true(run("l + [4] == [1, 2, 3, 4] && [] + [] == []", p, ctx)));
  EXPECT_TRUE(is_true(run("{'k': 1, 2: 'v', true: 3u}[2] == 'v'")));
  EXPECT_TRUE(is_true(run("[[1], [2, 3]][1][0] == 2")));
  EXPECT_TRUE(is_true(run("[1, 2, 3,] == [1, 2, 3] && {'a': 1,}.a == 1")));
  EXPECT_TRUE(is_true(run("has(m.a) && !has(m.z)", p, ctx)));
  EXPECT_TRUE(is_error(run("l[3] == 0", p, ctx), EvalErrorKind::kRuntime, "index out of range"));
  EXPECT_TRUE(is_error(run("l[-1] == 0", p, ctx), EvalErrorKind::kRuntime, "index out of range"));
  EXPECT_TRUE(is_error(run("m['z'] == ''", p, ctx), EvalErrorKind::kRuntime, "no such key"));
  EXPECT_TRUE(is_error(run("m.z == ''", p, ctx), EvalErrorKind::kRuntime, "no such key"));
  EXPECT_NE(compile_error("{'a': 1, 'a': 2}.a == 1"), "");
  EXPECT_NE(compile_error("l['x'] == 1", p), "");
  EXPECT_NE(compile_error("'x' in l", p), "");
  EXPECT_NE(compile_error("1 in m", p), "");
  EXPECT_NE(compile_error("l.foo == 1", p), "");
  EXPECT_NE(compile_error("{[1]: 2}.size() == 1"), "");
  // A larger map uses the hash index.
  json big = json::object();
  for (int i = 0; i < 100; ++i) {
    // (appended, not "k" + to_string(i): g++ 12 -O3 reports a false -Wrestrict on that form)
    std::string key = "k";
    std::string value = "v";
    key += std::to_string(i);
    value += std::to_string(i);
    big[key] = value;
  }
  EXPECT_TRUE(is_true(run("m['k57'] == 'v57' && 'k99' in m && !('k100' in m)",
                          p,
                          {{"m", big}, {"l", json::array()}, {"ls", json::array()}})));
  EXPECT_NE(compile_error("-duration('1s') < duration('0s')"),
            "");  // no duration negation in cel-go
}

TEST(EvalTest, Macros) {
  const auto p = params({{"l", "list<int>"}, {"m", "map<int>"}});
  const json ctx = {{"l", {1, 2, 3, 4}}, {"m", {{"a", 1}, {"b", 2}}}};
  EXPECT_TRUE(is_true(run("l.all(x, x > 0) && !l.all(x, x > 1)", p, ctx)));
  EXPECT_TRUE(is_true(run("l.exists(x, x == 3) && !l.exists(x, x == 9)", p, ctx)));
  EXPECT_TRUE(is_true(run("l.exists_one(x, x == 3) && !l.exists_one(x, x > 2)", p, ctx)));
  EXPECT_TRUE(is_true(run("l.map(x, x * 2) == [2, 4, 6, 8]", p, ctx)));
  EXPECT_TRUE(is_true(run("l.map(x, x > 2, x * 10) == [30, 40]", p, ctx)));
  EXPECT_TRUE(is_true(run("l.filter(x, x % 2 == 0) == [2, 4]", p, ctx)));
  EXPECT_TRUE(is_true(run(
      "m.all(k, m[k] > 0) && m.exists(k, k == 'b') && m.filter(k, m[k] > 1) == ['b']", p, ctx)));
  EXPECT_TRUE(is_true(run("[].all(x, false) && ![].exists(x, true)")));
  EXPECT_TRUE(is_true(run("l.exists(x, l.exists(y, x + y == 7))", p, ctx)));
  EXPECT_TRUE(is_true(run("[1, 2].map(x, [x, x]) == [[1, 1], [2, 2]]")));
  // Error absorption inside all/exists, strictness in exists_one/map/filter.
  EXPECT_TRUE(is_false(run("[0, 1].all(x, 1 / x > 5)")));
  EXPECT_TRUE(is_true(run("[0, 1].exists(x, 1 / x == 1)")));
  EXPECT_TRUE(
      is_error(run("[0, 1].all(x, 1 / x < 5)"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(is_error(
      run("[0, 1].exists_one(x, 1 / x == 1)"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(
      is_error(run("[0, 1].map(x, 1 / x) == []"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_TRUE(is_error(
      run("[0, 1].filter(x, 1 / x == 1) == []"), EvalErrorKind::kRuntime, "division by zero"));
  EXPECT_NE(compile_error("l.all(x, x)", p), "");
  EXPECT_NE(compile_error("l.all(1, true)", p), "");
  EXPECT_NE(compile_error("l.all(x)", p), "");
  EXPECT_NE(compile_error("1.all(x, true)"), "");
  EXPECT_NE(compile_error("l.all(x, y > 0)", p), "");
  EXPECT_NE(compile_error("has(l)", p), "");
}

TEST(EvalTest, IpAddress) {
  const auto p = params({{"ip", "ipaddress"}});
  EXPECT_TRUE(is_true(run("ip.in_cidr('10.0.0.0/8')", p, {{"ip", "10.1.2.3"}})));
  EXPECT_TRUE(is_false(run("ip.in_cidr('10.0.0.0/8')", p, {{"ip", "11.1.2.3"}})));
  EXPECT_TRUE(is_true(
      run("ip.in_cidr('0.0.0.0/0') && ip.in_cidr('10.1.2.3/32')", p, {{"ip", "10.1.2.3"}})));
  EXPECT_TRUE(
      is_true(run("ip.in_cidr('10.1.2.3/8')", p, {{"ip", "10.200.0.1"}})));  // host bits ignored
  EXPECT_TRUE(is_true(run("ip.in_cidr('2001:db8::/32')", p, {{"ip", "2001:db8:1::5"}})));
  EXPECT_TRUE(is_false(run("ip.in_cidr('2001:db8::/32')", p, {{"ip", "2001:db9::5"}})));
  EXPECT_TRUE(is_false(run("ip.in_cidr('::/0')", p, {{"ip", "10.0.0.1"}})));  // families differ
  // IPv4-mapped addresses and prefixes are unmapped (OpenFGA).
  EXPECT_TRUE(is_true(run("ip.in_cidr('10.0.0.0/8')", p, {{"ip", "::ffff:10.0.0.1"}})));
  EXPECT_TRUE(is_true(run("ip.in_cidr('::ffff:10.0.0.0/104')", p, {{"ip", "10.9.9.9"}})));
  EXPECT_TRUE(is_false(run("ip.in_cidr('fe80::/10')", p, {{"ip", "fe80::1%eth0"}})));  // zoned
  EXPECT_TRUE(is_true(run("ip == ipaddress('192.168.0.1') && ip != ipaddress('192.168.0.2')",
                          p,
                          {{"ip", "192.168.0.1"}})));
  EXPECT_TRUE(is_true(run("ip != null", p, {{"ip", "192.168.0.1"}})));
  EXPECT_TRUE(is_true(run("ipaddress('::1') == ipaddress('0:0:0:0:0:0:0:1')")));
  EXPECT_TRUE(is_error(run("ip.in_cidr('10.0.0.0/33')", p, {{"ip", "10.0.0.1"}}),
                       EvalErrorKind::kRuntime,
                       "malformed CIDR"));
  EXPECT_TRUE(is_error(run("ip.in_cidr('10.0.0.0')", p, {{"ip", "10.0.0.1"}})));
  EXPECT_TRUE(is_error(run("ip.in_cidr('10.0.0.0/08')", p, {{"ip", "10.0.0.1"}})));
  EXPECT_TRUE(is_error(run("ip.in_cidr('fe80::%eth0/10')", p, {{"ip", "fe80::1"}})));
  EXPECT_TRUE(is_error(run("ipaddress('300.1.1.1') == ipaddress('1.1.1.1')")));
  EXPECT_NE(compile_error("ip.in_cidr(1)", p), "");
  EXPECT_NE(compile_error("'1.2.3.4'.in_cidr('1.0.0.0/8')"), "");
  EXPECT_NE(compile_error("ip == '1.2.3.4'", p), "");
}

TEST(EvalTest, MissingParameters) {
  const auto p = params({{"x", "int"}, {"y", "int"}, {"unused", "string"}});
  auto program = Program::compile("x > 1 && y > 1", p);
  ASSERT_TRUE(program) << program.error().message;
  EXPECT_EQ(program->referenced_parameters(), (std::vector<std::string>{"x", "y"}));

  // OpenFGA: any absent declared parameter is an error, even one the expression never reads.
  auto r = program->evaluate(activation(p, {{"x", 2}, {"y", 2}}));
  ASSERT_TRUE(is_error(r, EvalErrorKind::kMissingParameter));
  EXPECT_EQ(r.error().missing, (std::vector<std::string>{"unused"}));
  r = program->evaluate(activation(p, {{"x", 0}}));
  ASSERT_TRUE(is_error(r, EvalErrorKind::kMissingParameter));
  EXPECT_EQ(r.error().missing, (std::vector<std::string>{"unused", "y"}));
  EXPECT_TRUE(is_true(program->evaluate(activation(p, {{"x", 2}, {"y", 2}, {"unused", ""}}))));

  // Partial evaluation: decided results win; undecided ones name the absent parameters read.
  EXPECT_TRUE(is_false(program->evaluate_partial(activation(p, {{"x", 0}}))));
  EXPECT_TRUE(is_false(program->evaluate_partial(activation(p, {{"y", 0}}))));
  r = program->evaluate_partial(activation(p, {{"x", 2}}));
  ASSERT_TRUE(is_error(r, EvalErrorKind::kMissingParameter));
  EXPECT_EQ(r.error().missing, (std::vector<std::string>{"y"}));
  r = program->evaluate_partial(activation(p, {}));
  ASSERT_TRUE(is_error(r, EvalErrorKind::kMissingParameter));
  EXPECT_EQ(r.error().missing, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(is_true(program->evaluate_partial(activation(p, {{"x", 2}, {"y", 2}}))));

  // A run-time error is reported ahead of missing parameters; an unknown absorbs errors in ||.
  auto div = Program::compile("1 / 0 == 1 || x > 1", p);
  ASSERT_TRUE(div);
  EXPECT_TRUE(is_error(div->evaluate_partial(activation(p, {})), EvalErrorKind::kMissingParameter));
  auto strict = Program::compile("1 / 0 == x", p);
  ASSERT_TRUE(strict);
  EXPECT_TRUE(is_error(strict->evaluate(activation(p, {{"y", 1}, {"unused", ""}})),
                       EvalErrorKind::kMissingParameter));
  auto hard = Program::compile("1 / 0 == 1 && x > 1", p);
  ASSERT_TRUE(hard);
  EXPECT_TRUE(is_error(hard->evaluate(activation(p, {{"x", 5}})), EvalErrorKind::kRuntime));

  // A null ValuePtr counts as absent.
  Activation with_null = activation(p, {{"y", 1}, {"unused", ""}});
  with_null["x"] = nullptr;
  EXPECT_TRUE(is_error(program->evaluate(with_null), EvalErrorKind::kMissingParameter));
}

TEST(EvalTest, CostLimit) {
  const auto p = params({{"l", "list<int>"}, {"s", "string"}});
  json big = json::array();
  for (int i = 0; i < 200; ++i) {
    big.push_back(i);
  }
  EXPECT_TRUE(
      is_error(run("l.all(x, x >= 0)", p, {{"l", big}, {"s", ""}}), EvalErrorKind::kCostExceeded));
  Limits generous;
  generous.max_cost = 100000;
  EXPECT_TRUE(is_true(run("l.all(x, x >= 0)", p, {{"l", big}, {"s", ""}}, generous)));
  // Quadratic work is stopped by the budget, not run to completion.
  generous.max_cost = 5000;
  EXPECT_TRUE(is_error(run("l.all(x, l.all(y, x + y >= 0))", p, {{"l", big}, {"s", ""}}, generous),
                       EvalErrorKind::kCostExceeded));
  // Work proportional to string length is charged.
  EXPECT_TRUE(
      is_error(run("s.contains('zz')", p, {{"l", json::array()}, {"s", std::string(5000, 'a')}}),
               EvalErrorKind::kCostExceeded));
  EXPECT_TRUE(
      is_false(run("s.contains('zz')", p, {{"l", json::array()}, {"s", std::string(500, 'a')}})));
  // Short-circuiting saves cost, and an exceeded budget is never absorbed by || or &&.
  Limits tiny;
  tiny.max_cost = 3;
  EXPECT_TRUE(
      is_error(run("l.size() == 0 || l.exists(x, x == 1)", p, {{"l", {5, 6, 7}}, {"s", ""}}, tiny),
               EvalErrorKind::kCostExceeded));
  EXPECT_TRUE(
      is_true(run("l.size() == 3 || l.exists(x, x == 1)", p, {{"l", {5, 6, 7}}, {"s", ""}}, tiny)));
}

TEST(EvalTest, CostModelExamples) {
  const auto p = params({{"x", "int"}, {"s", "string"}});
  const json ctx = {{"x", 20}, {"s", std::string(1000, 'a')}};
  Limits limits;
  limits.max_cost = 2;  // parameter read + comparison
  EXPECT_TRUE(is_true(run("x <= 50", p, ctx, limits)));
  limits.max_cost = 1;
  EXPECT_TRUE(is_error(run("x <= 50", p, ctx, limits), EvalErrorKind::kCostExceeded));
  limits.max_cost = 0;
  EXPECT_TRUE(is_true(run("true && !false", p, ctx, limits)));  // constants and logic are free
  // Two reads, the comparison, and 10 for comparing 1000-byte strings.
  limits.max_cost = 13;
  EXPECT_TRUE(is_true(run("s == s", p, ctx, limits)));
  limits.max_cost = 12;
  EXPECT_TRUE(is_error(run("s == s", p, ctx, limits), EvalErrorKind::kCostExceeded));
}

TEST(EvalTest, HugeValues) {
  const auto p = params({{"s", "string"}});
  const std::string huge(1 << 20, 'x');
  Limits limits;
  limits.max_cost = 1000000;
  EXPECT_TRUE(is_true(run(
      "s.size() == 1048576 && s.startsWith('xx') && s.endsWith('x')", p, {{"s", huge}}, limits)));
  EXPECT_TRUE(is_true(run("s.matches('^x+$')", p, {{"s", huge}}, limits)));
  EXPECT_TRUE(is_true(run("(s + s).size() == 2097152", p, {{"s", huge}}, limits)));
  EXPECT_TRUE(
      is_error(run("(s + s).size() == 2097152", p, {{"s", huge}}), EvalErrorKind::kCostExceeded));
}

TEST(EvalTest, Ternary) {
  const auto p = params({{"x", "int"}});
  EXPECT_TRUE(is_true(run("(x > 5 ? 'big' : 'small') == 'big'", p, {{"x", 6}})));
  EXPECT_TRUE(is_true(run("x > 5 ? false : x < 3 ? true : false", p, {{"x", 1}})));
  EXPECT_TRUE(is_true(run("(true ? null : 1) == null")));
  EXPECT_NE(compile_error("(x > 5 ? 'big' : 1) == 1", p), "");
  EXPECT_NE(compile_error("x ? true : false", p), "");
}

TEST(EvalTest, ProgramIsShareable) {
  const auto p = params({{"x", "int"}});
  auto program = Program::compile("x > 10", p);
  ASSERT_TRUE(program);
  Program copy = *program;  // cheap: shares the compiled tree
  EXPECT_TRUE(is_true(copy.evaluate(activation(p, {{"x", 11}}))));
  EXPECT_TRUE(is_false(program->evaluate(activation(p, {{"x", 10}}))));
}

}  // namespace
}  // namespace mcpgate::cel
