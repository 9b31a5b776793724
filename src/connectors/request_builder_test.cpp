#include "connectors/request_builder.hpp"

#include <gtest/gtest.h>

#include "connectors/loader.hpp"
#include "connectors/mime_message.hpp"
#include "connectors/test_support.hpp"
#include "connectors/url.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::connectors {
namespace {

using testing::header;

ToolDef make_tool(const std::string& method, const std::string& url, const Json& props,
                  const Json& required = Json::array()) {
  ToolDef t;
  t.connector_id = "acme";
  t.name = "t";
  t.method = method;
  t.url = url;
  t.input_schema = {{"type", "object"}, {"properties", props}, {"required", required}};
  t.api.hosts = {"api.acme.example", "*.tenant.acme.example"};
  return t;
}

TEST(PercentEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(percent_encode("a b/c?d#e%f&g=h+i"), "a%20b%2Fc%3Fd%23e%25f%26g%3Dh%2Bi");
  EXPECT_EQ(percent_encode("é"), "%C3%A9");
  EXPECT_EQ(form_encode("a b&c"), "a+b%26c");
}

TEST(HostAllowed, ExactAndSubdomainWildcards) {
  const std::vector<std::string> hosts = {"api.acme.example", "*.tenant.acme.example"};
  EXPECT_TRUE(host_allowed("API.ACME.example", hosts));
  EXPECT_TRUE(host_allowed("x.tenant.acme.example", hosts));
  EXPECT_FALSE(host_allowed("tenant.acme.example", hosts));
  EXPECT_FALSE(host_allowed("xtenant.acme.example", hosts));
  EXPECT_FALSE(host_allowed("api.acme.example.evil.example", hosts));
  EXPECT_FALSE(host_allowed("evil.example", hosts));
}

TEST(ParseUrl, RefusesAmbiguousUrls) {
  EXPECT_FALSE(parse_url("https://api.acme.example@evil.example/"));
  EXPECT_FALSE(parse_url("https://api.acme.example\\@evil.example/"));
  EXPECT_FALSE(parse_url("https://api.acme.example/x#frag"));
  EXPECT_FALSE(parse_url("https://api.acme.example:99999/"));
  EXPECT_FALSE(parse_url("https://api acme.example/"));
  EXPECT_FALSE(parse_url("ftp://api.acme.example/"));
  auto p = parse_url("https://[::1]:8443/a?b=c");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->host, "::1");
  EXPECT_EQ(p->port, "8443");
  EXPECT_EQ(p->path, "/a");
  EXPECT_EQ(p->query, "b=c");
}

