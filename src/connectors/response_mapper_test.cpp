#include "connectors/response_mapper.hpp"

#include <gtest/gtest.h>

namespace mcpgate::connectors {
namespace {

ToolDef mapper_tool() {
  ToolDef t;
  t.connector_id = "acme";
  t.name = "get";
  return t;
}

std::string text_of(const Json& r) { return r["content"][0]["text"].get<std::string>(); }

TEST(MapResponse, JsonObjectBecomesStructuredContentAndText) {
  const Json r = map_response(mapper_tool(), {200, "application/json; charset=utf-8", R"({"id":1,"name":"x"})"});
  EXPECT_FALSE(r.value("isError", false));
  EXPECT_EQ(r["structuredContent"], Json::parse(R"({"id":1,"name":"x"})"));
  EXPECT_EQ(text_of(r), R"({"id":1,"name":"x"})");
}

TEST(MapResponse, SelectAndWrapNonObjects) {
  ToolDef t = mapper_tool();
  t.response.select = "/items";
  const Json r = map_response(t, {200, "application/vnd.api+json", R"({"items":[1,2],"next":null})"});
  EXPECT_EQ(r["structuredContent"], Json::parse(R"({"result":[1,2]})"));
  const Json missing = map_response(t, {200, "application/json", R"({"other":1})"});
  EXPECT_TRUE(missing["isError"].get<bool>());
}

TEST(MapResponse, ErrorStatusesAreToolErrorsWithoutHeaders) {
  const Json r = map_response(mapper_tool(), {404, "application/json", R"({"message":"Not Found","documentation_url":"x"})"});
  EXPECT_TRUE(r["isError"].get<bool>());
  EXPECT_EQ(text_of(r), "acme_get: upstream returned HTTP 404 (Not Found): Not Found");
  const Json sf = map_response(mapper_tool(), {400, "application/json",
                                        R"([{"message":"Bad field","errorCode":"INVALID_FIELD"}])"});
  EXPECT_EQ(text_of(sf), "acme_get: upstream returned HTTP 400 (Bad Request): Bad field");
  const Json html = map_response(mapper_tool(), {502, "text/html", "<html>secret page</html>"});
  EXPECT_EQ(text_of(html), "acme_get: upstream returned HTTP 502 (Bad Gateway)");
  const Json noisy = map_response(mapper_tool(), {500, "application/json",
                                           R"({"error":{"message":"line1\nline2)" + std::string(1000, 'x') + R"("}})"});
  EXPECT_LT(text_of(noisy).size(), 400u);
  EXPECT_EQ(text_of(noisy).find('\n'), std::string::npos);
}

TEST(MapResponse, ErrorHiddenInA200Body) {
  ToolDef t = mapper_tool();
  t.response.error_when = ErrorWhen{"/ok", false, "/error"};
  const Json r = map_response(t, {200, "application/json", R"({"ok":false,"error":"channel_not_found"})"});
  EXPECT_TRUE(r["isError"].get<bool>());
  EXPECT_EQ(text_of(r), "acme_get: upstream reported an error: channel_not_found");
  const Json ok = map_response(t, {200, "application/json", R"({"ok":true,"ts":"1.2"})"});
  EXPECT_FALSE(ok.value("isError", false));
}

TEST(MapResponse, NonJsonAndEmptyBodies) {
  EXPECT_EQ(text_of(map_response(mapper_tool(), {200, "text/plain", "hello"})), "hello");
  EXPECT_EQ(text_of(map_response(mapper_tool(), {204, "", ""})), "acme_get: done (HTTP 204)");
  EXPECT_TRUE(map_response(mapper_tool(), {200, "application/json", "{not json"})["isError"].get<bool>());
  EXPECT_TRUE(map_response(mapper_tool(), {200, "application/octet-stream", std::string("\xff\xfe", 2)})["isError"]
                  .get<bool>());
  ToolDef t = mapper_tool();
  t.response.max_text_bytes = 256;
  const std::string big(1000, 'a');
  EXPECT_LT(text_of(map_response(t, {200, "text/plain", big})).size(), 300u);
}

TEST(MapResponse, OutputSchemaIsEnforced) {
  ToolDef t = mapper_tool();
  t.output_schema = Json::parse(R"({"type":"object","required":["id"],"properties":{"id":{"type":"integer"}}})");
  EXPECT_FALSE(map_response(t, {200, "application/json", R"({"id":3})"}).value("isError", false));
  EXPECT_TRUE(map_response(t, {200, "application/json", R"({"id":"3"})"})["isError"].get<bool>());
}

}  // namespace
}  // namespace mcpgate::connectors
