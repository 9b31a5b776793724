#include "app/config_reload.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include "app/call_quota.hpp"
#include "app/policy_stack.hpp"
#include "http/asio.hpp"
#include "mcp/tool.hpp"
#include "app/config_test_support.hpp"

namespace mcpgate::app {
namespace {

using test_support::parse_ok;

constexpr RunningParts kGatewayAndAuthz{true, true};
constexpr RunningParts kNeither{false, false};

const char* const kBase = R"(server:
  listen: 127.0.0.1:9000
  limits:
    max_body_bytes: 1000000
mcp:
  server_name: gate
logging:
  level: info
authz:
  model_file: policy.fga
  anonymous_user: anon
  anonymous_client: anon
gateway:
  separator: "__"
  upstreams:
    - name: a
      url: http://127.0.0.1:9001/mcp
quotas:
  - per: [user]
    calls_per_minute: 10
audit:
  arguments: digest
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    text.replace(at, from.size(), to);
  }
  return text;
}

TEST(ConfigReloadTest, SameFileNeedsNoRestart) {
  const Config a = parse_ok(kBase);
  const Config b = parse_ok(kBase);
  EXPECT_TRUE(restart_required_keys(a, b, kGatewayAndAuthz).empty());
}

TEST(ConfigReloadTest, LiveKeysNeedNoRestart) {
  const Config a = parse_ok(kBase);
  std::string text = replace(kBase, "level: info", "level: debug\n  access_log: false");
  text = replace(text, "calls_per_minute: 10", "calls_per_minute: 1");
  text = replace(text, "arguments: digest", "arguments: full");
  text = replace(text, "model_file: policy.fga", "model_file: other.fga");
  text = replace(text,
                 R"(      url: http://127.0.0.1:9001/mcp
)",
                 R"(      url: http://127.0.0.1:9001/mcp
    - name: b
      transport: stdio
      command: /bin/true
)");
  const Config b = parse_ok(text);
  EXPECT_TRUE(restart_required_keys(a, b, kGatewayAndAuthz).empty());
}

TEST(ConfigReloadTest, NamesEveryRestartOnlyKey) {
  const Config a = parse_ok(kBase);
  std::string text = replace(kBase, "max_body_bytes: 1000000", "max_body_bytes: 2000000");
  text = replace(text, "server_name: gate", "server_name: other");
  text = replace(text, "separator: \"__\"", "separator: \"::\"");
  text = replace(text, "anonymous_user: anon", "anonymous_user: someone");
  text += "data_dir: /elsewhere\n";
  const Config b = parse_ok(text);
  auto keys = restart_required_keys(a, b, kGatewayAndAuthz);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"authz.anonymous_user",
                                      "data_dir",
                                      "gateway.separator",
                                      "mcp.server_name",
                                      "server.limits.max_body_bytes"}));
}

TEST(ConfigReloadTest, AnAddedSectionNamesItsKeys) {
  const Config a = parse_ok(kBase);
  const Config b = parse_ok(std::string(kBase) + "auth:\n  access_token_ttl_s: 600\n");
  EXPECT_EQ(restart_required_keys(a, b, kGatewayAndAuthz),
            (std::vector<std::string>{"auth.access_token_ttl_s"}));
}

TEST(ConfigReloadTest, PartsTheProcessStartedWithoutNeedARestart) {
  const Config a = parse_ok("logging:\n  level: info\n");
  const Config b = parse_ok(std::string(kBase));
  auto keys = restart_required_keys(a, b, kNeither);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "gateway.upstreams"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "authz.model_file"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "quotas"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "logging.level"), keys.end());
}

TEST(ConfigReloadTest, RemovingTheGatewaySectionIsLive) {
  // Upstreams cannot be an empty list: a gateway loses its last upstream when the section goes.
  const Config a = parse_ok(kBase);
  const std::string text = replace(kBase,
                                   R"(gateway:
  separator: "__"
  upstreams:
    - name: a
      url: http://127.0.0.1:9001/mcp
)",
                                   "");
  const Config b = parse_ok(text);
  // The separator was set explicitly, so its (unchanged) default value is still reported.
  EXPECT_EQ(restart_required_keys(a, b, kGatewayAndAuthz),
            (std::vector<std::string>{"gateway.separator"}));
  EXPECT_FALSE(b.gateway.enabled);
}

