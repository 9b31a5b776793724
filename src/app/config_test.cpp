#include "app/config.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>  // setenv, unsetenv
#include <unistd.h>  // getpid

#include "app/config_test_support.hpp"

namespace mcpgate::app {
namespace {

using namespace std::chrono_literals;

using test_support::parse_ok;

std::string parse_error(const std::string& yaml) {
  auto c = parse_config(yaml, "test.yaml");
  EXPECT_FALSE(c.ok()) << "accepted:\n" << yaml;
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  return c.error().message;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }

  ~ScopedEnv() { ::unsetenv(name_); }

  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST(ConfigTest, EmptyFileGivesDefaults) {
  const Config c = parse_ok("");
  const http::ServerOptions defaults;
  EXPECT_EQ(c.source, "test.yaml");
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.server.max_body_bytes, defaults.max_body_bytes);
  EXPECT_FALSE(c.insecure_http);
  EXPECT_EQ(c.mcp.path, "/mcp");
  EXPECT_TRUE(c.mcp.tool_sets.empty());
  EXPECT_EQ(c.logging.level, log::Level::kInfo);
  EXPECT_TRUE(c.logging.access_log);
  EXPECT_EQ(c.data_dir, "./data");
  // A comment-only file is empty too.
  EXPECT_EQ(parse_ok("# nothing here\n").server.port, 8080);
}

TEST(ConfigTest, EveryKeyIsRead) {
  const Config c = parse_ok(R"(
server:
  listen: 0.0.0.0:9443
  public_url: https://mcp.example.com
  insecure_http: true
  threads: 3
  tls:
    cert_file: /etc/mcpgate/cert.pem
    key_file: /etc/mcpgate/key.pem
  limits:
    max_body_bytes: 1000
    max_header_bytes: 2000
    max_connections: 30
    header_timeout_ms: 4000
    body_timeout_ms: 5000
    idle_timeout_ms: 6000
    write_timeout_ms: 7000
    drain_timeout_ms: 8000
mcp:
  path: /gw/mcp
  tool_sets: [demo, conformance]
  server_name: gateway
  instructions: be nice
  allowed_origins:
    - https://app.example.com
    - http://localhost:3000
  max_sessions: 42
logging:
  level: warn
  access_log: false
data_dir: /var/lib/mcpgate
)");
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9443);
  EXPECT_EQ(c.public_url, "https://mcp.example.com");
  EXPECT_TRUE(c.insecure_http);
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_EQ(c.server.tls_cert_file, "/etc/mcpgate/cert.pem");
  EXPECT_EQ(c.server.tls_key_file, "/etc/mcpgate/key.pem");
  EXPECT_EQ(c.server.max_body_bytes, 1000u);
  EXPECT_EQ(c.server.max_header_bytes, 2000u);
  EXPECT_EQ(c.server.max_connections, 30u);
  EXPECT_EQ(c.server.header_timeout, 4000ms);
  EXPECT_EQ(c.server.body_timeout, 5000ms);
  EXPECT_EQ(c.server.idle_timeout, 6000ms);
  EXPECT_EQ(c.server.write_timeout, 7000ms);
  EXPECT_EQ(c.server.drain_timeout, 8000ms);
  EXPECT_EQ(c.mcp.path, "/gw/mcp");
  EXPECT_EQ(c.mcp.tool_sets, (std::vector<std::string>{"demo", "conformance"}));
  EXPECT_EQ(c.mcp.endpoint.server_name, "gateway");
  EXPECT_EQ(c.mcp.endpoint.instructions, "be nice");
  EXPECT_EQ(c.mcp.endpoint.allowed_origins,
            (std::vector<std::string>{"https://app.example.com", "http://localhost:3000"}));
  EXPECT_EQ(c.mcp.endpoint.max_sessions, 42u);
  EXPECT_EQ(c.logging.level, log::Level::kWarn);
  EXPECT_FALSE(c.logging.access_log);
  EXPECT_EQ(c.data_dir, "/var/lib/mcpgate");
}

