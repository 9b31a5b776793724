#include <gtest/gtest.h>

#include <string>

#include "scim/error.hpp"
#include "scim/filter.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

std::string canonical(std::string_view text) {
  auto f = parse_filter(text);
  return f ? to_string(*f) : "error: " + f.error().message;
}

std::string parse_error(std::string_view text, const FilterLimits& limits = {}) {
  auto f = parse_filter(text, limits);
  if (f) {
    return "";
  }
  EXPECT_EQ(scim_type_of(f.error()), ScimType::kInvalidFilter) << text;
  return std::string(scim_detail(f.error()));
}

TEST(FilterParserTest, ParsesTheRfc7644Examples) {
  for (const char* text : {
           R"(userName eq "bjensen")",
           R"(name.familyName co "O'Malley")",
           R"(userName sw "J")",
           R"(urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J")",
           R"(title pr)",
           R"(meta.lastModified gt "2011-05-13T04:42:34Z")",
           R"(meta.lastModified ge "2011-05-13T04:42:34Z")",
           R"(meta.lastModified lt "2011-05-13T04:42:34Z")",
           R"(meta.lastModified le "2011-05-13T04:42:34Z")",
           R"(title pr and userType eq "Employee")",
           R"(title pr or userType eq "Intern")",
           R"(schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")",
           R"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))",
           R"(userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org"))",
           R"(userType eq "Employee" and (emails.type eq "work"))",
           R"(userType eq "Employee" and emails[type eq "work" and value co "@example.com"])",
           R"(emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"])",
       }) {
    auto f = compile_filter(text, user_resource_type());
    EXPECT_TRUE(f.ok()) << text << ": " << (f ? "" : f.error().message);
  }
}

TEST(FilterParserTest, PrecedenceIsNotThenAndThenOr) {
  EXPECT_EQ(canonical(R"(a pr or b pr and c pr)"), R"(a pr or (b pr and c pr))");
  EXPECT_EQ(canonical(R"(a pr and b pr or c pr)"), R"((a pr and b pr) or c pr)");
  EXPECT_EQ(canonical(R"((a pr or b pr) and c pr)"), R"((a pr or b pr) and c pr)");
  EXPECT_EQ(canonical(R"(not (a pr) and b pr)"), R"(not (a pr) and b pr)");
  EXPECT_EQ(canonical(R"(a pr or b pr or c pr)"), R"(a pr or b pr or c pr)");
  EXPECT_EQ(canonical(R"(not(a pr))"), R"(not (a pr))");  // RFC grammar: no space needed
  EXPECT_EQ(canonical(R"(((a pr)))"), R"(a pr)");
}

TEST(FilterParserTest, KeywordsOperatorsAndLiteralsIgnoreCase) {
  EXPECT_EQ(canonical(R"(userName EQ "x" AND active Eq TRUE OR title PR)"),
            R"((userName eq "x" and active eq true) or title pr)");
  EXPECT_EQ(canonical(R"(NOT (x Ne Null))"), R"(not (x ne null))");
  EXPECT_EQ(canonical(R"(a eq False)"), R"(a eq false)");
}

