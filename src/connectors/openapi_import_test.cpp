#include "connectors/openapi_import.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "connectors/request_builder.hpp"
#include "connectors/test_support.hpp"

namespace mcpgate::connectors {
namespace {

using testing::header;
using testing::repo_path;

std::string read(const std::string& rel) {
  std::ifstream in(repo_path(rel));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

OpenApiImportOptions opts() {
  OpenApiImportOptions o;
  o.connector_id = "tasks";
  return o;
}

const ToolDef* find(const OpenApiImport& im, const std::string& name) {
  for (const auto& t : im.tools) {
    if (t.name == name) {
      return &t;
    }
  }
  return nullptr;
}

TEST(SnakeCase, OperationIds) {
  EXPECT_EQ(snake_case_name("getPetById"), "get_pet_by_id");
  EXPECT_EQ(snake_case_name("listHTTPRoutes"), "list_http_routes");
  EXPECT_EQ(snake_case_name("users.messages.send"), "users_messages_send");
  EXPECT_EQ(snake_case_name("--Weird  Name!!"), "weird_name");
  EXPECT_EQ(snake_case_name("***"), "");
}

TEST(OpenApiImport, TestDocumentBecomesTools) {
  auto im = import_openapi_text(read("tests/data/openapi/tasks.yaml"), "tasks.yaml", opts());
  ASSERT_TRUE(im) << im.error().message;
  ASSERT_EQ(im->tools.size(), 5u);
  const ToolDef* list = find(*im, "list_tasks");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->method, "GET");
  EXPECT_EQ(list->url, "https://eu.tasks.example/api/v1/projects/{projectId}/tasks");
  EXPECT_TRUE(list->annotations.read_only);
  EXPECT_FALSE(list->annotations.destructive);
  // The apiKey query parameter is a credential: not an argument.
  EXPECT_FALSE(list->input_schema["properties"].contains("api_key"));
  EXPECT_EQ(list->input_schema["required"], Json::array({"projectId"}));
  auto r = build_request(*list, {{"projectId", 12}, {"status", "open"}, {"label", {"a", "b c"}},
                                 {"X_Request_Id", "req-1"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->url, "https://eu.tasks.example/api/v1/projects/12/tasks?label=a&label=b%20c&status=open");
  EXPECT_EQ(header(r->headers, "X-Request-Id"), "req-1");
  EXPECT_FALSE(build_request(*list, {{"projectId", 12}, {"status", "closed"}}));  // enum

  const ToolDef* create = find(*im, "create_task");
  ASSERT_NE(create, nullptr);
  EXPECT_FALSE(create->annotations.read_only);
  EXPECT_FALSE(create->annotations.destructive);
  // $ref'd body and its $ref'd property schema were inlined; the body was flattened.
  EXPECT_EQ(create->input_schema["properties"]["priority"]["enum"], Json::array({"low", "normal", "high"}));
  EXPECT_EQ(create->input_schema["required"], Json::array({"projectId", "title"}));
  auto c = build_request(*create, {{"projectId", 3}, {"title", "Write tests"}, {"priority", "high"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->method, "POST");
  EXPECT_EQ(c->url, "https://eu.tasks.example/api/v1/projects/3/tasks");
  EXPECT_EQ(c->body, R"({"priority":"high","title":"Write tests"})");
  EXPECT_FALSE(build_request(*create, {{"projectId", 3}}));  // title required

  const ToolDef* del = find(*im, "delete_task");
  ASSERT_NE(del, nullptr);
  EXPECT_TRUE(del->annotations.destructive);
  EXPECT_TRUE(del->annotations.idempotent);
  auto d = build_request(*del, {{"projectId", 3}, {"taskId", "t/1"}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->url, "https://eu.tasks.example/api/v1/projects/3/tasks/t%2F1");

  // No operationId: a name from the method and path; the cookie parameter is left out.
  const ToolDef* patch = find(*im, "patch_projects_tasks_by_project_id_and_task_id");
  ASSERT_NE(patch, nullptr) << im->tools[3].name;
  EXPECT_EQ(patch->description, "Change a task's title or priority.");
  ASSERT_EQ(im->warnings.size(), 1u);
  EXPECT_NE(im->warnings[0].find("'session' (cookie) left out"), std::string::npos) << im->warnings[0];
  EXPECT_EQ(tool_descriptor(*patch)["name"], "tasks_patch_projects_tasks_by_project_id_and_task_id");
}

TEST(OpenApiImport, IncludeAndExcludeByOperationIdOrTag) {
  const std::string text = read("tests/data/openapi/tasks.yaml");
  OpenApiImportOptions o = opts();
  o.include_tags = {"ops"};
  o.include_operations = {"listTasks"};
  auto inc = import_openapi_text(text, "tasks.yaml", o);
  ASSERT_TRUE(inc);
  ASSERT_EQ(inc->tools.size(), 2u);
  EXPECT_EQ(inc->tools[0].name, "get_health");
  EXPECT_EQ(inc->tools[1].name, "list_tasks");

  o = opts();
  o.exclude_tags = {"admin"};
  o.exclude_operations = {"getHealth"};
  auto exc = import_openapi_text(text, "tasks.yaml", o);
  ASSERT_TRUE(exc);
  EXPECT_EQ(exc->tools.size(), 3u);
  for (const auto& t : exc->tools) {
    EXPECT_NE(t.name, "delete_task");
    EXPECT_NE(t.name, "get_health");
  }
}

TEST(OpenApiImport, ServerOverrideAndHosts) {
  OpenApiImportOptions o = opts();
  o.server_url = "http://127.0.0.1:9000/v1/";
  o.allow_loopback_http = true;
  o.hosts = {"127.0.0.1"};
  auto im = import_openapi_text(read("tests/data/openapi/tasks.yaml"), "tasks.yaml", o);
  ASSERT_TRUE(im) << im.error().message;
  const ToolDef* health = find(*im, "get_health");
  ASSERT_NE(health, nullptr);
  auto r = build_request(*health, Json::object());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "http://127.0.0.1:9000/v1/health");
  o.allow_loopback_http = false;
  EXPECT_FALSE(import_openapi_text(read("tests/data/openapi/tasks.yaml"), "tasks.yaml", o));
}

Json spec_with(const Json& components, const Json& op) {
  return {{"openapi", "3.0.3"},
          {"servers", Json::parse(R"([{"url": "https://api.acme.example"}])")},
          {"components", components},
          {"paths", {{"/things", {{"post", op}}}}}};
}

// An operation whose JSON request body is `schema`.
Json post_with_body(const std::string& id, const std::string& schema) {
  return Json::parse(R"({"operationId": ")" + id +
                     R"(", "requestBody": {"content": {"application/json": {"schema": )" + schema +
                     "}}}}");
}

TEST(OpenApiImport, RefCyclesAreErrors) {
  const Json components = Json::parse(R"({"schemas": {"Node": {"type": "object",
      "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}})");
  auto im = import_openapi(
      spec_with(components, post_with_body("addNode", R"({"$ref": "#/components/schemas/Node"})")),
      opts());
  ASSERT_FALSE(im);
  EXPECT_NE(im.error().message.find(
                "addNode: cyclic $ref: #/components/schemas/Node -> #/components/schemas/Node"),
            std::string::npos)
      << im.error().message;

  const Json mutual = Json::parse(R"({"schemas": {"A": {"$ref": "#/components/schemas/B"},
                                                  "B": {"$ref": "#/components/schemas/A"}}})");
  EXPECT_FALSE(import_openapi(
      spec_with(mutual, post_with_body("x", R"({"$ref": "#/components/schemas/A"})")), opts()));
}

TEST(OpenApiImport, RefBombsAndBadRefsAreErrors) {
  // Each level refers to the previous one ten times: 10^8 nodes if expanded.
  Json schemas = {{"L0", {{"type", "string"}}}};
  for (int i = 1; i <= 8; ++i) {
    Json props = Json::object();
    for (int k = 0; k < 10; ++k) {
      props[std::string("p") + std::to_string(k)] = {
          {"$ref", std::string("#/components/schemas/L") + std::to_string(i - 1)}};
    }
    schemas[std::string("L") + std::to_string(i)] = {{"type", "object"}, {"properties", props}};
  }
  auto bomb = import_openapi(
      spec_with({{"schemas", schemas}}, post_with_body("bomb", R"({"$ref": "#/components/schemas/L8"})")),
      opts());
  ASSERT_FALSE(bomb);
  EXPECT_NE(bomb.error().message.find("expand to more than"), std::string::npos)
      << bomb.error().message;

  auto remote = import_openapi(
      spec_with(Json::object(), post_with_body("r", R"({"$ref": "https://evil.example/s.json"})")),
      opts());
  ASSERT_FALSE(remote);
  EXPECT_NE(remote.error().message.find("only local $refs"), std::string::npos);
  EXPECT_FALSE(import_openapi(
      spec_with(Json::object(), post_with_body("d", R"({"$ref": "#/components/schemas/Nope"})")),
      opts()));
}

TEST(OpenApiImport, CollisionsMoveTheBodyUnderOneArgument) {
  const Json spec = Json::parse(R"({
    "openapi": "3.1.0",
    "servers": [{"url": "https://api.acme.example"}],
    "paths": {"/things/{id}": {"put": {
      "operationId": "replaceThing",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"id": {"type": "string"}, "v": {"type": "integer"}}}}}}
    }}}
  })");
  auto im = import_openapi(spec, opts());
  ASSERT_TRUE(im) << im.error().message;
  ASSERT_EQ(im->tools.size(), 1u);
  const ToolDef& t = im->tools[0];
  EXPECT_TRUE(t.annotations.destructive);
  EXPECT_TRUE(t.annotations.idempotent);
  EXPECT_EQ(t.input_schema["required"], Json::array({"id", "body"}));
  auto r = build_request(t, {{"id", "a"}, {"body", {{"id", "b"}, {"v", 1}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "https://api.acme.example/things/a");
  EXPECT_EQ(r->body, R"({"id":"b","v":1})");
}

TEST(OpenApiImport, NamesAreUniqueAndShort) {
  Json paths = Json::object();
  const std::string long_id(100, 'a');
  paths["/a"] = {{"get", {{"operationId", long_id}}}};
  paths["/b"] = {{"get", {{"operationId", long_id + "b"}}}};
  paths["/c"] = {{"get", {{"operationId", "getThing"}}}, {"delete", {{"operationId", "get_thing"}}}};
  const Json spec = {{"openapi", "3.0.0"},
                     {"servers", Json::parse(R"([{"url": "https://api.acme.example"}])")},
                     {"paths", paths}};
  auto im = import_openapi(spec, opts());
  ASSERT_TRUE(im) << im.error().message;
  std::set<std::string> names;
  for (const auto& t : im->tools) {
    EXPECT_LE(mcp_tool_name(t).size(), 64u) << t.name;
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
  }
  EXPECT_EQ(names.size(), 4u);
}

TEST(OpenApiImport, RefusesWhatItCannotUse) {
  EXPECT_FALSE(import_openapi({{"swagger", "2.0"}}, opts()));
  EXPECT_FALSE(import_openapi({{"openapi", "3.1.0"}, {"paths", Json::object()}}, opts()));  // no server
  EXPECT_FALSE(import_openapi(
      Json::parse(R"({"openapi": "3.1.0", "servers": [{"url": "/relative"}], "paths": {}})"), opts()));
  EXPECT_FALSE(import_openapi(Json::parse(R"({"openapi": "3.1.0",
      "servers": [{"url": "http://api.acme.example"}],
      "paths": {"/x": {"get": {"operationId": "x"}}}})"),
                              opts()));
  EXPECT_FALSE(import_openapi_text("openapi: [", "bad.yaml", opts()));
  EXPECT_FALSE(import_openapi_text("openapi: 3.1\n", "number.yaml", opts()));  // not a string
}

TEST(OpenApiImport, WrongTypesAnywhereAreNotFatal) {
  // Every field with an unexpected type: the import degrades or fails, it never throws.
  auto im = import_openapi(Json::parse(R"({
    "openapi": "3.0.1",
    "servers": [{"url": "https://api.acme.example", "variables": 5}],
    "components": {"securitySchemes": {"k": {"type": 1, "in": [], "name": {}}}},
    "paths": {
      "/a": {"get": {"operationId": 7, "description": 5, "summary": ["x"], "tags": "t",
                     "parameters": [{"name": "q", "in": "query", "required": "yes", "schema": true},
                                    {"name": 3, "in": "query"}, "junk"]},
             "post": {"requestBody": {"required": "no", "content": "text"}}},
      "/b": 5,
      "/c": {"delete": {"requestBody": {"content": {"application/json": 5}}}}
    }
  })"),
                           opts());
  if (im) {
    for (const auto& t : im->tools) {
      EXPECT_FALSE(t.name.empty());
    }
  } else {
    EXPECT_FALSE(im.error().message.empty());
  }
}

}  // namespace
}  // namespace mcpgate::connectors

namespace mcpgate::connectors {
namespace {

// The fake SaaS provider's API (tests/e2e/fixtures/fake_saas.mjs) imports into tools whose
// requests are the ones the fake serves.
TEST(OpenApiImport, FakeSaasDocument) {
  OpenApiImportOptions o;
  o.connector_id = "fake";
  o.server_url = "http://127.0.0.1:40123";
  o.allow_loopback_http = true;
  o.hosts = {"127.0.0.1"};
  auto im = import_openapi_text(read("tests/data/openapi/fake-saas.yaml"), "fake-saas.yaml", o);
  ASSERT_TRUE(im) << im.error().message;
  EXPECT_TRUE(im->warnings.empty());
  ASSERT_EQ(im->tools.size(), 6u);
  const ToolDef* list = find(*im, "list_items");
  ASSERT_NE(list, nullptr);
  auto l = build_request(*list, {{"limit", 2}, {"cursor", "c_2"}, {"tag", "red"}});
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->url, "http://127.0.0.1:40123/api/items?cursor=c_2&limit=2&tag=red");
  const ToolDef* create = find(*im, "create_item");
  ASSERT_NE(create, nullptr);
  auto c = build_request(*create, {{"title", "Buy milk"}, {"tags", {"home"}}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->method, "POST");
  EXPECT_EQ(c->url, "http://127.0.0.1:40123/api/items");
  EXPECT_EQ(c->body, R"({"tags":["home"],"title":"Buy milk"})");
  EXPECT_FALSE(build_request(*create, {{"title", "x"}, {"tags", {std::string(51, 'a')}}}));
  const ToolDef* del = find(*im, "delete_item");
  ASSERT_NE(del, nullptr);
  EXPECT_TRUE(del->annotations.destructive);
  auto d = build_request(*del, {{"id", "it_1"}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->method, "DELETE");
  EXPECT_EQ(d->url, "http://127.0.0.1:40123/api/items/it_1");
  EXPECT_NE(find(*im, "get_me"), nullptr);

  // Path, query and a JSON body from a $ref in one operation; the $refs are resolved in the
  // inputSchema the client sees.
  const ToolDef* note = find(*im, "add_note");
  ASSERT_NE(note, nullptr);
  const Json& props = note->input_schema["properties"];
  EXPECT_EQ(props["labels"]["type"], "array");
  EXPECT_EQ(props["labels"]["maxItems"], 20);
  EXPECT_EQ(props["priority"]["enum"], Json::parse(R"(["low", "normal", "high"])"));
  EXPECT_EQ(note->input_schema["required"], Json::parse(R"(["project", "text"])"));
  auto n = build_request(*note, {{"project", "p 1/x"}, {"notify", true}, {"priority", "high"},
                                 {"text", "Ship it"}, {"labels", {"a", "b"}}, {"weight", 3}});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->method, "POST");
  EXPECT_EQ(n->url,
            "http://127.0.0.1:40123/api/echo/projects/p%201%2Fx/notes?notify=true&priority=high");
  EXPECT_EQ(n->body, R"({"labels":["a","b"],"text":"Ship it","weight":3})");
  EXPECT_EQ(header(n->headers, "Content-Type"), "application/json; charset=utf-8");
}

// Import errors name the line of the operation at fault in the document.
TEST(OpenApiImport, ErrorsNameTheOperationsLine) {
  const std::string doc =
      "openapi: 3.0.3\n"                                       // 1
      "info: {title: t, version: '1'}\n"                       // 2
      "servers: [{url: 'https://api.acme.example'}]\n"         // 3
      "paths:\n"                                               // 4
      "  /ok:\n"                                               // 5
      "    get: {operationId: fine}\n"                         // 6
      "  /bad/{id}:\n"                                         // 7
      "    post:\n"                                            // 8
      "      operationId: broken\n"                            // 9
      "      requestBody:\n"                                   // 10
      "        content:\n"                                     // 11
      "          application/json:\n"                          // 12
      "            schema: {$ref: '#/components/schemas/Nope'}\n";
  auto im = import_openapi_text(doc, "api.yaml", opts());
  ASSERT_FALSE(im);
  EXPECT_EQ(im.error().message.rfind("api.yaml:9: broken: unresolvable $ref", 0), 0u)
      << im.error().message;

  OpenApiImportOptions off_hosts = opts();
  off_hosts.hosts = {"other.example"};
  auto hosts = import_openapi_text(doc.substr(0, doc.find("  /bad")), "api.yaml", off_hosts);
  ASSERT_FALSE(hosts);
  EXPECT_EQ(hosts.error().message.rfind("api.yaml:6: fine: ", 0), 0u) << hosts.error().message;
  EXPECT_NE(hosts.error().message.find("not in api.hosts"), std::string::npos);
}

}  // namespace
}  // namespace mcpgate::connectors