TEST(ConfigTest, BooleansAcceptYamlSpellings) {
  for (const char* yes : {"true", "yes", "on"}) {
    EXPECT_TRUE(parse_ok(std::string("server:\n  insecure_http: ") + yes + "\n").insecure_http);
  }
  for (const char* no : {"false", "no", "off"}) {
    EXPECT_FALSE(parse_ok(std::string("logging:\n  access_log: ") + no + "\n").logging.access_log);
  }
}

TEST(ConfigTest, PublicUrlDefaultsToTheListenAddress) {
  EXPECT_EQ(parse_ok("server:\n  listen: 127.0.0.1:9000\n").public_url, "http://127.0.0.1:9000");
  EXPECT_EQ(parse_ok("server:\n  listen: \"[::1]:8443\"\n  tls: {cert_file: c, key_file: k}\n")
                .public_url,
            "https://[::1]:8443");
}

TEST(ConfigTest, ExpandsEnvironmentVariables) {
  ScopedEnv cert("MCPGATE_TEST_CERT", "/run/secrets/cert.pem");
  ScopedEnv port("MCPGATE_TEST_PORT", "7000");
  ScopedEnv origin("MCPGATE_TEST_ORIGIN", "https://o.example");
  const Config c = parse_ok(R"(
server:
  listen: 127.0.0.1:${MCPGATE_TEST_PORT}
  tls:
    cert_file: ${MCPGATE_TEST_CERT}
    key_file: "${MCPGATE_TEST_CERT}.key"
  limits:
    max_connections: ${MCPGATE_TEST_PORT}
mcp:
  server_name: "cost $$5 at ${MCPGATE_TEST_PORT}/${MCPGATE_TEST_PORT}"
  allowed_origins: ["${MCPGATE_TEST_ORIGIN}"]
)");
  EXPECT_EQ(c.server.port, 7000);
  EXPECT_EQ(c.server.tls_cert_file, "/run/secrets/cert.pem");
  EXPECT_EQ(c.server.tls_key_file, "/run/secrets/cert.pem.key");
  EXPECT_EQ(c.server.max_connections, 7000u);
  EXPECT_EQ(c.mcp.endpoint.server_name, "cost $5 at 7000/7000");
  EXPECT_EQ(c.mcp.endpoint.allowed_origins, (std::vector<std::string>{"https://o.example"}));
  // A lone '$' not followed by '{' or '$' stays as it is; expanded text is not expanded again.
  ScopedEnv nested("MCPGATE_TEST_NESTED", "${MCPGATE_TEST_PORT}");
  EXPECT_EQ(parse_ok("mcp:\n  server_name: a$b ${MCPGATE_TEST_NESTED}\n").mcp.endpoint.server_name,
            "a$b ${MCPGATE_TEST_PORT}");
}

TEST(ConfigTest, MissingVariableIsAnErrorWithItsLocation) {
  ::unsetenv("MCPGATE_TEST_UNSET");
  const std::string err = parse_error("server:\n  tls:\n    cert_file: ${MCPGATE_TEST_UNSET}\n");
  EXPECT_NE(err.find("test.yaml:3:"), std::string::npos) << err;
  EXPECT_NE(err.find("server.tls.cert_file"), std::string::npos) << err;
  EXPECT_NE(err.find("MCPGATE_TEST_UNSET is not set"), std::string::npos) << err;

  const std::string unterminated = parse_error("data_dir: ${HOME\n");
  EXPECT_NE(unterminated.find("unterminated"), std::string::npos) << unterminated;
  // In a list item too.
  const std::string in_list = parse_error("mcp:\n  tool_sets: [demo, \"${MCPGATE_TEST_UNSET}\"]\n");
  EXPECT_NE(in_list.find("mcp.tool_sets[1]"), std::string::npos) << in_list;
}

