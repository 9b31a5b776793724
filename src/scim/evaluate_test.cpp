#include <gtest/gtest.h>

#include "scim/datetime.hpp"
#include "scim/evaluate.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;
using testing::matching_ids;
using testing::test_users;

TEST(EvaluateTest, StringOperatorsFollowCaseExact) {
  const json users = test_users();
  EXPECT_EQ(matching_ids(R"(userName eq "BJENSEN")", users), "u1");  // caseExact false
  EXPECT_EQ(matching_ids(R"(userName eq "jsmith")", users), "u3");
  EXPECT_EQ(matching_ids(R"(externalId eq "ext-2")", users), "");  // caseExact true
  EXPECT_EQ(matching_ids(R"(externalId eq "EXT-2")", users), "u2");
  EXPECT_EQ(matching_ids(R"(id eq "U1")", users), "");
  EXPECT_EQ(matching_ids(R"(name.familyName co "o'mal")", users), "u2");
  EXPECT_EQ(matching_ids(R"(userName sw "J")", users), "u3");
  EXPECT_EQ(matching_ids(R"(userName ew "SEN")", users), "u1");
  EXPECT_EQ(matching_ids(R"(userName co "%")", users), "u2");
  EXPECT_EQ(matching_ids(R"(userName co "_")", users), "u2");
  EXPECT_EQ(matching_ids(R"(userName co "")", users), "u1,u2,u3,u4");
  EXPECT_EQ(matching_ids(R"(userName gt "n")", users), "u2,u4");
  EXPECT_EQ(matching_ids(R"(userName ge "nobody")", users), "u2,u4");
  EXPECT_EQ(matching_ids(R"(userName lt "c")", users), "u1");
  EXPECT_EQ(matching_ids(R"(userName le "bjensen")", users), "u1");
  EXPECT_EQ(matching_ids(R"(externalId ew "-2")", users), "u2");
  EXPECT_EQ(matching_ids(R"(externalId sw "ext")", users), "u1");
}

TEST(EvaluateTest, NeIsNotEqAndMissingValuesNeverCompare) {
  const json users = test_users();
  EXPECT_EQ(matching_ids(R"(userType eq "Employee")", users), "u1,u3");
  EXPECT_EQ(matching_ids(R"(userType ne "Employee")", users), "u2,u4");  // u4 has no userType
  EXPECT_EQ(matching_ids(R"(userType gt "A")", users), "u1,u2,u3");
  EXPECT_EQ(matching_ids(R"(not (userType gt "A"))", users), "u4");
  EXPECT_EQ(matching_ids(R"(title eq null)", users), "u2,u3,u4");  // "" is no value
  EXPECT_EQ(matching_ids(R"(title ne null)", users), "u1");
}

TEST(EvaluateTest, Presence) {
  const json users = test_users();
  EXPECT_EQ(matching_ids("title pr", users), "u1");
  EXPECT_EQ(matching_ids("emails pr", users), "u1,u2,u3");  // [] is absent
  EXPECT_EQ(matching_ids("name pr", users), "u1,u2,u3");    // {} is absent
  EXPECT_EQ(matching_ids("emails.primary pr", users), "u1,u3");
  EXPECT_EQ(matching_ids("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr", users), "u1");
  EXPECT_EQ(matching_ids("not (externalId pr)", users), "u3,u4");
}

TEST(EvaluateTest, BooleansNumbersAndBinary) {
  json users = test_users();
  EXPECT_EQ(matching_ids("active eq true", users), "u1,u3");
  EXPECT_EQ(matching_ids("active eq false", users), "u2");
  EXPECT_EQ(matching_ids("active ne true", users), "u2,u4");
  EXPECT_EQ(matching_ids(R"(active eq "FALSE")", users), "u2");
  users[1]["active"] = "False";  // stored as Entra sent it
  EXPECT_EQ(matching_ids("active eq false", users), "u2");
  EXPECT_EQ(matching_ids(R"(x509Certificates.value eq "TUlJREFD")", users), "u3");
  EXPECT_EQ(matching_ids(R"(x509Certificates.value eq "tuljrefd")", users), "");  // binary is caseExact
}

TEST(EvaluateTest, DateTimesCompareAsInstants) {
  const json users = test_users();
  // u1 04:42:34Z, u2 06:42:34+02:00 (the same instant), u3 2013, u4 2020.
  EXPECT_EQ(matching_ids(R"(meta.lastModified eq "2011-05-13T04:42:34Z")", users), "u1,u2");
  EXPECT_EQ(matching_ids(R"(meta.lastModified eq "2011-05-13T04:42:34.000Z")", users), "u1,u2");
  EXPECT_EQ(matching_ids(R"(meta.lastModified gt "2011-05-13T04:42:34Z")", users), "u3,u4");
  EXPECT_EQ(matching_ids(R"(meta.lastModified ge "2011-05-13T04:42:34Z")", users), "u1,u2,u3,u4");
  EXPECT_EQ(matching_ids(R"(meta.lastModified lt "2011-05-13T04:42:35Z")", users), "u1,u2");
  EXPECT_EQ(matching_ids(R"(meta.lastModified le "2011-05-13T04:42:33.999Z")", users), "");
  EXPECT_EQ(matching_ids(R"(meta.lastModified gt "2020-12-31T23:59:59.999998Z")", users), "u4");
  EXPECT_EQ(matching_ids(R"(meta.created lt "2012-02-01T00:00:00.2500001Z")", users), "u1,u2");
}

TEST(EvaluateTest, MultiValuedAttributesMatchWhenAnyValueMatches) {
  const json users = test_users();
  EXPECT_EQ(matching_ids(R"(emails.value co "example.com")", users), "u1,u3");
  EXPECT_EQ(matching_ids(R"(emails co "example.org")", users), "u2,u3");  // through "value"
  EXPECT_EQ(matching_ids(R"(emails.type eq "home")", users), "u1,u3");
  // Without a value filter the two terms may hold for different values...
  EXPECT_EQ(matching_ids(R"(emails.type eq "home" and emails.value co "example.org")", users), "u3");
  // ...with one they must hold for the same value.
  EXPECT_EQ(matching_ids(R"(emails[type eq "home" and value co "example.org"])", users), "");
  EXPECT_EQ(matching_ids(R"(emails[type eq "work" and value co "example.org"])", users), "u2,u3");
  EXPECT_EQ(matching_ids(R"(emails[type eq "work" and primary eq true])", users), "u1,u3");
  EXPECT_EQ(matching_ids(R"(emails[not (type eq "work")])", users), "u1,u3");
  EXPECT_EQ(matching_ids(R"(schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")", users),
            "u1,u3");
  EXPECT_EQ(matching_ids(R"(name[givenName eq "tom" or familyName eq "smith"])", users), "u2,u3");
}

TEST(EvaluateTest, Rfc7644CompoundExamples) {
  const json users = test_users();
  EXPECT_EQ(matching_ids(R"(title pr and userType eq "Employee")", users), "u1");
  EXPECT_EQ(matching_ids(R"(title pr or userType eq "Intern")", users), "u1,u2");
  EXPECT_EQ(matching_ids(R"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))",
                         users),
            "u1,u3");
  EXPECT_EQ(
      matching_ids(R"(userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org"))",
                   users),
      "u4");
  EXPECT_EQ(matching_ids(R"(userType eq "Employee" and emails[type eq "work" and value co "@example.com"])", users),
            "u1");
  EXPECT_EQ(matching_ids(R"(emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"])",
                         users),
            "u1");
}

