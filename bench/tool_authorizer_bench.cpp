// policy::EngineToolAuthorizer::authorize_call, in process: the per-call work of a tools/call
// with authorization on, minus HTTP and MCP. The policy, tuples and caller are bench/oauth.sh's
// `authz` gateway's (bench/policy/mcp_shaped.fga; a user allowed through a group of the tool's
// server, an agent through a conditional `client:*` grant), so this is the server CPU that part
// adds per call.
//   BM_AuthorizeCall/0  request strings on every call (prepared_check_slots = 0)
//   BM_AuthorizeCall/1  the caller's prepared checks from the cache (the default)
// Decision lines are off (as in the e2e bench at its default log level).

#include <fstream>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>

#include "authz/dsl.hpp"
#include "mcp/tool.hpp"
#include "policy/tool_authorizer.hpp"

namespace {

using mcpgate::policy::EngineToolAuthorizer;

// The model of bench/oauth.sh and bench/gateway.sh, from the same file.
std::string bench_policy() {
  std::ifstream in(MCPGATE_BENCH_POLICY);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mcpgate::authz::TupleRecord rec(std::string user, std::string relation, std::string object) {
  return mcpgate::authz::TupleRecord{
      std::move(object), std::move(relation), std::move(user), "", nullptr};
}

void BM_AuthorizeCall(benchmark::State& state) {
  auto model = mcpgate::authz::parse_dsl(bench_policy());
  if (!model) {
    state.SkipWithError("cannot read or parse " MCPGATE_BENCH_POLICY);
    return;
  }
  auto created = mcpgate::authz::Engine::create(*model);
  std::shared_ptr<mcpgate::authz::Engine> engine(std::move(*created));
  mcpgate::authz::WriteRequest w;
  mcpgate::authz::TupleRecord agent = rec("client:*", "agent", "tool:local/test_simple_text");
  agent.condition_name = "registered_as";
  agent.condition_context = nlohmann::json{{"kinds", {"static", "cimd"}}};
  w.writes = {rec("user:bench", "member", "group:staff"),
              rec("group:staff#member", "invoker", "mcp_server:local"),
              rec("mcp_server:local", "server", "tool:local/test_simple_text"),
              agent,
              rec("user:someone-else", "blocked", "tool:local/test_simple_text")};
  if (!engine->write(w).error.ok()) {
    state.SkipWithError("write failed");
    return;
  }
  mcpgate::policy::ToolAuthorizerOptions o;
  o.prepared_check_slots = state.range(0) != 0 ? 4096 : 0;
  o.client_kind = [](std::string_view) {
    return std::string("static");
  };
  auto log = std::make_shared<mcpgate::policy::DecisionLog>(
      mcpgate::policy::DecisionLog::Options{false, mcpgate::policy::ArgumentLogging::kDigest});
  const EngineToolAuthorizer authorizer(engine, std::move(o), log);
  const mcpgate::mcp::Caller caller{"bench", "bench-client", {"bench:call"}, "default"};
  mcpgate::mcp::Tool tool;
  tool.descriptor =
      nlohmann::json{{"name", "test_simple_text"}, {"inputSchema", {{"type", "object"}}}};
  const nlohmann::json args = nlohmann::json::object();
  const mcpgate::mcp::ToolCall call{&caller, &tool, &args, "127.0.0.1"};
  for (auto _ : state) {
    const mcpgate::mcp::ToolDecision d = authorizer.authorize_call(call);
    if (!d.allowed) {
      state.SkipWithError("denied");
      return;
    }
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AuthorizeCall)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
