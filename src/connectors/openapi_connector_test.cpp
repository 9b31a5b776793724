// A connector definition whose tools come from an OpenAPI document (`openapi:`), beside or
// instead of hand-written `tools:`: the import runs under the definition's id, OAuth settings
// and API hosts, and every error names a line of the definition.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/check.hpp"
#include "connectors/loader.hpp"
#include "connectors/request_builder.hpp"
#include "connectors/test_support.hpp"

namespace mcpgate::connectors {
namespace {

using testing::repo_path;

std::string fake_saas_openapi_text() {
  std::ifstream in(repo_path("tests/data/openapi/fake-saas.yaml"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The definition's first 12 lines; `rest` (tools: and/or openapi:) starts at line 13.
std::string fake_definition_with(const std::string& rest) {
  return "schema: mcpgate.connector/v1\n"
         "id: fake\n"
         "display_name: Fake SaaS\n"
         "oauth:\n"
         "  authorize_url: http://127.0.0.1:40123/oauth/authorize\n"
         "  token_url: http://127.0.0.1:40123/oauth/token\n"
         "  scopes: [items:read]\n"
         "  pkce: required\n"
         "  client_auth: client_secret_basic\n"
         "api:\n"
         "  hosts: [127.0.0.1]\n"
         "  allow_loopback_http: true\n" +
         rest;
}

const char* kWhoamiTool =
    "tools:\n"
    "  - name: whoami\n"
    "    description: The connected account.\n"
    "    annotations: {readOnlyHint: true, destructiveHint: false, idempotentHint: true}\n"
    "    input_schema: {type: object}\n"
    "    request: {method: GET, url: \"http://127.0.0.1:40123/api/me\"}\n";

// Serves "api/fake-saas.yaml" (the test document) and "api/broken.yaml"; nothing else exists.
Result<OpenApiDocument> read_test_openapi(const std::string& file) {
  if (file == "api/fake-saas.yaml") {
    return OpenApiDocument{"/defs/api/fake-saas.yaml", fake_saas_openapi_text()};
  }
  if (file == "api/broken.yaml") {
    return OpenApiDocument{"/defs/api/broken.yaml",
                           "openapi: 3.1.0\n"
                           "info: {title: t, version: '1'}\n"
                           "paths:\n"
                           "  /x:\n"
                           "    post:\n"
                           "      operationId: broken\n"
                           "      requestBody:\n"
                           "        content:\n"
                           "          application/json: {schema: {$ref: '#/nope'}}\n"};
  }
  return make_error(ErrorCode::kNotFound, "cannot open /defs/" + file);
}

Result<ConnectorDef> parse_openapi_definition(const std::string& rest) {
  return parse_connector(fake_definition_with(rest), "fake.yaml", {}, read_test_openapi);
}

std::vector<std::string> tool_names(const ConnectorDef& def) {
  std::vector<std::string> out;
  for (const auto& t : def.tools) {
    out.push_back(mcp_tool_name(t));
  }
  return out;
}

TEST(OpenApiConnector, ImportsBesideHandWrittenTools) {
  auto def = parse_openapi_definition(std::string(kWhoamiTool) +
                                      "openapi:\n"
                                      "  file: api/fake-saas.yaml\n"
                                      "  server_url: http://127.0.0.1:40123\n"
                                      "  exclude: [getMe, deleteItem]\n");
  ASSERT_TRUE(def) << def.error().message;
  // Hand-written first, then the document's paths in order.
  EXPECT_EQ(tool_names(*def), (std::vector<std::string>{"fake_whoami", "fake_add_note",
                                                        "fake_list_items", "fake_create_item",
                                                        "fake_get_item"}));
  EXPECT_EQ(def->imported_tools, 4u);
  EXPECT_TRUE(def->warnings.empty());
  ASSERT_TRUE(def->openapi);
  EXPECT_EQ(def->openapi->file, "api/fake-saas.yaml");
  // The imported tools run under the definition's API policy and build the documented requests.
  const ToolDef& note = testing::tool(*def, "add_note");
  EXPECT_EQ(note.connector_id, "fake");
  EXPECT_EQ(note.api.hosts, std::vector<std::string>{"127.0.0.1"});
  EXPECT_TRUE(note.api.allow_loopback_http);
  auto req = build_request(note, {{"project", "p1"}, {"notify", false}, {"text", "hi"}});
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->url, "http://127.0.0.1:40123/api/echo/projects/p1/notes?notify=false");
  EXPECT_EQ(req->body, R"({"text":"hi"})");
}

TEST(OpenApiConnector, SelectorsPickOperationsAndTags) {
  auto notes = parse_openapi_definition(
      "openapi: {file: api/fake-saas.yaml, server_url: \"http://127.0.0.1:1\", "
      "include_tags: [notes]}\n");
  ASSERT_TRUE(notes) << notes.error().message;
  EXPECT_EQ(tool_names(*notes), std::vector<std::string>{"fake_add_note"});

  auto mixed = parse_openapi_definition(
      "openapi:\n"
      "  file: api/fake-saas.yaml\n"
      "  server_url: http://127.0.0.1:1\n"
      "  include: [getItem, getMe]\n"
      "  include_tags: [notes]\n"
      "  exclude: [getMe]\n");
  ASSERT_TRUE(mixed) << mixed.error().message;
  EXPECT_EQ(tool_names(*mixed), (std::vector<std::string>{"fake_add_note", "fake_get_item"}));

  // The document's servers[0] (http://127.0.0.1:8089) when server_url is absent.
  auto own = parse_openapi_definition("openapi: {file: api/fake-saas.yaml, include: [getMe]}\n");
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->tools.at(0).url, "http://127.0.0.1:8089/api/me");
}

TEST(OpenApiConnector, WithoutAReaderTheSectionIsValidatedOnly) {
  auto def = parse_connector(
      fake_definition_with("openapi: {file: api/fake-saas.yaml, exclude: [getMe]}\n"), "fake.yaml");
  ASSERT_TRUE(def) << def.error().message;
  EXPECT_TRUE(def->tools.empty());
  ASSERT_TRUE(def->openapi);
  EXPECT_EQ(def->openapi->exclude, std::vector<std::string>{"getMe"});
}

struct OpenApiRefusal {
  const char* what;
  std::string rest;  // from line 13
  std::string error;  // the start of the message
};

TEST(OpenApiConnector, ErrorsNameFileAndLine) {
  // Lines 13, 14; a block mapping's line is its first key's.
  const std::string head = "openapi:\n  file: api/fake-saas.yaml\n";
  const std::vector<OpenApiRefusal> cases = {
      {"neither tools nor openapi", "", "fake.yaml:1: a connector definition needs `tools:`"},
      {"unknown key", head + "  includes: [getMe]\n",
       "fake.yaml:14: /openapi: unexpected property 'includes'"},
      {"missing file", "openapi: {file: api/nope.yaml}\n",
       "fake.yaml:13: /openapi/file: cannot open /defs/api/nope.yaml"},
      {"server off the hosts", head + "  server_url: https://evil.example\n",
       "fake.yaml:15: /openapi/server_url: host 'evil.example' is not in api.hosts"},
      {"unknown operationId", head + "  include: [getMe, listThings]\n",
       "fake.yaml:15: /openapi/include/1: /defs/api/fake-saas.yaml has no operationId "
       "'listThings'"},
      {"unknown tag", head + "  exclude_tags:\n    - itemz\n",
       "fake.yaml:16: /openapi/exclude_tags/0: /defs/api/fake-saas.yaml has no tag 'itemz'"},
      {"nothing left", head + "  include: [getMe]\n  exclude: [getMe]\n",
       "fake.yaml:14: /openapi: /defs/api/fake-saas.yaml: no operation was imported"},
      {"a document error", "openapi:\n  file: api/broken.yaml\n  server_url: http://127.0.0.1:1\n",
       "fake.yaml:14: /openapi/file: /defs/api/broken.yaml:6: broken: unresolvable $ref #/nope"},
      {"a name taken by tools:",
       "tools:\n"
       "  - name: get_me\n"
       "    description: d\n"
       "    annotations: {readOnlyHint: true, destructiveHint: false, idempotentHint: true}\n"
       "    input_schema: {type: object}\n"
       "    request: {method: GET, url: \"http://127.0.0.1:1/me\"}\n" +
           head,
       "fake.yaml:20: /openapi: the imported tool 'get_me' has the name of a tool in `tools:`"},
  };
  for (const auto& c : cases) {
    auto def = parse_openapi_definition(c.rest);
    ASSERT_FALSE(def) << c.what;
    EXPECT_EQ(def.error().message.rfind(c.error, 0), 0u) << c.what << ": " << def.error().message;
  }
}

// load_connector_file reads `openapi.file` relative to the definition's folder; `mcpgate check
// --connector` says how many tools the import added and prints its warnings.
TEST(OpenApiConnector, FileIsRelativeToTheDefinition) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "openapi_connector_test";
  fs::create_directories(dir / "api");
  {
    std::ofstream(dir / "api" / "fake-saas.yaml") << fake_saas_openapi_text();
    std::ofstream(dir / "fake.yaml")
        << fake_definition_with("openapi: {file: api/fake-saas.yaml, server_url: "
                                "\"http://127.0.0.1:40123\"}\n");
  }
  auto def = load_connector_file((dir / "fake.yaml").string());
  ASSERT_TRUE(def) << def.error().message;
  EXPECT_EQ(def->tools.size(), 6u);

  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(check_connector_command((dir / "fake.yaml").string(), out, err), 0) << err.str();
  EXPECT_NE(out.str().find("OK — connector 'fake' (Fake SaaS), 6 tools (6 imported from "
                           "api/fake-saas.yaml)"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("fake_add_note  POST http://127.0.0.1:40123/api/echo/projects/"
                           "{project}/notes  (write)"),
            std::string::npos)
      << out.str();

  fs::remove(dir / "api" / "fake-saas.yaml");
  std::ostringstream out2;
  std::ostringstream err2;
  EXPECT_EQ(check_connector_command((dir / "fake.yaml").string(), out2, err2), 1);
  EXPECT_EQ(err2.str().rfind((dir / "fake.yaml").string() + ":13: /openapi/file: cannot open " +
                                 (dir / "api" / "fake-saas.yaml").string(),
                             0),
            0u)
      << err2.str();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcpgate::connectors