TEST(ConfigTest, UnknownKeysAreReportedWithLineNumbers) {
  const std::string err = parse_error(R"(server:
  listen: 127.0.0.1:8080
  lisen: 127.0.0.1:9090
  limits:
    max_body: 5
mcp:
  path: /mcp
  toolsets: [demo]
loging:
  level: info
)");
  EXPECT_NE(err.find("test.yaml:3:3: server.lisen: unknown key"), std::string::npos) << err;
  EXPECT_NE(err.find("test.yaml:5:5: server.limits.max_body: unknown key"), std::string::npos)
      << err;
  EXPECT_NE(err.find("test.yaml:8:3: mcp.toolsets: unknown key"), std::string::npos) << err;
  EXPECT_NE(err.find("test.yaml:9:1: loging: unknown key"), std::string::npos) << err;
  // One line per problem, all of them reported at once.
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 3) << err;
}

TEST(ConfigTest, WrongTypesAreReported) {
  struct Case {
    const char* yaml;
    const char* expect;  // a fragment of the message
  };

  for (const Case& c : {
           Case{"server: 5\n", "server: must be a mapping"},
           Case{"server:\n  listen: [a, b]\n", "server.listen: must be a string"},
           Case{"server:\n  threads: many\n",
                "server.threads: must be a whole number from 0 to 256"},
           Case{"server:\n  threads: 257\n", "server.threads: must be a whole number"},
           Case{"server:\n  threads: -1\n", "server.threads: must be a whole number"},
           Case{"server:\n  threads: 1.5\n", "server.threads: must be a whole number"},
           Case{"server:\n  insecure_http: maybe\n",
                "server.insecure_http: must be true or false, got 'maybe'"},
           Case{"server:\n  tls: /path\n", "server.tls: must be a mapping"},
           Case{"server:\n  limits:\n    max_body_bytes: 2147483648\n",
                "server.limits.max_body_bytes: must be a whole number from 0 to 1073741824"},
           Case{"server:\n  limits:\n    idle_timeout_ms: 1e3\n", "server.limits.idle_timeout_ms"},
           Case{"server:\n  limits:\n    header_timeout_ms: 86400001\n",
                "server.limits.header_timeout_ms: must be a whole number"},
           Case{"server:\n  limits:\n    max_connections: {a: 1}\n",
                "server.limits.max_connections: must be a string"},
           Case{"mcp: [1, 2]\n", "mcp: must be a mapping"},
           Case{"mcp:\n  path: relative\n", "mcp.path: must start with '/'"},
           Case{"mcp:\n  tool_sets: demo\n", "mcp.tool_sets: must be a list"},
           Case{"mcp:\n  tool_sets: [[demo]]\n", "mcp.tool_sets[0]: must be a string"},
           Case{"mcp:\n  max_sessions: lots\n", "mcp.max_sessions: must be a whole number"},
           Case{"logging:\n  level: loud\n",
                "logging.level: must be debug, info, warn, error or off"},
           Case{"logging: true\n", "logging: must be a mapping"},
           Case{"data_dir: [a]\n", "data_dir: must be a string"},
           Case{"- a\n- b\n", "the top level must be a mapping"},
           Case{"just text\n", "the top level must be a mapping"},
       }) {
    const std::string err = parse_error(c.yaml);
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.yaml << "→ " << err;
    EXPECT_EQ(err.rfind("test.yaml", 0), 0u) << err;  // every message names the file
  }
}

TEST(ConfigTest, TrustedProxiesAreReadAndChecked) {
  EXPECT_TRUE(parse_ok("{}\n").server.trusted_proxies.empty());
  const Config c = parse_ok("server:\n  trusted_proxies: [127.0.0.1, 10.0.0.0/8, \"2001:db8::/32\"]\n");
  EXPECT_EQ(c.server.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "10.0.0.0/8", "2001:db8::/32"}));
  const std::string err = parse_error("server:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.1/8\n");
  EXPECT_NE(err.find("test.yaml:4:"), std::string::npos) << err;
  EXPECT_NE(err.find("server.trusted_proxies[1]"), std::string::npos) << err;
  EXPECT_NE(err.find("host bits"), std::string::npos) << err;
  EXPECT_NE(parse_error("server:\n  trusted_proxies: 10.0.0.0/8\n").find("must be a list"), std::string::npos);
}

