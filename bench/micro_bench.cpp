// bench_micro: Google Benchmark micro-benchmarks of in-process work on the tools/call path, to
// explain where time goes when bench/mcp_tools_call.sh shows a gap to the bare server.
//
//   build/release/bench/bench_micro [--benchmark_filter=...]

#include "http/asio.hpp"  // first: <utility> before any Asio header (g++ 12 + Boost 1.74)

#include <boost/asio/io_context.hpp>
#include <benchmark/benchmark.h>

#include <chrono>
#include <optional>
#include <string>

#include "mcp/json_io.hpp"
#include "mcp/registry.hpp"
#include "mcp/schema.hpp"
#include "tools/demo_tools.hpp"

namespace {

using mcpgate::Result;
using mcpgate::mcp::Json;
namespace asio = boost::asio;

constexpr std::string_view kToolsCallBody =
    R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},)"
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})";

class NullContext : public mcpgate::mcp::ToolContext {
 public:
  asio::awaitable<void> progress(double, std::optional<double>, std::string) override { co_return; }
  asio::awaitable<void> log(std::string, Json) override { co_return; }
  bool cancelled() const override { return false; }
  const std::string& subject() const override { return subject_; }

 private:
  std::string subject_;
};

mcpgate::mcp::Registry& demo_registry() {
  static mcpgate::mcp::Registry registry;
  static const bool registered = [] {
    mcpgate::tools::DemoToolsOptions options;
    options.today = std::chrono::sys_days{std::chrono::year{2025} / 5 / 2};
    mcpgate::tools::register_demo_tools(registry, options);
    return true;
  }();
  static_cast<void>(registered);
  return registry;
}

// JSON-RPC request parse + a response of similar size serialised: the protocol layer's floor.
void BM_ParseAndSerializeToolsCall(benchmark::State& state) {
  for (auto _ : state) {
    Json req = Json::parse(kToolsCallBody);
    Json res = {{"jsonrpc", "2.0"},
                {"id", req["id"]},
                {"result",
                 {{"content", Json::array({{{"type", "text"}, {"text", "This is a simple text response."}}})}}}};
    benchmark::DoNotOptimize(res.dump());
  }
}
BENCHMARK(BM_ParseAndSerializeToolsCall);

// What the gate's hostile-input pre-scan adds to a parse: mcp::parse_json (scan_json — UTF-8,
// NUL bytes, nesting depth — then the parse) against nlohmann's parse alone of the same body.
void BM_JsonParseOnlyToolsCall(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Json::parse(kToolsCallBody));
  }
}
BENCHMARK(BM_JsonParseOnlyToolsCall);

void BM_ScannedParseToolsCall(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(mcpgate::mcp::parse_json(kToolsCallBody));
  }
}
BENCHMARK(BM_ScannedParseToolsCall);

void BM_ValidateCreateEventArguments(benchmark::State& state) {
  const Json& schema = demo_registry().find_tool("create_event")->descriptor.at("inputSchema");
  const Json args = {{"title", "Architecture sync"},
                     {"start", "2025-05-06T10:00:00Z"},
                     {"end", "2025-05-06T10:45:00Z"},
                     {"attendees", {"ana@example.com", "ben@example.org"}}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(mcpgate::mcp::validate_json_schema(schema, args).ok());
  }
}
BENCHMARK(BM_ValidateCreateEventArguments);

// One handler call driven through an io_context, as the endpoint does (minus HTTP and JSON-RPC).
void run_tool(benchmark::State& state, const char* name, const Json& args) {
  const auto* tool = demo_registry().find_tool(name);
  NullContext ctx;
  asio::io_context ioc;
  for (auto _ : state) {
    std::optional<Result<Json>> out;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await tool->handler(args, ctx)); },
        asio::detached);
    ioc.run();
    ioc.restart();
    benchmark::DoNotOptimize(out);
  }
}

void BM_DemoListEvents(benchmark::State& state) {
  run_tool(state, "list_events", {{"max_results", 20}});
}
BENCHMARK(BM_DemoListEvents);

void BM_DemoSearchMessages(benchmark::State& state) {
  run_tool(state, "search_messages", {{"query", "lunch"}});
}
BENCHMARK(BM_DemoSearchMessages);

}  // namespace

BENCHMARK_MAIN();