TEST(FilterParserTest, Literals) {
  EXPECT_EQ(canonical(R"(a eq "tab\there \"q\" \u00e9 \\")"), R"(a eq "tab\there \"q\" é \\")");
  EXPECT_EQ(canonical(R"(a eq -12)"), R"(a eq -12)");
  EXPECT_EQ(canonical(R"(a gt 1.5e3)"), R"(a gt 1500.0)");
  EXPECT_EQ(canonical(R"(a eq 18446744073709551615)"), R"(a eq 18446744073709551615)");
  EXPECT_EQ(canonical("a eq \"\xc3\xa9\""), "a eq \"\xc3\xa9\"");
}

TEST(FilterParserTest, PathsWithUrnsSubAttributesAndValueFilters) {
  auto f = parse_filter(R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x")");
  ASSERT_TRUE(f.ok());
  const Node& n = f->nodes[f->root];
  EXPECT_EQ(n.path.urn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ(n.path.name, "manager");
  EXPECT_EQ(n.path.sub, "value");
  EXPECT_EQ(canonical(R"(members[value eq "2819c223"])"), R"(members[value eq "2819c223"])");
  EXPECT_EQ(canonical(R"(members.$ref pr)"), R"(members.$ref pr)");
  EXPECT_EQ(canonical(R"(emails[ type eq "work" ])"), R"(emails[type eq "work"])");
}

TEST(FilterParserTest, MalformedFiltersAreInvalidFilter) {
  for (const char* bad : {
           "",
           "   ",
           "userName",
           "userName eq",
           "userName eq ",
           R"(userName eq "unterminated)",
           R"(userName eq "bad \x escape")",
           R"(userName eq "\u12")",
           R"(userName eq "\ud800")",  // lone surrogate
           R"(userName eq "a\u0000b")",  // NUL: LIKE in SQLite would stop there
           "userName eq \"\xff\"",     // invalid UTF-8
           "userName eq \"a\x01b\"",   // control character
           R"(userName xx "x")",
           R"(userName eqq "x")",
           R"(userName like "x")",
           R"(userName eq 'single')",
           R"(userName eq bjensen)",
           R"(userName eq "x" and)",
           R"(userName eq "x" or or title pr)",
           R"(userName eq "x" title pr)",
           R"((userName eq "x")",
           R"(userName eq "x"))",
           R"(emails[type eq "work")",
           R"(emails[type eq "work"]])",
           R"(emails[type[value eq "x"] pr])",
           R"(not userName eq "x")",
           R"(userName eq 1.2.3)",
           R"(userName eq --1)",
           R"(userName eq 1e999)",
           R"(a.b.c eq "x")",
           R"(1abc eq "x")",
           R"(urn: eq "x")",
           R"(urn:ietf:params:scim: eq "x")",
           R"(userName eq "x"; DROP TABLE users)",
           "userName\x00eq \"x\"",
       }) {
    EXPECT_NE(parse_error(bad), "") << bad;
  }
  EXPECT_NE(parse_error(std::string("userName eq \"x\"\0", 16)), "");
}

TEST(FilterParserTest, AttacksRow66IsA400InvalidFilter) {
  // docs ATTACKS row 66: an unterminated comparison, an unknown operator, deep nesting.
  std::string deep(200, '(');
  for (const std::string& text : {std::string(R"(userName eq)"), std::string(R"(userName regex ".*")"), deep + "a pr"}) {
    auto f = parse_filter(text);
    ASSERT_FALSE(f.ok()) << text;
    const auto body = error_body(f.error());
    EXPECT_EQ(body["status"], "400") << text;
    EXPECT_EQ(body["scimType"], "invalidFilter") << text;
    EXPECT_EQ(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
  }
}

TEST(FilterParserTest, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(parse_error(R"(userName xx "x")"), "at offset 9: unknown operator 'xx \"x\"'");
  EXPECT_EQ(parse_error(R"(userName eq "abc)"), "at offset 12: unterminated string");
  EXPECT_EQ(parse_error(R"((title pr)"), "at offset 9: expected ')'");
}

TEST(FilterParserTest, DeepNestingIsRefusedWithoutRecursingDeeply) {
  for (const char* open_close : {"()", "[]"}) {
    std::string text;
    for (int i = 0; i < 100000; ++i) {
      text += open_close[0];
    }
    text += "a pr";
    for (int i = 0; i < 100000; ++i) {
      text += open_close[1];
    }
    FilterLimits limits;
    limits.max_length = text.size();
    EXPECT_NE(parse_error(text, limits), "");
  }
  std::string nots;
  for (int i = 0; i < 50000; ++i) {
    nots += "not (";
  }
  FilterLimits limits;
  limits.max_length = 1 << 20;
  EXPECT_NE(parse_error(nots + "a pr", limits), "");
  // Within the limit: fine.
  std::string ok = "a pr";
  for (int i = 0; i < 16; ++i) {
    ok = "(" + ok + ")";
  }
  EXPECT_EQ(parse_error(ok), "");
  EXPECT_EQ(parse_error("(" + ok + ")"), "at offset 17: the filter nests deeper than 16 levels");
}

TEST(FilterParserTest, LengthAndNodeLimits) {
  const std::string huge = "userName eq \"" + std::string(1 << 20, 'a') + "\"";
  EXPECT_NE(parse_error(huge).find("longer than 4096 bytes"), std::string::npos);
  std::string chain = "a pr";
  for (int i = 0; i < 300; ++i) {
    chain += " or a pr";
  }
  FilterLimits limits;
  limits.max_length = 1 << 16;
  EXPECT_NE(parse_error(chain, limits).find("more than 256 terms"), std::string::npos);
  limits.max_nodes = 1000;
  EXPECT_EQ(parse_error(chain, limits), "");  // a long chain is iterative, not deep
}

TEST(FilterParserTest, CanonicalRenderingParsesToItself) {
  for (const char* text : {
           R"(userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org"))",
           R"(emails[type eq "work" and (value co "@a" or value ew ".org")] or not (active eq false))",
           R"(((a pr or b pr) and c pr) or d eq "\"quoted\"")",
       }) {
    const std::string once = canonical(text);
    EXPECT_EQ(canonical(once), once) << text;
  }
}