TEST(ConfigTest, StoreSectionIsRead) {
  const Config defaults = parse_ok("{}\n");
  EXPECT_EQ(defaults.store.kind, "sqlite");
  EXPECT_EQ(defaults.store.poll_interval, 500ms);
  const Config c = parse_ok(
      "store:\n  url: postgresql://gate@db/gate\n  pool_size: 4\n  statement_timeout_ms: 800\n"
      "  poll_interval_ms: 2000\n  password_env: PGPASS\n");
  EXPECT_EQ(c.store.kind, "postgres");
  EXPECT_EQ(c.store.url, "postgresql://gate@db/gate");
  EXPECT_EQ(c.store.pool_size, 4u);
  EXPECT_EQ(c.store.statement_timeout, 800ms);
  EXPECT_EQ(c.store.poll_interval, 2000ms);
  EXPECT_EQ(c.store.password_env, "PGPASS");
  for (const auto& [yaml, expect] : std::vector<std::pair<std::string, std::string>>{
           {"store:\n  poll_interval_ms: 5\n", "store.poll_interval_ms: must be at least 10"},
           {"store:\n  poll_interval_ms: soon\n", "store.poll_interval_ms: must be a whole number"},
           {"store:\n  pool_size: 0\n", "store.pool_size: must be at least 1"},
           {"store:\n  kind: mysql\n", "store.kind: must be sqlite or postgres"},
       }) {
    const std::string err = parse_error(yaml);
    EXPECT_NE(err.find(expect), std::string::npos) << yaml << "→ " << err;
  }
}

TEST(ConfigTest, YamlSyntaxErrorsNameTheLine) {
  const std::string err = parse_error("server:\n  listen: \"127.0.0.1:8080\n");
  EXPECT_EQ(err.rfind("test.yaml:", 0), 0u) << err;
  const std::string tabs = parse_error("server:\n\tlisten: x\n");
  EXPECT_EQ(tabs.rfind("test.yaml:", 0), 0u) << tabs;
}

TEST(ConfigTest, BadListenStringsAreRejected) {
  for (const char* bad : {"127.0.0.1",
                          ":8080",
                          "127.0.0.1:",
                          "127.0.0.1:65536",
                          "127.0.0.1:-1",
                          "127.0.0.1:80x",
                          "[::1]8080",
                          "[::1",
                          "[::1]:",
                          "[]:80",
                          "",
                          "host:99999999999999999999"}) {
    http::ServerOptions o;
    const Status st = parse_listen(bad, o);
    EXPECT_FALSE(st.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(o.host, "127.0.0.1") << bad;  // untouched on failure
    EXPECT_EQ(o.port, 8080) << bad;
  }
  // And in the file, with the location.
  const std::string err = parse_error("server:\n  listen: nohostport\n");
  EXPECT_NE(err.find("test.yaml:2:11: server.listen: expected HOST:PORT"), std::string::npos)
      << err;
}

TEST(ConfigTest, GoodListenStrings) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };

  for (const Case& c : {Case{"127.0.0.1:8080", "127.0.0.1", 8080},
                        Case{"0.0.0.0:0", "0.0.0.0", 0},
                        Case{"localhost:65535", "localhost", 65535},
                        Case{"[::1]:443", "::1", 443},
                        Case{"[::]:80", "::", 80},
                        Case{"example.com:8443", "example.com", 8443}}) {
    http::ServerOptions o;
    const Status st = parse_listen(c.text, o);
    ASSERT_TRUE(st.ok()) << c.text << ": " << st.error().message;
    EXPECT_EQ(o.host, c.host);
    EXPECT_EQ(o.port, c.port);
  }
}