TEST(ConfigReloadTest, ListenIsComparedAfterOverrides) {
  Config a = parse_ok(kBase);
  Config b = parse_ok(replace(kBase, "listen: 127.0.0.1:9000", "listen: 127.0.0.1:9999"));
  // `--listen` fixed both to the same address: nothing to restart for.
  ASSERT_TRUE(parse_listen("127.0.0.1:7000", a.server));
  ASSERT_TRUE(parse_listen("127.0.0.1:7000", b.server));
  EXPECT_TRUE(restart_required_keys(a, b, kGatewayAndAuthz).empty());
  ASSERT_TRUE(parse_listen("127.0.0.1:7001", b.server));
  EXPECT_EQ(restart_required_keys(a, b, kGatewayAndAuthz),
            (std::vector<std::string>{"server.listen"}));
}

TEST(ConfigReloadTest, ReformattingIsNoChange) {
  const Config a = parse_ok("server: {listen: \"127.0.0.1:9000\"}\nmcp: {server_name: gate}\n");
  const Config b = parse_ok("mcp:\n  server_name: gate\nserver:\n  listen: 127.0.0.1:9000\n");
  EXPECT_TRUE(restart_required_keys(a, b, kNeither).empty());
}

TEST(ConfigReloadTest, LiveKeyPrefixes) {
  EXPECT_TRUE(live_key("logging.level", kNeither));
  EXPECT_TRUE(live_key("quotas", kNeither));
  EXPECT_TRUE(live_key("metrics.token_file", kNeither));
  EXPECT_TRUE(live_key("audit.arguments", kNeither));
  EXPECT_FALSE(live_key("audit.enabled", kNeither));
  EXPECT_FALSE(live_key("quotasx", kNeither));
  EXPECT_FALSE(live_key("gateway.upstreams", kNeither));
  EXPECT_TRUE(live_key("gateway.upstreams", kGatewayAndAuthz));
  EXPECT_FALSE(live_key("gateway.pin_tools", kGatewayAndAuthz));
  EXPECT_TRUE(live_key("authz.store_file", kGatewayAndAuthz));
  EXPECT_FALSE(live_key("authz.api.token_file", kGatewayAndAuthz));
}

// The reloader itself, with a loader instead of a file: a rejected file changes nothing, and
// the error names the reason.
TEST(ConfigReloaderTest, RejectsAFileThatDoesNotLoad) {
  const Config running = parse_ok(kBase);
  auto reloader = std::make_shared<ConfigReloader>(
      running,
      []() -> Result<Config> {
        return make_error(ErrorCode::kInvalidArgument, "test.yaml:3:5: quotas: bad");
      },
      ReloadTargets{});
  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, reloader->reload_once(), asio::use_future);
  ioc.run();
  const Status st = done.get();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "test.yaml:3:5: quotas: bad");
}

TEST(ConfigReloaderTest, AppliesQuotasToTheRunningLimiter) {
  const Config running = parse_ok(kBase);
  auto quotas = std::make_shared<QuotaCallLimiter>(running.quotas);
  ReloadTargets targets;
  targets.quotas = quotas;
  const std::string next_text = replace(kBase, "calls_per_minute: 10", "calls_per_minute: 1");
  auto reloader = std::make_shared<ConfigReloader>(
      running, [next_text]() -> Result<Config> { return parse_ok(next_text); }, targets);
  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, reloader->reload_once(), asio::use_future);
  ioc.run();
  ASSERT_TRUE(done.get());
  mcp::Tool tool;
  tool.descriptor = nlohmann::json{{"name", "t"}};
  mcp::Caller caller;
  caller.subject = "alice";
  const mcp::ToolCall call{&caller, &tool, nullptr, ""};
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<void>>(quotas->admit(call)));
  EXPECT_TRUE(std::holds_alternative<mcp::CallLimiter::Refusal>(quotas->admit(call)));
}

Status reload(ConfigReloader& reloader) {
  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, reloader.reload_once(), asio::use_future);
  ioc.run();
  return done.get();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

const char* const kModel = R"(model
  schema 1.1

type user

type client

type tool
  relations
    define can_invoke: [user]
    define can_be_used_by_agent: [client]
)";