TEST(PatchPathTest, Parses) {
  auto p = parse_patch_path(R"(emails[type eq "work"].value)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->attr.name, "emails");
  ASSERT_TRUE(p->filter.has_value());
  EXPECT_EQ(to_string(*p->filter), R"(type eq "work")");
  EXPECT_EQ(p->sub, "value");

  p = parse_patch_path(R"(members[value eq "2819c223-7f76-453a-919d-413861904646"])");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sub, "");

  p = parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr.urn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_FALSE(p->filter.has_value());

  p = parse_patch_path("name.givenName");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr.sub, "givenName");
}

TEST(PatchPathTest, MalformedPathsAreInvalidPath) {
  for (const char* bad : {"", "emails[", "emails[type eq \"work\"", "emails[type eq \"work\"].", "emails[]",
                          "emails[type eq \"work\"]x", "emails[type eq \"work\"].value.x", "a b", "a.b.c",
                          "emails[type eq \"work\"][value pr]", "members[value eq \"x\" or]"}) {
    auto p = parse_patch_path(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(scim_type_of(p.error()), ScimType::kInvalidPath) << bad;
  }
}

TEST(FilterBindTest, UnknownAttributesAndTypeMismatchesAreInvalidFilter) {
  using testing::filter_error_type;
  for (const char* bad : {
           R"(nosuch eq "x")",
           R"(name.nosuch eq "x")",
           R"(urn:ietf:params:scim:schemas:extension:other:2.0:User:x eq "x")",
           R"(active gt true)",
           R"(active co "t")",
           R"(active eq 1)",
           R"(userName eq 1)",
           R"(userName gt null)",
           R"(meta.lastModified eq "yesterday")",
           R"(meta.lastModified co "2011")",
           R"(x509Certificates.value gt "A")",
           R"(name eq "x")",
           R"(emails[nosuch eq "x"])",
           R"(emails[value.x eq "x"])",
           R"(userName[value eq "x"])",
           R"(name.givenName[value eq "x"])",
           R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq "x")",
       }) {
    EXPECT_EQ(filter_error_type(bad), ScimType::kInvalidFilter) << bad;
  }
  for (const char* good : {
           R"(USERNAME eq "x")",
           R"(Name.GivenName eq "x")",
           R"(urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "x")",
           R"(URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:employeeNumber eq "1")",
           R"(employeeNumber eq "1")",  // unique among the extensions: found without the URN
           R"(active eq "True")",       // Entra ID's string booleans
           R"(emails co "example.com")",  // a complex attribute compared through its value
           R"(members eq "x")",
           R"(id eq "x" and externalId eq "y" and meta.created pr)",
           R"(name[givenName eq "x"])",
       }) {
    const ScimType expected = ScimType::kNone;
    if (std::string_view(good).find("members") != std::string_view::npos) {
      auto f = compile_filter(good, group_resource_type());
      EXPECT_TRUE(f.ok()) << good;
      continue;
    }
    EXPECT_EQ(filter_error_type(good), expected) << good;
  }
}

}  // namespace
}  // namespace mcpgate::scim
