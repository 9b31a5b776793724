#include "connectors/loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "connectors/test_support.hpp"
#include "mcp/schema.hpp"

namespace mcpgate::connectors {
namespace {

using testing::definition_with_tool;
using testing::repo_path;

const char* kGoodTool =
    "  - name: get_thing\n"
    "    description: Get a thing.\n"
    "    annotations: {readOnlyHint: true, destructiveHint: false, idempotentHint: true}\n"
    "    input_schema:\n"
    "      type: object\n"
    "      required: [id]\n"
    "      properties:\n"
    "        id: {type: string}\n"
    "    request:\n"
    "      method: GET\n"
    "      url: https://api.acme.example/things/{id}\n";

// The first "FILE:LINE: message" line of a failed parse.
std::string parse_error(const std::string& yaml) {
  auto def = parse_connector(yaml, "acme.yaml");
  EXPECT_FALSE(def) << "expected an error";
  return def ? "" : def.error().message;
}

TEST(ConnectorSchema, IsValidJsonAndAcceptsItsOwnShape) {
  ASSERT_TRUE(connector_schema().is_object());
  EXPECT_EQ(connector_schema()["properties"]["schema"]["const"], "mcpgate.connector/v1");
}

TEST(Loader, EveryShippedConnectorValidates) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(repo_path("connectors"))) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++files;
    auto def = load_connector_file(entry.path().string());
    ASSERT_TRUE(def) << def.error().message;
    EXPECT_GE(def->tools.size(), 4u) << entry.path();
    bool read = false;
    bool destructive = false;
    for (const auto& t : def->tools) {
      read |= t.annotations.read_only;
      destructive |= t.annotations.destructive;
      const Json d = tool_descriptor(t);
      EXPECT_LE(d["name"].get<std::string>().size(), 64u);
      // The descriptor's inputSchema accepts an object of its defaults.
      EXPECT_EQ(d["inputSchema"]["type"], "object");
    }
    EXPECT_TRUE(read && destructive) << entry.path() << " needs read and destructive tools";
  }
  EXPECT_GE(files, 5u);  // the five shipped providers, and any added later
}