TEST(BuildRequest, PathArgumentsStayInsideTheirSegment) {
  const ToolDef t = make_tool("GET", "https://api.acme.example/items/{id}/detail",
                              {{"id", {{"type", "string"}}}}, {"id"});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain", "https://api.acme.example/items/plain/detail"},
      {"../../admin", "https://api.acme.example/items/..%2F..%2Fadmin/detail"},
      {"//evil.example/x", "https://api.acme.example/items/%2F%2Fevil.example%2Fx/detail"},
      {"%2F..%2Fadmin", "https://api.acme.example/items/%252F..%252Fadmin/detail"},
      {"a?admin=1#x", "https://api.acme.example/items/a%3Fadmin%3D1%23x/detail"},
      {"@evil.example", "https://api.acme.example/items/%40evil.example/detail"},
      {"a\r\nHost: evil", "https://api.acme.example/items/a%0D%0AHost%3A%20evil/detail"},
      {"ünï", "https://api.acme.example/items/%C3%BCn%C3%AF/detail"},
  };
  for (const auto& [value, url] : cases) {
    auto r = build_request(t, {{"id", value}});
    ASSERT_TRUE(r) << value << ": " << r.error().message;
    EXPECT_EQ(r->url, url) << value;
    auto parts = parse_url(r->url);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->host, "api.acme.example");
  }
  for (const char* dots : {".", "..", ""}) {
    auto r = build_request(t, {{"id", dots}});
    ASSERT_FALSE(r) << dots;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(BuildRequest, PathArgumentAtTheHostBoundaryCannotMoveTheHost) {
  // The template ends its host with '/', so the argument is always a path segment.
  const ToolDef t = make_tool("GET", "https://api.acme.example/{p}", {{"p", {{"type", "string"}}}}, {"p"});
  for (const char* v : {".evil.example", "@evil.example", ":443@evil.example", "%40evil"}) {
    auto r = build_request(t, {{"p", v}});
    ASSERT_TRUE(r);
    EXPECT_EQ(parse_url(r->url)->host, "api.acme.example") << v;
  }
}

TEST(BuildRequest, QueryValuesAreEncodedArraysRepeatAbsentOmitted) {
  ToolDef t = make_tool("GET", "https://api.acme.example/search",
                        {{"q", {{"type", "string"}}},
                         {"labels", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                         {"limit", {{"type", "integer"}, {"default", 25}}},
                         {"flag", {{"type", "boolean"}}},
                         {"from", {{"type", "string"}}}});
  t.query = {{"q", "{q}"}, {"label", "{labels}"}, {"limit", "{limit}"}, {"flag", "{flag}"},
             {"range", "{from}..now"}, {"fixed", "yes"}};
  auto r = build_request(t, {{"q", "a b&c=d#e"}, {"labels", {"x", "y/z"}}, {"flag", false}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->url,
            "https://api.acme.example/search?q=a%20b%26c%3Dd%23e&label=x&label=y%2Fz&limit=25"
            "&flag=false&fixed=yes");
  auto with_range = build_request(t, {{"from", "2024-01-01"}});
  ASSERT_TRUE(with_range);
  EXPECT_NE(with_range->url.find("&range=2024-01-01..now"), std::string::npos) << with_range->url;
}

TEST(BuildRequest, ArgumentsAreValidatedFirst) {
  const ToolDef t = make_tool("GET", "https://api.acme.example/items/{id}",
                              {{"id", {{"type", "integer"}, {"minimum", 1}}}}, {"id"});
  auto wrong = build_request(t, {{"id", "x"}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.error().message.find("/id"), std::string::npos) << wrong.error().message;
  EXPECT_FALSE(build_request(t, Json::object()));
  EXPECT_FALSE(build_request(t, Json::array()));
  auto ok = build_request(t, {{"id", 42}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->url, "https://api.acme.example/items/42");
}

TEST(BuildRequest, HeaderTemplatesRefuseLineBreaks) {
  ToolDef t = make_tool("GET", "https://api.acme.example/x", {{"etag", {{"type", "string"}}}});
  t.api.headers = {{"Accept", "application/json"}};
  t.headers = {{"If-None-Match", "{etag}"}};
  auto ok = build_request(t, {{"etag", "\"abc\""}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(header(ok->headers, "Accept"), "application/json");
  EXPECT_EQ(header(ok->headers, "If-None-Match"), "\"abc\"");
  EXPECT_EQ(header(ok->headers, "Authorization"), "<absent>");
  EXPECT_FALSE(build_request(t, {{"etag", "x\r\nAuthorization: Bearer stolen"}}));
  auto absent = build_request(t, Json::object());
  ASSERT_TRUE(absent);
  EXPECT_EQ(header(absent->headers, "If-None-Match"), "<absent>");
}

TEST(BuildRequest, JsonBodies) {
  ToolDef t = make_tool("POST", "https://api.acme.example/things/{id}",
                        {{"id", {{"type", "string"}}},
                         {"name", {{"type", "string"}}},
                         {"tags", {{"type", "array"}}},
                         {"meta", {{"type", "object"}}}},
                        {"id"});
  t.body.format = BodyFormat::kJson;
  t.body.source = BodySource::kRemainingArgs;
  auto rest = build_request(t, {{"id", "7"}, {"name", "n"}, {"tags", {1, 2}}});
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->body, R"({"name":"n","tags":[1,2]})");
  EXPECT_EQ(header(rest->headers, "Content-Type"), "application/json; charset=utf-8");

  t.body.source = BodySource::kFields;
  t.body.fields = {{"title", "{name}"}, {"label", "item {id}"}, {"extra", "{meta}"}, {"kind", "fixed"}};
  auto fields = build_request(t, {{"id", "7"}, {"name", "n"}, {"meta", {{"a", true}}}});
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->body, R"({"extra":{"a":true},"kind":"fixed","label":"item 7","title":"n"})");

  t.body.source = BodySource::kFromArg;
  t.body.arg = "meta";
  auto whole = build_request(t, {{"id", "7"}, {"meta", {{"Name", "Acme"}}}});
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->body, R"({"Name":"Acme"})");
}

TEST(BuildRequest, FormBodies) {
  ToolDef t = make_tool("POST", "https://api.acme.example/form",
                        {{"text", {{"type", "string"}}},
                         {"ids", {{"type", "array"}}},
                         {"blocks", {{"type", "array"}}}});
  t.body.format = BodyFormat::kForm;
  t.body.source = BodySource::kFields;
  t.body.fields = {{"text", "{text}"}, {"id", "{ids}"}};
  auto r = build_request(t, {{"text", "héllo & bye"}, {"ids", {"a", "b"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "id=a&id=b&text=h%C3%A9llo+%26+bye");
  EXPECT_EQ(header(r->headers, "Content-Type"), "application/x-www-form-urlencoded");
}

TEST(BuildRequest, ConnectionBaseUrlIsCheckedEveryCall) {
  ToolDef t = make_tool("GET", "{conn.base}/v1/items/{id}", {{"id", {{"type", "string"}}}}, {"id"});
  auto ok = build_request(t, {{"id", "a"}}, {{"base", "https://org1.tenant.acme.example/"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->url, "https://org1.tenant.acme.example/v1/items/a");
  const std::vector<std::string> bad = {
      "https://evil.example", "http://org1.tenant.acme.example", "https://x@org1.tenant.acme.example",
      "https://org1.tenant.acme.example.evil.example", "https://org1.tenant.acme.example/?a=b",
      "org1.tenant.acme.example", "https://org1.tenant.acme.example#x"};
  for (const auto& base : bad) {
    auto r = build_request(t, {{"id", "a"}}, {{"base", base}});
    ASSERT_FALSE(r) << base;
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition) << base;
  }
  auto missing = build_request(t, {{"id", "a"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("reconnect acme"), std::string::npos);
}

TEST(BuildRequest, NeverAddsAuthorization) {
  ToolDef t = make_tool("GET", "https://api.acme.example/x", Json::object());
  auto r = build_request(t, Json::object());
  ASSERT_TRUE(r);
  for (const auto& [k, v] : r->headers) {
    EXPECT_NE(k, "Authorization");
  }
}

TEST(MimeMessage, BuildsAnRfc5322Message) {
  auto m = build_mime_message({{"to", {"a@x.example", "b@y.example"}},
                               {"cc", {"c@z.example"}},
                               {"subject", "Hello"},
                               {"text", "Hi there"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m,
            "To: a@x.example, b@y.example\r\nCc: c@z.example\r\nSubject: Hello\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nSGkgdGhlcmU=\r\n");
  auto utf8 = build_mime_message({{"to", "a@x.example"}, {"subject", "Grüße"}, {"text", "x"}});
  ASSERT_TRUE(utf8);
  EXPECT_NE(utf8->find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), std::string::npos) << *utf8;
}

TEST(MimeMessage, RefusesHeaderInjection) {
  EXPECT_FALSE(build_mime_message({{"to", "a@x.example\r\nBcc: all@evil.example"}, {"subject", "s"}, {"text", "t"}}));
  EXPECT_FALSE(build_mime_message({{"to", "a@x.example"}, {"subject", "s\nBcc: e@evil.example"}, {"text", "t"}}));
  EXPECT_FALSE(build_mime_message({{"to", "not-an-address"}, {"subject", "s"}, {"text", "t"}}));
  EXPECT_FALSE(build_mime_message({{"to", Json::array()}, {"subject", "s"}, {"text", "t"}}));
  // A body line that looks like a header stays in the (base64) body.
  auto m = build_mime_message({{"to", "a@x.example"}, {"subject", "s"}, {"text", "\r\nBcc: e@evil.example"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->find("Bcc:"), std::string::npos);
}

}  // namespace
}  // namespace mcpgate::connectors
