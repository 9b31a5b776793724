// The `connectors:` configuration section and its checks.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "app/config.hpp"

namespace mcpgate::app {
namespace {

const char* kConnectorsBase =
    "auth:\n  enabled: true\n  users: [{username: alice, password: alice-long-password-1}]\n";

TEST(ConnectorConfigTest, ParsesEntriesAndResolvesPathsAgainstTheConfigFile) {
  ::setenv("MCPGATE_TEST_CONNECTOR_SECRET", "s3cret", 1);
  auto c = parse_config(std::string(kConnectorsBase) +
                            "connectors:\n"
                            "  - {file: fake.yaml, client_id: cid, client_secret_env: "
                            "MCPGATE_TEST_CONNECTOR_SECRET, resource: https://api.example}\n"
                            "  - {file: /abs/other.yaml, client_id: c2, client_secret: x, enabled: false}\n",
                        "/etc/mcpgate/config.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->connectors.size(), 2u);
  EXPECT_EQ(c->connectors[0].file, "/etc/mcpgate/fake.yaml");
  EXPECT_EQ(c->connectors[0].client_secret, "s3cret");
  EXPECT_EQ(c->connectors[0].resource, "https://api.example");
  EXPECT_TRUE(c->connectors[0].enabled);
  EXPECT_EQ(c->connectors[1].file, "/abs/other.yaml");
  EXPECT_FALSE(c->connectors[1].enabled);
}

TEST(ConnectorConfigTest, TimeoutIsPerConnectorAndBounded) {
  auto c = parse_config(std::string(kConnectorsBase) +
                            "connectors:\n"
                            "  - {file: a.yaml, client_id: a, client_secret: x, timeout_ms: 2500}\n"
                            "  - {file: b.yaml, client_id: b, client_secret: x}\n",
                        "/etc/mcpgate/config.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->connectors[0].timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->connectors[1].timeout, std::chrono::milliseconds(0));  // the runtime's default
  for (const char* bad : {"0", "99", "300001", "-5", "soon"}) {
    auto r = parse_config(std::string("connectors:\n  - {file: a.yaml, client_id: a, "
                                      "client_secret: x, timeout_ms: ") + bad + "}\n",
                          "c.yaml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("connectors[0].timeout_ms"), std::string::npos)
        << r.error().message;
  }
}

TEST(ConnectorConfigTest, RefusesIncompleteEntries) {
  EXPECT_FALSE(parse_config("connectors:\n  - {client_id: x}\n", "c.yaml").ok());
  EXPECT_FALSE(parse_config("connectors:\n  - {file: f.yaml}\n", "c.yaml").ok());
  EXPECT_FALSE(parse_config("connectors:\n  - {file: f.yaml, client_id: x, bogus: 1}\n", "c.yaml").ok());
  EXPECT_FALSE(parse_config("connectors: {file: f.yaml}\n", "c.yaml").ok());
  auto both = parse_config(
      "connectors:\n  - {file: f.yaml, client_id: x, client_secret: a, client_secret_env: HOME}\n",
      "c.yaml");
  EXPECT_FALSE(both.ok());
  if (!both.ok()) {
    EXPECT_EQ(both.error().message.find("/root"), std::string::npos);  // no secret echoed
  }
}

TEST(ConnectorConfigTest, CheckValidatesTheReferencedDefinitions) {
  const auto dir = std::filesystem::temp_directory_path() / "mcpgate-connector-config-test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "broken.yaml") << "schema: mcpgate.connector/v1\nid: Bad Id\n";
  }
  auto broken = parse_config(std::string(kConnectorsBase) +
                                 "connectors:\n  - {file: broken.yaml, client_id: c, client_secret: s}\n",
                             (dir / "config.yaml").string());
  ASSERT_TRUE(broken.ok()) << broken.error().message;
  EXPECT_FALSE(check_connectors(*broken).ok());
  // Disabled entries are not loaded.
  broken->connectors[0].enabled = false;
  EXPECT_TRUE(check_connectors(*broken).ok());

  {
    std::ofstream(dir / "good.yaml") << R"(schema: mcpgate.connector/v1
id: example
display_name: Example
oauth:
  authorize_url: https://example.com/oauth/authorize
  token_url: https://example.com/oauth/token
  scopes: [read]
  pkce: required
  client_auth: client_secret_post
api:
  hosts: [api.example.com]
tools:
  - name: get_me
    description: The profile.
    annotations: {readOnlyHint: true, destructiveHint: false, idempotentHint: true}
    input_schema: {type: object, properties: {}, additionalProperties: false}
    request:
      method: GET
      url: https://api.example.com/me
)";
  }
  auto shipped = parse_config(std::string(kConnectorsBase) +
                                  "connectors:\n  - {file: good.yaml, client_id: c}\n",
                              (dir / "config.yaml").string());
  ASSERT_TRUE(shipped.ok()) << shipped.error().message;
  auto missing_secret = check_connectors(*shipped);
  ASSERT_FALSE(missing_secret.ok());  // client_secret_post needs a secret
  EXPECT_NE(missing_secret.error().message.find("client_secret"), std::string::npos);
  shipped->connectors[0].client_secret = "s";
  EXPECT_TRUE(check_connectors(*shipped).ok()) << check_connectors(*shipped).error().message;
  shipped->auth.enabled = false;
  EXPECT_FALSE(check_connectors(*shipped).ok());  // the connect pages need the gate login
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpgate::app