TEST(ConfigTest, CheckDeploymentRefusesPlainHttpOffLoopback) {
  for (const char* host : {"0.0.0.0", "::", "10.1.2.3", "example.com"}) {
    Config c;
    c.server.host = host;
    c.auth_disabled_explicitly = true;  // this test is about TLS; the auth rule has its own
    const Status st = check_deployment(c);
    ASSERT_FALSE(st.ok()) << host;
    EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(st.error().message.find("insecure_http"), std::string::npos);

    c.insecure_http = true;  // a TLS proxy in front
    EXPECT_TRUE(check_deployment(c).ok()) << host;

    c.insecure_http = false;
    c.server.tls_cert_file = "cert.pem";
    c.server.tls_key_file = "key.pem";
    EXPECT_TRUE(check_deployment(c).ok()) << host;
  }
  for (const char* host : {"127.0.0.1", "127.0.0.53", "::1", "localhost"}) {
    Config c;
    c.server.host = host;
    EXPECT_TRUE(check_deployment(c).ok()) << host;
  }
  // The same rule through the file.
  const Config from_file = parse_ok("server:\n  listen: 0.0.0.0:80\nauth: {enabled: false}\n");
  EXPECT_FALSE(check_deployment(from_file).ok());
  EXPECT_TRUE(check_deployment(parse_ok("server:\n  listen: 0.0.0.0:80\n  insecure_http: true\n"
                                        "auth: {enabled: false}\n"))
                  .ok());
}

TEST(ConfigTest, CheckDeploymentRefusesAnUnauthenticatedEndpointOffLoopback) {
  const Config silent = parse_ok("server:\n  listen: 0.0.0.0:80\n  insecure_http: true\n");
  const Status st = check_deployment(silent);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("without authentication"), std::string::npos);
  EXPECT_TRUE(check_deployment(parse_ok("server:\n  listen: 127.0.0.1:80\n")).ok());
}

const char* kAuthYaml = R"(server:
  listen: 127.0.0.1:9100
mcp:
  path: /mcp
  tool_sets: [demo]
auth:
  access_token_ttl_s: 600
  cimd: {enabled: false, allow_loopback_for_tests: true}
  dcr: {registrations_per_minute: 5}
  users:
    - {username: alice, password: alice-pass-123}
  clients:
    - client_id: ops
      client_secret: s3cret
      redirect_uris: [https://ops.example.com/cb]
      token_endpoint_auth_method: client_secret_post
  scopes:
    calendar:read: [list_events]
    calendar:write: [create_event]
  scope_implies:
    calendar:write: [calendar:read]
)";

TEST(ConfigTest, AuthSectionIsReadWithDefaultsDerivedFromTheServer) {
  Config c = parse_ok(kAuthYaml);
  EXPECT_TRUE(c.auth.enabled);
  EXPECT_EQ(c.auth.issuer, "http://127.0.0.1:9100");
  ASSERT_EQ(c.auth.resources.size(), 1u);
  EXPECT_EQ(c.auth.resources[0], "http://127.0.0.1:9100/mcp");
  EXPECT_EQ(c.auth.access_token_ttl_s, 600);
  EXPECT_EQ(c.auth.refresh_token_ttl_s, 2592000);
  EXPECT_FALSE(c.auth.cimd.enabled);
  EXPECT_TRUE(c.auth.cimd.allow_loopback_for_tests);
  EXPECT_EQ(c.auth.dcr.registrations_per_minute, 5);
  ASSERT_EQ(c.auth.users.size(), 1u);
  EXPECT_EQ(c.auth.users[0].username, "alice");
  ASSERT_EQ(c.auth.clients.size(), 1u);
  EXPECT_EQ(c.auth.clients[0].token_endpoint_auth_method, "client_secret_post");
  ASSERT_EQ(c.auth.scopes.size(), 2u);
  EXPECT_EQ(c.auth.scopes[0].name, "calendar:read");  // file order is kept
  EXPECT_EQ(c.auth.scopes[1].tools, std::vector<std::string>{"create_event"});
  EXPECT_EQ(c.auth.scope_implies["calendar:write"], std::vector<std::string>{"calendar:read"});
  EXPECT_TRUE(check_deployment(c).ok()) << check_deployment(c).error().message;
}