// The policy model is read again on every reload and becomes current when it changed; a model
// that does not validate rejects the reload and leaves the current one in force.
TEST(ConfigReloaderTest, ReloadsThePolicyModelAndRejectsAnInvalidOne) {
  const auto dir = std::filesystem::temp_directory_path()
                   / ("mcpgate-reload-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto model_file = dir / "policy.fga";
  write_file(model_file, kModel);
  const std::string yaml = "authz:\n  model_file: " + model_file.string()
                           + "\n  anonymous_user: anon\n  anonymous_client: anon\n";
  const Config running = parse_ok(yaml);
  auto built = build_policy(running, nullptr);
  ASSERT_TRUE(built.ok()) << built.error().message;
  PolicyStack policy = std::move(built).value();
  const std::string first = policy.service->current_model_id();
  ReloadTargets targets;
  targets.policy = &policy;
  auto reloader = std::make_shared<ConfigReloader>(
      running, [yaml]() -> Result<Config> { return parse_ok(yaml); }, targets);

  ASSERT_TRUE(reload(*reloader));
  EXPECT_EQ(policy.service->current_model_id(), first);  // unchanged: no new model

  write_file(model_file, std::string(kModel) + "    define owner: [user]\n");
  ASSERT_TRUE(reload(*reloader));
  const std::string second = policy.service->current_model_id();
  EXPECT_NE(second, first);

  write_file(model_file, std::string(kModel) + "    define broken: [no_such_type]\n");
  const Status rejected = reload(*reloader);
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("authz"), std::string::npos) << rejected.error().message;
  EXPECT_EQ(policy.service->current_model_id(), second);

  std::filesystem::remove_all(dir);
}


// Organizations are fixed at start: one added to the file needs a restart (logged), the model
// change of the same reload still reaches every existing organization's store, and a caller of
// the new organization finds no store here and is denied (issue 8: never let through).
TEST(ConfigReloaderTest, AnOrganizationAddedByAReloadGetsNoStoreAndItsCallersAreDenied) {
  const auto dir = std::filesystem::temp_directory_path()
                   / ("mcpgate-reload-org-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto model_file = dir / "policy.fga";
  write_file(model_file, kModel);
  const std::string yaml = "authz:\n  model_file: " + model_file.string() + "\n"
                           + "organizations:\n  - {id: acme}\n";
  const Config running = parse_ok(yaml);
  auto built = build_policy(running, nullptr);
  ASSERT_TRUE(built.ok()) << built.error().message;
  PolicyStack policy = std::move(built).value();
  ASSERT_EQ(policy.stores.size(), 2u);
  const std::string acme_model = policy.stores[1].service->current_model_id();
  ReloadTargets targets;
  targets.policy = &policy;
  const std::string next = yaml + "  - {id: globex}\n";
  const Config next_config = parse_ok(next);
  const auto keys = restart_required_keys(running, next_config, RunningParts{false, true});
  EXPECT_NE(std::find(keys.begin(), keys.end(), "organizations"), keys.end());
  auto reloader = std::make_shared<ConfigReloader>(
      running, [next]() -> Result<Config> { return parse_ok(next); }, targets);
  write_file(model_file, std::string(kModel) + "    define owner: [user]\n");
  ASSERT_TRUE(reload(*reloader));
  EXPECT_EQ(policy.stores.size(), 2u);
  EXPECT_NE(policy.stores[1].service->current_model_id(), acme_model);  // acme follows the model

  // Even with every tool granted to everyone in every store this process has.
  for (const auto& s : policy.stores) {
    authz::WriteRequest w;
    w.writes.push_back(authz::TupleRecord{"tool:local/t", "can_invoke", "user:alice", "", nullptr});
    w.writes.push_back(authz::TupleRecord{"tool:local/t", "can_be_used_by_agent", "client:c", "", nullptr});
    auto r = s.service->write_tuples(w);
    ASSERT_TRUE(r.ok() && r->error.ok());
  }
  mcp::Tool tool;
  tool.descriptor = nlohmann::json{{"name", "t"}};
  const nlohmann::json args = nlohmann::json::object();
  for (const auto& [org, want] : std::vector<std::pair<std::string, bool>>{{"acme", true}, {"default", true}, {"globex", false}}) {
    mcp::Caller caller{"alice", "c", {}, org};
    EXPECT_EQ(policy.authorizer->authorize_call(mcp::ToolCall{&caller, &tool, &args, ""}).allowed, want) << org;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpgate::app