TEST(EvaluateTest, EnterpriseExtension) {
  const json users = test_users();
  EXPECT_EQ(matching_ids(R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984")",
                         users),
            "u1");
  EXPECT_EQ(matching_ids(R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "u3")", users),
            "u1");
  EXPECT_EQ(matching_ids(R"(department sw "tour")", users), "u1");
  EXPECT_EQ(matching_ids(R"(urn:ietf:params:scim:schemas:core:2.0:User:userName eq "nobody")", users), "u4");
}

TEST(EvaluateTest, GroupMembers) {
  const json group = json::parse(R"({"id": "g1", "displayName": "Admins",
      "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}]})");
  auto f = compile_filter(R"(id eq "g1" and members eq "u2")", group_resource_type());  // Entra's membership test
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(matches(*f, group));
  f = compile_filter(R"(members[value eq "u3"])", group_resource_type());
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(matches(*f, group));
  f = compile_filter(R"(DISPLAYNAME eq "admins")", group_resource_type());
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(matches(*f, group));
}

TEST(EvaluateTest, MistypedStoredValuesDoNotMatch) {
  const json odd = json::parse(R"({"id": "u?", "userName": 7, "active": "yes", "emails": "not-a-list",
      "name": "flat", "meta": {"lastModified": "not a date"}})");
  const json users = json::array({odd});
  EXPECT_EQ(matching_ids(R"(userName eq "7")", users), "");
  EXPECT_EQ(matching_ids("active eq true", users), "");
  EXPECT_EQ(matching_ids(R"(emails.value eq "x")", users), "");
  EXPECT_EQ(matching_ids(R"(name.givenName eq "flat")", users), "");
  EXPECT_EQ(matching_ids(R"(meta.lastModified gt "2000-01-01T00:00:00Z")", users), "");
  EXPECT_EQ(matching_ids("userName pr", users), "u?");
}

TEST(DateTimeTest, ParsesAndFormats) {
  EXPECT_EQ(parse_datetime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_datetime("1970-01-01T00:00:01.5Z"), 1500000);
  EXPECT_EQ(parse_datetime("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_datetime("1969-12-31T23:59:59Z"), -1000000);
  EXPECT_EQ(parse_datetime("2000-02-29T00:00:00"), 951782400LL * 1000000);
  EXPECT_EQ(parse_datetime("2011-05-13T04:42:34Z"), parse_datetime("2011-05-13T06:42:34+02:00"));
  for (const char* bad : {"", "2011-05-13", "2011-05-13T04:42Z", "2011-13-01T00:00:00Z", "2011-02-29T00:00:00Z",
                          "2011-05-13T24:00:00Z", "2011-05-13T04:42:60Z", "2011-05-13T04:42:34.Z",
                          "2011-05-13T04:42:34+2:00", "2011-05-13T04:42:34Zjunk", "0000-01-01T00:00:00Z",
                          "２011-05-13T04:42:34Z"}) {
    EXPECT_FALSE(parse_datetime(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_datetime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_datetime(1500000), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(format_datetime(-1), "1969-12-31T23:59:59.999999Z");
  for (const char* text : {"2011-05-13T04:42:34Z", "2000-02-29T12:00:00.000001Z", "9999-12-31T23:59:59Z",
                           "0001-01-01T00:00:00Z"}) {
    EXPECT_EQ(format_datetime(*parse_datetime(text)), text);
  }
}

}  // namespace
}  // namespace mcpgate::scim
