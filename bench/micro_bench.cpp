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

#include "http/exchange.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/json_io.hpp"
#include "mcp/registry.hpp"
#include "mcp/schema.hpp"
#include "tools/conformance_fixtures.hpp"
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

// An in-memory exchange: the request, and the response kept for the check after the loop.
class BenchExchange final : public mcpgate::http::Exchange {
 public:
  BenchExchange(asio::io_context& ioc, const mcpgate::http::Request& req) : ioc_(ioc), req_(req) {}
  const mcpgate::http::Request& request() const override { return req_; }
  const std::string& remote_ip() const override { return ip_; }
  const std::string& request_id() const override { return id_; }
  bool secure() const override { return false; }
  bool loopback_bind() const override { return true; }
  asio::any_io_executor executor() const override { return ioc_.get_executor(); }
  asio::awaitable<void> respond(mcpgate::http::Response res) override {
    status_ = res.result_int();
    body_ = std::move(res.body());
    co_return;
  }
  asio::awaitable<bool> start_stream(mcpgate::http::Response) override { co_return false; }
  asio::awaitable<bool> write(std::string) override { co_return false; }
  asio::awaitable<void> finish() override { co_return; }
  void on_peer_closed(std::function<void()>) override {}
  bool peer_closed() const override { return false; }

  unsigned status_ = 0;
  std::string body_;

 private:
  asio::io_context& ioc_;
  const mcpgate::http::Request& req_;
  std::string ip_ = "127.0.0.1";
  std::string id_ = "bench";
};

// The MCP layer of bench/mcp_tools_call.sh's request, in process: Endpoint::handle() on the same
// stateless tools/call of test_simple_text (headers, JSON-RPC, _meta, schema, handler, response),
// without the socket and Beast's parser/serializer. The gap to that script's CPU per request is
// the transport's share.
void BM_EndpointStatelessToolsCall(benchmark::State& state) {
  auto registry = std::make_shared<mcpgate::mcp::Registry>();
  mcpgate::tools::register_conformance_fixtures(*registry);
  mcpgate::mcp::Endpoint endpoint(mcpgate::mcp::EndpointOptions{}, registry);
  mcpgate::http::Request req{boost::beast::http::verb::post, "/mcp", 11};
  req.set(boost::beast::http::field::host, "127.0.0.1:8080");
  req.set(boost::beast::http::field::content_type, "application/json");
  req.set(boost::beast::http::field::accept, "application/json, text/event-stream");
  req.set("MCP-Protocol-Version", "2026-07-28");
  req.set("Mcp-Method", "tools/call");
  req.set("Mcp-Name", "test_simple_text");
  req.body() = std::string(kToolsCallBody);
  req.prepare_payload();
  asio::io_context ioc;
  unsigned status = 0;
  std::string body;
  for (auto _ : state) {
    BenchExchange ex(ioc, req);
    asio::co_spawn(ioc, endpoint.handle(ex), asio::detached);
    ioc.run();
    ioc.restart();
    status = ex.status_;
    body = std::move(ex.body_);
  }
  if (status != 200 || body.find("This is a simple text response") == std::string::npos) {
    state.SkipWithError(("unexpected response: " + std::to_string(status) + " " + body).c_str());
  }
}
BENCHMARK(BM_EndpointStatelessToolsCall);

}  // namespace

BENCHMARK_MAIN();
