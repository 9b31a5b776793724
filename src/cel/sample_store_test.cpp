// The conditions of OpenFGA's `condition-data-types` sample store (openfga/sample-stores), with
// the contexts its tests use; every check there expects `true`. The expressions are restated
// here as test data (FGA.md §2.3 lists the features they exercise).

#include <gtest/gtest.h>

#include "cel/test_util.hpp"

namespace mcpgate::cel {
namespace {

using namespace mcpgate::cel::testing;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

struct Case {
  const char* name;
  const char* param;
  const char* type;
  const char* expression;
  json context;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {"is_valid_string",
       "_string",
       "string",
       R"(_string != "" && _string.startsWith("1") && _string.endsWith("1") && _string.contains("1") && _string.matches("[0-9]"))",
       "1"},
      {"is_valid_int", "_int", "int", "_int != 0 && _int > 0", 1},
      {"is_valid_uint", "_uint", "uint", "_uint != 0u && _uint > 0u", 1},
      {"is_valid_double", "_double", "double", "_double != 0.0 && _double > 0.0", 1},
      {"is_valid_duration",
       "_duration",
       "duration",
       R"(_duration != null && _duration != duration("0s") && _duration > duration("0s"))",
       "10s"},
      {"is_valid_timestamp",
       "_timestamp",
       "timestamp",
       R"(_timestamp != null && _timestamp != timestamp("2019-01-01T00:00:00Z") && _timestamp > timestamp("2019-01-01T00:00:00Z"))",
       "2019-02-01T00:00:00Z"},
      {"is_valid_map_string",
       "_mapstring",
       "map<string>",
       R"("key" in _mapstring && _mapstring["key"] != ""  && _mapstring["key"] > "")",
       json{{"key", "1"}}},
      {"is_valid_list_string",
       "_liststring",
       "list<string>",
       R"("1" in _liststring && _liststring[0] != "" && _liststring[0] > "" && _liststring.exists(x, x > "") && _liststring.exists_one(x, x > "") && _liststring.all(x, x > ""))",
       json::array({"1"})},
      {"is_valid_ipaddress",
       "_ipaddress",
       "ipaddress",
       R"(_ipaddress != null &&  _ipaddress != ipaddress("192.0.0.1"))",
       "192.168.0.1"},
  };
  return kCases;
}

TEST(SampleStoreTest, ConditionDataTypes) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    const auto declared = params({{c.param, c.type}});
    EXPECT_TRUE(is_true(run(c.expression, declared, json{{c.param, c.context}})));
    // The same conditions without their parameter: OpenFGA reports missing context.
    auto program = Program::compile(c.expression, declared);
    ASSERT_TRUE(program);
    EXPECT_TRUE(is_error(program->evaluate({}), EvalErrorKind::kMissingParameter));
  }
}

TEST(SampleStoreTest, FalseCases) {
  const auto s = params({{"_string", "string"}});
  const char* expr = cases()[0].expression;
  EXPECT_TRUE(is_false(run(expr, s, {{"_string", ""}})));
  EXPECT_TRUE(is_false(run(expr, s, {{"_string", "1a2"}})));
  EXPECT_TRUE(is_true(run(expr, s, {{"_string", "1a1"}})));
  const auto d = params({{"_duration", "duration"}});
  EXPECT_TRUE(is_false(run(cases()[4].expression, d, {{"_duration", "0s"}})));
  EXPECT_TRUE(is_false(run(cases()[4].expression, d, {{"_duration", "-1s"}})));
  const auto l = params({{"_liststring", "list<string>"}});
  EXPECT_TRUE(
      is_false(run(cases()[7].expression, l, {{"_liststring", {"1", "2"}}})));  // exists_one
  // `"1" in []` is false, which absorbs the out-of-range error of `[0]` in the same && chain.
  EXPECT_TRUE(is_false(run(cases()[7].expression, l, {{"_liststring", json::array()}})));
  EXPECT_TRUE(is_error(run("_liststring[0] != \"\"", l, {{"_liststring", json::array()}}),
                       EvalErrorKind::kRuntime,
                       "index out of range"));
  const auto ip = params({{"_ipaddress", "ipaddress"}});
  EXPECT_TRUE(is_false(run(cases()[8].expression, ip, {{"_ipaddress", "192.0.0.1"}})));
}

// The condition from the issue's demo policy: list_events with max_results above 50 is denied.
TEST(SampleStoreTest, DemoMaxResults) {
  const auto p = params({{"arg_max_results", "int"}});
  EXPECT_TRUE(is_true(run("arg_max_results <= 50", p, {{"arg_max_results", 50}})));
  EXPECT_TRUE(is_false(run("arg_max_results <= 50", p, {{"arg_max_results", 51}})));
}

}  // namespace
}  // namespace mcpgate::cel