TEST(ConfigTest, AuthDefaultsFollowAListenOverride) {
  auto parsed = parse_config(kAuthYaml, "test.yaml");
  ASSERT_TRUE(parsed.ok());
  Config c = std::move(parsed).value();
  ASSERT_TRUE(parse_listen("127.0.0.1:9200", c.server).ok());  // what --listen does
  finalize_config(c);
  EXPECT_EQ(c.public_url, "http://127.0.0.1:9200");
  EXPECT_EQ(c.auth.issuer, "http://127.0.0.1:9200");
  EXPECT_EQ(c.auth.resources[0], "http://127.0.0.1:9200/mcp");
}

TEST(ConfigTest, AuthSectionErrorsNameTheKey) {
  EXPECT_NE(parse_error("auth:\n  usrs: []\n").find("auth.usrs: unknown key"), std::string::npos);
  EXPECT_NE(parse_error("auth:\n  access_token_ttl_s: soon\n").find("auth.access_token_ttl_s"),
            std::string::npos);
  EXPECT_NE(parse_error("auth:\n  clients:\n    - client_id: a\n      secret: x\n")
                .find("auth.clients[0].secret: unknown key"),
            std::string::npos);
  EXPECT_NE(parse_error("auth:\n  scopes: [a, b]\n").find("auth.scopes"), std::string::npos);
  EXPECT_NE(parse_error("auth:\n  users:\n    - username: a\n      password: ${MCPGATE_NO_SUCH_VAR_X}\n")
                .find("MCPGATE_NO_SUCH_VAR_X"),
            std::string::npos);
}

TEST(ConfigTest, AuthRulesAreCheckedAtDeployment) {
  Config c = parse_ok(kAuthYaml);
  c.auth.access_token_ttl_s = 3600;  // over the 15-minute ceiling
  EXPECT_FALSE(check_deployment(c).ok());
  Config d = parse_ok(kAuthYaml);
  d.auth.scope_implies["nope"] = {"calendar:read"};  // unknown scope
  EXPECT_FALSE(check_deployment(d).ok());
}

TEST(ConfigTest, CheckDeploymentRefusesUnknownToolSets) {
  Config c = parse_ok("mcp:\n  tool_sets: [demo, conformance]\n");
  EXPECT_TRUE(check_deployment(c).ok());
  c = parse_ok("mcp:\n  tool_sets: [demo, calender]\n");
  const Status st = check_deployment(c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("unknown tool set 'calender'"), std::string::npos)
      << st.error().message;
}

TEST(ConfigTest, LoadConfigReadsFilesAndReportsMissingOnes) {
  const auto missing = load_config("/nonexistent/mcpgate.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/mcpgate.yaml"), std::string::npos);

  const auto path = std::filesystem::temp_directory_path()
                    / ("mcpgate-config-test-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path);
    out << "server:\n  listen: 127.0.0.1:1234\n  bogus: 1\n";
  }
  const auto bad = load_config(path.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(path.string() + ":3:3: server.bogus: unknown key"),
            std::string::npos)
      << bad.error().message;
  {
    std::ofstream out(path);
    out << "server:\n  listen: 127.0.0.1:1234\n";
  }
  const auto good = load_config(path.string());
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->server.port, 1234);
  EXPECT_EQ(good->source, path.string());
  std::filesystem::remove(path);
}

