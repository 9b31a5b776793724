#pragma once
// Test support for src/mcp unit tests: an in-memory http::Exchange and a harness that runs
// Endpoint::handle() on a single-threaded io_context.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "http/exchange.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::mcp::testing {

class FakeExchange final : public http::Exchange {
 public:
  FakeExchange(asio::io_context& ioc, http::Request req) : ioc_(ioc), req_(std::move(req)) {}

  const http::Request& request() const override { return req_; }

  const std::string& remote_ip() const override { return ip_; }

  const std::string& request_id() const override { return id_; }

  bool secure() const override { return false; }

  bool loopback_bind() const override { return loopback_; }

  asio::any_io_executor executor() const override { return ioc_.get_executor(); }

  asio::awaitable<void> respond(http::Response res) override {
    response_ = std::move(res);
    co_return;
  }

  asio::awaitable<bool> start_stream(http::Response head) override {
    response_ = std::move(head);
    streaming_ = true;
    co_return !closed_;
  }

  asio::awaitable<bool> write(std::string data) override {
    if (closed_) {
      co_return false;
    }
    body_ += data;
    co_return true;
  }

  asio::awaitable<void> finish() override {
    finished_ = true;
    co_return;
  }

  void on_peer_closed(std::function<void()> fn) override { on_closed_ = std::move(fn); }

  bool peer_closed() const override { return closed_; }

  // The client goes away.
  void close_peer() {
    closed_ = true;
    if (on_closed_) {
      asio::post(ioc_, on_closed_);
    }
  }

  void set_loopback(bool v) { loopback_ = v; }

  bool answered() const { return response_.has_value(); }

  unsigned status() const { return response_ ? response_->result_int() : 0; }

  std::string header(const std::string& name) const {
    if (!response_) {
      return {};
    }
    auto it = response_->find(name);
    return it == response_->end() ? std::string() : std::string(it->value());
  }

  bool streaming() const { return streaming_; }

  bool finished() const { return finished_; }

  // The whole body: the respond() body, or the concatenated stream chunks.
  std::string body() const {
    return streaming_ ? body_ : (response_ ? response_->body() : std::string());
  }

  Json json() const { return Json::parse(body()); }

  struct SseEvent {
    std::string id;
    std::string data;
    std::optional<std::string> retry;
  };

  std::vector<SseEvent> events() const;
  // The JSON payloads of the SSE events with non-empty data.
  std::vector<Json> messages() const;

 private:
  asio::io_context& ioc_;
  http::Request req_;
  std::string ip_ = "127.0.0.1";
  std::string id_ = "test";
  bool loopback_ = true;
  std::optional<http::Response> response_;
  bool streaming_ = false;
  bool finished_ = false;
  bool closed_ = false;
  std::string body_;
  std::function<void()> on_closed_;
};

inline std::vector<FakeExchange::SseEvent> FakeExchange::events() const {
  std::vector<SseEvent> out;
  SseEvent current;
  bool any = false;
  size_t pos = 0;
  const std::string text = body_;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (any) {
        out.push_back(current);
      }
      current = {};
      any = false;
      continue;
    }
    if (line[0] == ':') {
      continue;
    }
    const size_t colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') {
      value.erase(0, 1);
    }
    any = true;
    if (field == "id") {
      current.id = value;
    } else if (field == "data") {
      current.data += value;
    } else if (field == "retry") {
      current.retry = value;
    }
  }
  return out;
}

inline std::vector<Json> FakeExchange::messages() const {
  std::vector<Json> out;
  for (const auto& e : events()) {
    if (!e.data.empty()) {
      out.push_back(Json::parse(e.data));
    }
  }
  return out;
}

struct RequestSpec {
  http::bhttp::verb method = http::bhttp::verb::post;
  std::string body;
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"},
                                                {"Accept", "application/json, text/event-stream"},
                                                {"Host", "127.0.0.1:3000"}};
};

inline http::Request make_request(const RequestSpec& spec) {
  http::Request req{spec.method, "/mcp", 11};
  for (const auto& [k, v] : spec.headers) {
    req.set(k, v);
  }
  req.body() = spec.body;
  req.prepare_payload();
  return req;
}

// Runs exchanges against one Endpoint on a single-threaded io_context.
class Harness {
 public:
  explicit Harness(EndpointOptions options = {},
                   std::shared_ptr<Registry> registry = std::make_shared<Registry>())
      : registry_(std::move(registry)),
        endpoint_(std::make_unique<Endpoint>(std::move(options), registry_)) {}

  asio::io_context& ioc() { return ioc_; }

  Registry& registry() { return *registry_; }

  Endpoint& endpoint() { return *endpoint_; }

  // Starts handle(ex); returns a flag that becomes true when it completes.
  std::shared_ptr<bool> start(FakeExchange& ex) {
    auto done = std::make_shared<bool>(false);
    asio::co_spawn(
        ioc_,
        [this, &ex, done]() -> asio::awaitable<void> {
          co_await endpoint_->handle(ex);
          *done = true;
        },
        asio::detached);
    return done;
  }

  // Runs the loop until `pred` holds or `limit` passes; returns pred().
  bool run_until(const std::function<bool()>& pred,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      ioc_.restart();
      ioc_.run_one_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

  // Handles a whole request/response exchange.
  std::unique_ptr<FakeExchange> call(const RequestSpec& spec) {
    auto ex = std::make_unique<FakeExchange>(ioc_, make_request(spec));
    auto done = start(*ex);
    run_until([&] { return *done; });
    return ex;
  }

  std::unique_ptr<FakeExchange> post(const Json& body,
                                     std::map<std::string, std::string> extra = {}) {
    RequestSpec spec;
    spec.body = dump_json(body);
    for (auto& [k, v] : extra) {
      spec.headers[k] = v;
    }
    return call(spec);
  }

  // initialize + notifications/initialized; returns the session id.
  std::string open_session(Json capabilities = Json::object(), std::string version = "2025-11-25") {
    auto init = post(Json{{"jsonrpc", "2.0"},
                          {"id", 0},
                          {"method", "initialize"},
                          {"params",
                           {{"protocolVersion", version},
                            {"capabilities", capabilities},
                            {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}});
    const std::string sid = init->header("Mcp-Session-Id");
    post(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
         {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", version}});
    return sid;
  }

 private:
  asio::io_context ioc_;
  std::shared_ptr<Registry> registry_;
  std::unique_ptr<Endpoint> endpoint_;
};

// A stateless-era request body and its headers.
inline Json modern_request(int id,
                           const std::string& method,
                           Json params = Json::object(),
                           Json capabilities = Json::object()) {
  params["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2026-07-28";
  params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = capabilities;
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

inline std::map<std::string, std::string> modern_headers(const std::string& method,
                                                         const std::string& name = "") {
  std::map<std::string, std::string> h{{"MCP-Protocol-Version", "2026-07-28"},
                                       {"Mcp-Method", method}};
  if (!name.empty()) {
    h["Mcp-Name"] = name;
  }
  return h;
}

}  // namespace mcpgate::mcp::testing
