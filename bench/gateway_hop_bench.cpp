// What the gateway's own JSON and HTTP work on one forwarded tools/call costs, old way against
// new way, in-process (no sockets), so the difference shows on a busy machine too: CPU time per
// iteration is hardly moved by other processes, unlike bench/gateway.sh's throughput.
//
//   Request*   the upstream request: a JSON DOM (rpc_request + tool_call_params, copied once as
//              request_own did, then dumped) against the text built directly
//   Head*      the request head: a Beast message and serializer against request_head()
//   Answer*    the upstream's answer to the client's response: parse it, copy the result,
//              serialise it for the audit size and again into the response, against outlining
//              it (json_outline.hpp) twice and splicing the result text
//
// The Answer* and Request* loops restate the steps of http_upstream.cpp / gateway.cpp /
// mcp/methods.cpp with the same library calls (those live in coroutines and anonymous
// namespaces); Head* calls the gateway's function.

#include <string>

#include <benchmark/benchmark.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "gateway/json_outline.hpp"
#include "gateway/messages.hpp"
#include "gateway/upstream.hpp"

namespace {

using mcpgate::gateway::Json;
namespace bhttp = boost::beast::http;

// What the conformance tool set's test_simple_text answers (bench/gateway.sh's upstream).
const std::string kAnswer =
    R"({"id":7,"jsonrpc":"2.0","result":{"content":[{"text":"This is a simple text response for testing.","type":"text"}]}})";

void BM_AnswerParsed(benchmark::State& state) {
  for (auto _ : state) {
    std::string text = kAnswer;  // the body as read
    Json parsed = Json::parse(text, nullptr, false);
    bool ok = mcpgate::gateway::is_response(parsed) && parsed["id"] == Json(7);
    Json result = parsed["result"];
    ok = ok && result.is_object() && result.contains("content") && result["content"].is_array();
    auto is_error = result.find("isError");
    ok = ok && is_error == result.end();
    const std::size_t audited = result.dump(-1, ' ', false, Json::error_handler_t::replace).size();
    Json message{{"jsonrpc", "2.0"}, {"id", 1}};
    message["result"] = std::move(result);
    std::string out = message.dump(-1, ' ', false, Json::error_handler_t::replace);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(audited);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_AnswerParsed);

void BM_AnswerSpliced(benchmark::State& state) {
  using mcpgate::gateway::outline_json;
  for (auto _ : state) {
    std::string text = kAnswer;
    auto envelope = outline_json(text, 256);
    bool ok = envelope.ok() && envelope->is_object() && !envelope->ambiguous_keys();
    const auto* id = ok ? envelope->find("id") : nullptr;
    const auto* result = ok ? envelope->find("result") : nullptr;
    ok = ok && id != nullptr && result != nullptr && envelope->find("error") == nullptr
         && envelope->find("method") == nullptr && id->value == "7";
    const std::size_t begin = static_cast<std::size_t>(result->value.data() - text.data());
    const std::size_t size = result->value.size();
    auto inner = outline_json(std::string_view(text).substr(begin, size), 256);
    ok = ok && inner.ok() && inner->is_object() && !inner->ambiguous_keys()
         && inner->find("resultType") == nullptr && inner->find("content") != nullptr
         && inner->find("isError") == nullptr;
    std::string raw = std::move(text);
    raw.erase(begin + size);
    raw.erase(0, begin);
    std::string out = "{\"id\":";
    out += Json(1).dump();
    out += ",\"jsonrpc\":\"2.0\",\"result\":";
    out += raw;
    out += '}';
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_AnswerSpliced);

void BM_RequestJson(benchmark::State& state) {
  const Json args = Json::object();
  for (auto _ : state) {
    Json params = mcpgate::gateway::tool_call_params("test_simple_text", args, "gw-abcdefghijkl-12345");
    Json message = mcpgate::gateway::rpc_request(Json(12345), "tools/call", std::move(params));
    Json copy = message;  // request_own passed it on by value
    std::string body = copy.dump(-1, ' ', false, Json::error_handler_t::replace);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_RequestJson);

void BM_RequestText(benchmark::State& state) {
  const Json args = Json::object();
  for (auto _ : state) {
    const std::string params =
        mcpgate::gateway::tool_call_params_text("test_simple_text", args, "gw-abcdefghijkl-12345");
    std::string body = "{\"id\":";
    body += std::to_string(12345);
    body += ",\"jsonrpc\":\"2.0\",\"method\":";
    body += Json("tools/call").dump();
    body += ",\"params\":";
    body += params;
    body += '}';
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_RequestText);

const std::string kSession = "4f1c2e9a-8b7d-4c3e-9f2a-1b2c3d4e5f60";
const std::string kBody(200, 'x');

void BM_HeadBeast(benchmark::State& state) {
  for (auto _ : state) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/mcp", 11};
    req.set(bhttp::field::host, "127.0.0.1:18300");
    req.set(bhttp::field::user_agent, "mcpgate-gateway/0.1");
    req.set(bhttp::field::accept, "application/json, text/event-stream");
    req.set("Mcp-Session-Id", kSession);
    req.set("MCP-Protocol-Version", "2025-11-25");
    req.set(bhttp::field::content_type, "application/json");
    req.body() = kBody;
    req.keep_alive(true);
    req.prepare_payload();
    bhttp::request_serializer<bhttp::string_body> sr{req};
    std::string out;
    boost::beast::error_code ec;
    do {
      sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
        for (const auto b : boost::beast::buffers_range_ref(buffers)) {
          out.append(static_cast<const char*>(b.data()), b.size());
        }
        sr.consume(boost::beast::buffer_bytes(buffers));
      });
    } while (!ec && !sr.is_done());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_HeadBeast);

void BM_HeadText(benchmark::State& state) {
  using mcpgate::gateway::set_head_field;
  for (auto _ : state) {
    mcpgate::gateway::HeadFields fields;
    set_head_field(fields, "Host", "127.0.0.1:18300");
    set_head_field(fields, "User-Agent", "mcpgate-gateway/0.1");
    set_head_field(fields, "Accept", "application/json, text/event-stream");
    set_head_field(fields, "Mcp-Session-Id", kSession);
    set_head_field(fields, "MCP-Protocol-Version", "2025-11-25");
    set_head_field(fields, "Content-Type", "application/json");
    auto head = mcpgate::gateway::request_head("POST", "/mcp", fields, kBody.size(), true);
    std::string out = std::move(*head);
    out += kBody;  // gathered with the head by the write; copied here as the Beast loop copies
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_HeadText);

}  // namespace

BENCHMARK_MAIN();