TEST(ConfigTest, ShippedExamplesAreValid) {
  // The tests run from the source root (WORKING_DIRECTORY in McpgateModule.cmake).
  for (const char* file : {"examples/demo.yaml", "examples/conformance.yaml"}) {
    ASSERT_TRUE(std::filesystem::exists(file)) << file << " (run from the source root)";
    auto c = load_config(file);
    ASSERT_TRUE(c.ok()) << file << ": " << c.error().message;
    Config config = std::move(c).value();
    finalize_config(config);  // as `mcpgate serve` does after command-line overrides
    const Status st = check_deployment(config);
    EXPECT_TRUE(st.ok()) << file << ": " << (st.ok() ? "" : st.error().message);
  }
}

}  // namespace
}  // namespace mcpgate::app

namespace mcpgate::app {
namespace {

TEST(ConfigSessionsTest, SealedSessionsAreOnByDefault) {
  const Config c = parse_ok("mcp:\n  path: /mcp\n");
  EXPECT_TRUE(c.mcp.sessions.sealed);
  EXPECT_EQ(c.mcp.sessions.key_generation, 1);
  EXPECT_EQ(c.mcp.sessions.max_lifetime, std::chrono::hours(24));
}

TEST(ConfigSessionsTest, ReadsEveryKey) {
  const Config c = parse_ok(
      "mcp:\n  sessions:\n    sealed: false\n    key_generation: 3\n    max_lifetime_s: 600\n"
      "    idle_timeout_s: 120\n");
  EXPECT_FALSE(c.mcp.sessions.sealed);
  EXPECT_EQ(c.mcp.sessions.key_generation, 3);
  EXPECT_EQ(c.mcp.sessions.max_lifetime, std::chrono::seconds(600));
  EXPECT_EQ(c.mcp.endpoint.session_idle_timeout, std::chrono::seconds(120));
}

TEST(ConfigSessionsTest, RefusesBadValues) {
  EXPECT_NE(parse_error("mcp:\n  sessions:\n    key_generation: 0\n").find("key_generation"),
            std::string::npos);
  EXPECT_NE(parse_error("mcp:\n  sessions:\n    sealed: maybe\n").find("sealed"),
            std::string::npos);
  EXPECT_NE(parse_error("mcp:\n  sessions:\n    lifetime: 5\n").find("unknown key"),
            std::string::npos);
}

TEST(ConfigVaultTest, ReadsMasterKeySources) {
  const Config c = parse_ok(
      "vault:\n  active_master_key: 2\n  data_dir_key: true\n  master_keys:\n"
      "    - {version: 1, file: /run/secrets/vault-1}\n    - {version: 2, env: VAULT_KEY_2}\n");
  EXPECT_EQ(c.vault.active_master_key, 2);
  EXPECT_TRUE(c.vault.data_dir_key);
  ASSERT_EQ(c.vault.master_keys.size(), 2U);
  EXPECT_EQ(c.vault.master_keys[0].version, 1);
  EXPECT_EQ(c.vault.master_keys[0].file, "/run/secrets/vault-1");
  EXPECT_EQ(c.vault.master_keys[1].env, "VAULT_KEY_2");
  EXPECT_TRUE(parse_ok("mcp:\n  path: /mcp\n").vault.master_keys.empty());
}

TEST(ConfigVaultTest, RefusesBadMasterKeySources) {
  EXPECT_NE(parse_error("vault:\n  master_keys:\n    - {version: 1}\n").find("exactly one of"),
            std::string::npos);
  EXPECT_NE(parse_error("vault:\n  master_keys:\n    - {version: 0, env: X}\n").find("version"),
            std::string::npos);
  EXPECT_NE(parse_error("vault:\n  master_keys:\n    - {version: 1, env: X, key: y}\n")
                .find("unknown key"),
            std::string::npos);
  EXPECT_NE(parse_error("vault:\n  keys: []\n").find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace mcpgate::app