TEST(Loader, BuildsTheDefinition) {
  auto def = parse_connector(definition_with_tool(kGoodTool), "acme.yaml");
  ASSERT_TRUE(def) << def.error().message;
  EXPECT_EQ(def->id, "acme");
  EXPECT_EQ(def->oauth.pkce, Pkce::kRequired);
  EXPECT_EQ(def->oauth.client_auth, ClientAuth::kNone);
  ASSERT_EQ(def->oauth.connection_vars.size(), 1u);
  EXPECT_TRUE(def->oauth.connection_vars[0].base_url);
  ASSERT_EQ(def->tools.size(), 1u);
  const Json d = tool_descriptor(def->tools[0]);
  EXPECT_EQ(d["name"], "acme_get_thing");
  EXPECT_EQ(d["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(d["annotations"]["destructiveHint"], false);
}

TEST(Loader, SchemaErrorsNameFileAndLine) {
  std::string y = definition_with_tool(kGoodTool);
  y.replace(y.find("client_auth: none"), 17, "client_auth: magic");
  const std::string e = parse_error(y);
  EXPECT_EQ(e.rfind("acme.yaml:9: /oauth/client_auth: must be one of", 0), 0u) << e;

  std::string missing = definition_with_tool(kGoodTool);
  missing.replace(missing.find("    description: Get a thing.\n"), 30, "");
  const std::string m = parse_error(missing);
  EXPECT_NE(m.find("acme.yaml:15: /tools/0: missing required property 'description'"),
            std::string::npos)
      << m;

  const std::string unknown = parse_error(definition_with_tool(kGoodTool) + "extra: 1\n");
  EXPECT_NE(unknown.find("unexpected property 'extra'"), std::string::npos) << unknown;
}

TEST(Loader, SemanticErrorsNameFileAndLine) {
  std::string y = definition_with_tool(kGoodTool);
  y.replace(y.find("https://api.acme.example/things/{id}"), 36,
            "https://evil.example/things/{id}");
  EXPECT_EQ(parse_error(y),
            "acme.yaml:25: /tools/0/request/url: host 'evil.example' is not in api.hosts");
}

struct Refused {
  const char* what;
  std::string tool;
  const char* message;
};

std::string tool_with(const std::string& request_extra, const std::string& url = "https://api.acme.example/x",
                      const std::string& method = "POST", const std::string& props = "") {
  return "  - name: t\n"
         "    description: d\n"
         "    annotations: {readOnlyHint: false, destructiveHint: false, idempotentHint: false}\n"
         "    input_schema:\n"
         "      type: object\n"
         "      properties:\n"
         "        a: {type: string}\n" +
         props +
         "    request:\n"
         "      method: " + method + "\n"
         "      url: \"" + url + "\"\n" + request_extra;
}

TEST(Loader, RefusesTokensOutsideTheAuthorizationHeader) {
  const std::vector<Refused> cases = {
      {"token in URL", tool_with("      query: {q: \"{a}\"}\n", "https://api.acme.example/x/{cred.access_token}"),
       "names a credential"},
      {"token in query", tool_with("      query: {access_token: \"{access_token}\", q: \"{a}\"}\n"),
       "names a credential"},
      {"token in body", tool_with("      body: {format: json, fields: {a: \"{a}\", t: \"Bearer {cred.token}\"}}\n"),
       "names a credential"},
      {"credential body field", tool_with("      body: {format: json, fields: {client_secret: \"{a}\"}}\n"),
       "looks like a credential"},
      {"Authorization header", tool_with("      headers: {Authorization: \"Bearer {a}\"}\n"),
       "is set by the gateway"},
      {"proxy auth header", tool_with("      headers: {proxy-authorization: \"{a}\"}\n"),
       "is set by the gateway"},
      {"api key header", tool_with("      headers: {X-Api-Key: \"{a}\"}\n"), "looks like a credential"},
      {"token argument", tool_with("      query: {q: \"{a}\", t: \"{token}\"}\n", "https://api.acme.example/x",
                                   "POST", "        token: {type: string}\n"),
       "looks like a credential"},
  };
  for (const auto& c : cases) {
    const std::string e = parse_error(definition_with_tool(c.tool));
    EXPECT_NE(e.find(c.message), std::string::npos) << c.what << ": " << e;
    EXPECT_NE(e.find("acme.yaml:"), std::string::npos) << c.what;
  }
  const std::string api_auth = parse_error(definition_with_tool(
      tool_with("      query: {q: \"{a}\"}\n"), "  headers: {Authorization: \"Bearer x\"}\n"));
  EXPECT_NE(api_auth.find("/api/headers/Authorization"), std::string::npos) << api_auth;
  // A connection variable cannot carry the token into a URL either.
  std::string y = definition_with_tool(tool_with("      query: {q: \"{a}\"}\n"));
  y.replace(y.find("from_token_response: instance_url"), 33, "from_token_response: access_token");
  EXPECT_NE(parse_error(y).find("cannot hold a token"), std::string::npos);
}

TEST(Loader, RefusesTemplatesThatLeaveTheAllowedHosts) {
  const std::vector<Refused> cases = {
      {"plain http", tool_with("      query: {q: \"{a}\"}\n", "http://api.acme.example/x"),
       "plain http is only allowed to loopback"},
      {"host from argument", tool_with("", "https://{a}/x"), "scheme and host must be literal"},
      {"host suffix from argument", tool_with("", "https://api.acme.example{a}/x"),
       "scheme and host must be literal"},
      {"userinfo", tool_with("      query: {q: \"{a}\"}\n", "https://api.acme.example@evil.example/x"),
       "user information"},
      {"query in url", tool_with("", "https://api.acme.example/x?q={a}"), "request.query"},
      {"unknown conn var", tool_with("      query: {q: \"{a}\"}\n", "{conn.other}/x"),
       "not a connection variable"},
      {"conn var mid-url", tool_with("      query: {q: \"{a}\"}\n", "https://api.acme.example/{conn.base}"),
       "may only open the URL template"},
      {"wildcard apex", tool_with("      query: {q: \"{a}\"}\n", "https://tenant.acme.example/x"),
       "is not in api.hosts"},
  };
  for (const auto& c : cases) {
    const std::string e = parse_error(definition_with_tool(c.tool));
    EXPECT_NE(e.find(c.message), std::string::npos) << c.what << ": " << e;
  }
}

TEST(Loader, LoopbackNeedsTheTestFlag) {
  std::string y = definition_with_tool(tool_with("      query: {q: \"{a}\"}\n", "http://127.0.0.1:8089/x"));
  y.replace(y.find("hosts: [api.acme.example"), 24, "hosts: [127.0.0.1, api.acme.example");
  EXPECT_NE(parse_error(y).find("allow_loopback_http"), std::string::npos);
  std::string ok = definition_with_tool(tool_with("      query: {q: \"{a}\"}\n", "http://127.0.0.1:8089/x"),
                                        "  allow_loopback_http: true\n");
  ok.replace(ok.find("hosts: [api.acme.example"), 24, "hosts: [127.0.0.1, api.acme.example");
  auto def = parse_connector(ok, "acme.yaml");
  EXPECT_TRUE(def) << def.error().message;
}

TEST(Loader, ChecksPlaceholdersArgumentsAndAnnotations) {
  const std::vector<Refused> cases = {
      {"undeclared placeholder", tool_with("      query: {q: \"{b}\", a: \"{a}\"}\n"),
       "placeholder '{b}' is not a property of input_schema"},
      {"unused argument", tool_with("      query: {q: fixed}\n"), "argument 'a' is not used"},
      {"optional path arg", tool_with("", "https://api.acme.example/x/{a}"),
       "must be listed in input_schema.required"},
      {"unbalanced", tool_with("      query: {q: \"{a\"}\n"), "unterminated '{'"},
      {"GET body", tool_with("      body: {format: json, remaining_args: true}\n",
                             "https://api.acme.example/x", "GET"),
       "GET requests have no body"},
      {"delete not destructive", tool_with("      query: {q: \"{a}\"}\n", "https://api.acme.example/x", "DELETE"),
       "a DELETE request is destructive"},
      {"two bodies", tool_with("      body: {format: json, remaining_args: true, from_arg: a}\n"),
       "/tools/0/request/body"},
      {"content-type", tool_with("      headers: {Content-Type: \"{a}\"}\n"), "is set by the gateway"},
  };
  for (const auto& c : cases) {
    const std::string e = parse_error(definition_with_tool(c.tool));
    EXPECT_NE(e.find(c.message), std::string::npos) << c.what << ": " << e;
  }
  std::string ro = tool_with("      query: {q: \"{a}\"}\n");
  ro.replace(ro.find("readOnlyHint: false"), 19, "readOnlyHint: true");
  EXPECT_NE(parse_error(definition_with_tool(ro)).find("readOnlyHint needs a GET"), std::string::npos);
  std::string dup = definition_with_tool(std::string(kGoodTool) + kGoodTool);
  EXPECT_NE(parse_error(dup).find("duplicate tool name 'get_thing'"), std::string::npos);
}

TEST(Loader, ReportsEverySemanticProblemWithItsLine) {
  std::string two = tool_with("      query: {q: \"{b}\"}\n") ;
  const std::string e = parse_error(definition_with_tool(two));
  // Both the undeclared placeholder and the unused argument, each on its own line.
  EXPECT_NE(e.find("acme.yaml:25: /tools/0/request/query/q"), std::string::npos) << e;
  EXPECT_NE(e.find("\nacme.yaml:21: /tools/0/input_schema/properties/a"), std::string::npos) << e;
}

TEST(Loader, MissingFileIsAnError) {
  auto def = load_connector_file("/nonexistent/x.yaml");
  ASSERT_FALSE(def);
  EXPECT_EQ(def.error().code, ErrorCode::kNotFound);
}

TEST(Loader, HostileDocumentsFailCleanly) {
  for (const std::string& y : {std::string("[") + std::string(100, '['), std::string("- a\n- b\n"),
                              std::string("id: [1"), std::string("\t"), std::string("{a: *x}"),
                              std::string("schema: mcpgate.connector/v1\ntools: 5\n")}) {
    auto def = parse_connector(y, "h.yaml");
    ASSERT_FALSE(def) << y;
    EXPECT_FALSE(def.error().message.empty());
  }
}

}  // namespace
}  // namespace mcpgate::connectors
