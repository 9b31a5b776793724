#include "gateway/http_upstream.hpp"

#include <array>
#include <cerrno>
#include <limits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>

#include "core/log.hpp"
#include "gateway/json_outline.hpp"
#include "gateway/messages.hpp"
#include "gateway/sse_parser.hpp"
#include "gateway/upstream_response.hpp"
#include "mcp/json_writer.hpp"

namespace mcpgate::gateway {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

struct HttpUpstream::Connection {
  explicit Connection(asio::any_io_executor ex) : stream(std::move(ex)) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

// A caller's cancellation seen while an exchange runs. One watcher per upstream (not per call:
// a timer per call cost more than the rest of the hop's bookkeeping) looks at every registered
// exchange's flag each kCancelPoll and shuts a cancelled exchange's connection down, so its
// pending read fails at once (the connection is dropped). The watcher may run on another thread
// than the exchange: it touches only the shared flag, the atomics and, under `mu`, the
// socket's descriptor with shutdown(2) — never the stream object.
struct HttpUpstream::CancelWatch {
  std::shared_ptr<const std::atomic<bool>> cancelled;
  std::atomic<bool> fired{false};
  std::mutex mu;
  int fd = -1;  // the connection in use; -1 between legs

  void use(beast::tcp_stream* stream) {
    std::lock_guard lock(mu);
    fd = stream == nullptr ? -1 : stream->socket().native_handle();
  }
};

// The state of one POST (or its resuming GET) while its answer streams in.
struct HttpUpstream::Exchange {
  Json id;
  std::string id_text;  // `id` serialised, for the unparsed comparison
  std::optional<std::string> own;  // the session the exchange runs on (nullopt = shared)
  std::optional<Json> response;
  std::optional<RawResponse> raw_response;  // the response, kept unparsed (take_plain_response)
  Status failure;  // a relay failure that ends the exchange
};

namespace {

Error io_error(const std::string& upstream, const beast::error_code& ec, std::string_view stage) {
  if (ec == beast::error::timeout) {
    return make_error(ErrorCode::kDeadlineExceeded,
                      "upstream " + upstream + ": no answer in time (" + std::string(stage) + ")");
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
    return make_error(ErrorCode::kResourceExhausted,
                      "upstream " + upstream + ": response over the size limit ("
                          + std::string(stage) + ": " + ec.message() + ")");
  }
  return make_error(
      ErrorCode::kInternal,
      "upstream " + upstream + ": " + std::string(stage) + " failed: " + ec.message());
}

// Feeds what `buffer` holds to `parser` (past its head). True when that completed the message or
// failed (`ec`); false when more bytes must be read.
bool parse_buffered(UpstreamResponseParser& parser,
                    beast::flat_buffer& buffer,
                    beast::error_code& ec) {
  while (!parser.is_done() && buffer.size() > 0) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::need_more) {
      ec = {};
      return false;
    }
    if (ec) {
      return true;
    }
    if (used == 0) {
      return false;
    }
  }
  return parser.is_done();
}

// Nesting the unparsed check follows; a deeper response is parsed as before.
constexpr std::size_t kMaxOutlineDepth = 256;

// The exchange's response when `text` is a plain success for it (RawResponse): kept as text,
// moved out of `text`. False (and `text` untouched) for anything else, which the caller parses
// as before: a notification, a request, an error, another id, escaped or duplicate keys, and
// malformed text (so that it fails exactly as it did).
bool take_plain_response(std::string& text, HttpUpstream::Exchange& exchange);

Result<Json> parsed_message(Result<RawResponse> response) {
  if (!response) {
    return response.error();
  }
  return std::move(*response).to_message();
}

// The InitializeResult in an upstream's answer to initialize, or why there is none.
Result<Json> initialize_answer(const std::string& upstream, Result<RawResponse> raw) {
  Result<Json> response = parsed_message(std::move(raw));
  if (!response) {
    return response.error();
  }
  auto result = response->find("result");
  if (result == response->end() || !result->is_object()) {
    return make_error(
        ErrorCode::kUnavailable,
        "upstream " + upstream + ": initialize refused: "
            + string_member(response->value("error", Json::object()), "message", "?"));
  }
  return std::move(*result);
}

}  // namespace

Json gateway_client_capabilities() {
  // The gateway relays these to the downstream client when the client has them.
  return Json{{"sampling", Json::object()},
              {"elicitation", Json{{"form", Json::object()}, {"url", Json::object()}}},
              {"roots", Json{{"listChanged", true}}}};
}

Json relayable_capabilities(const Json& client_capabilities) {
  Json out = Json::object();
  if (!client_capabilities.is_object()) {
    return out;
  }
  const Json relayed = gateway_client_capabilities();  // named: items() would dangle on a temporary
  for (const auto& [name, value] : relayed.items()) {
    if (auto it = client_capabilities.find(name);
        it != client_capabilities.end() && it->is_object()) {
      out[name] = *it;
    }
  }
  return out;
}

Json RawResponse::to_message() && {
  if (text.empty()) {
    return std::move(message);
  }
  // Checked well-formed when it was kept: this parse cannot fail.
  return Json::parse(text, nullptr, false);
}

asio::awaitable<Result<RawResponse>> Upstream::request_raw(std::string method,
                                                           std::string params_json,
                                                           CallHooks hooks,
                                                           std::chrono::milliseconds timeout) {
  Json params = Json::parse(params_json, nullptr, false);
  auto r = co_await request(std::move(method), std::move(params), std::move(hooks), timeout);
  if (!r) {
    co_return r.error();
  }
  RawResponse out;
  out.message = std::move(*r);
  co_return out;
}

HttpUpstream::Outgoing HttpUpstream::outgoing(const Json& message) {
  Outgoing out;
  out.body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  out.method = string_member(message, "method");
  if (message.contains("id") && message.contains("method")) {
    out.id = message["id"];
  }
  return out;
}

namespace {

bool take_plain_response(std::string& text, HttpUpstream::Exchange& exchange) {
  auto outline = outline_json(text, kMaxOutlineDepth);
  if (!outline || !outline->is_object() || outline->ambiguous_keys()) {
    return false;
  }
  const JsonMember* id = outline->find("id");
  const JsonMember* result = outline->find("result");
  if (id == nullptr || result == nullptr || outline->find("error") != nullptr
      || outline->find("method") != nullptr || id->value != exchange.id_text) {
    return false;
  }
  RawResponse raw;
  raw.result_begin = static_cast<std::size_t>(result->value.data() - text.data());
  raw.result_size = result->value.size();
  raw.text = std::move(text);
  exchange.raw_response = std::move(raw);
  return true;
}

}  // namespace

bool is_response(const Json& message) {
  return message.is_object() && message.contains("id") && !message.contains("method")
         && (message.contains("result") || message.contains("error"));
}

Result<std::shared_ptr<HttpUpstream>> HttpUpstream::create(asio::any_io_executor executor,
                                                           HttpUpstreamOptions options) {
  MCPGATE_ASSIGN_OR_RETURN(http::Url url, http::parse_url(options.url));
  if (url.tls()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "upstream " + options.name + ": https upstreams are not supported yet");
  }
  return std::shared_ptr<HttpUpstream>(
      new HttpUpstream(std::move(executor), std::move(options), std::move(url)));
}

HttpUpstream::HttpUpstream(asio::any_io_executor executor,
                           HttpUpstreamOptions options,
                           http::Url url)
    : executor_(std::move(executor)), options_(std::move(options)), url_(std::move(url)) {}

HttpUpstream::~HttpUpstream() = default;

Json HttpUpstream::initialize_result() const {
  std::lock_guard lock(mu_);
  return initialize_result_;
}

std::string HttpUpstream::session_id() const {
  std::lock_guard lock(mu_);
  return session_id_;
}

void HttpUpstream::set_unsolicited_handler(UnsolicitedHandler handler) {
  std::lock_guard lock(mu_);
  unsolicited_ = std::move(handler);
}

void HttpUpstream::shutdown() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    idle.swap(idle_);
  }
  for (auto& c : idle) {
    beast::error_code ec;
    c->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
}

namespace {

// Whether an idle keep-alive connection is still open: the upstream may have closed it while it
// sat in the pool (a FIN waits in the socket). Checked before reuse because afterwards a failure
// is ambiguous: a request the upstream read before dying must not be sent twice.
bool still_open(beast::tcp_stream& stream) {
  auto& socket = stream.socket();
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) {
    return false;  // orderly close
  }
  if (n > 0) {
    return false;  // unsolicited bytes on an idle connection: not a state to reuse
  }
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

std::unique_ptr<HttpUpstream::Connection> HttpUpstream::take_idle() {
  std::lock_guard lock(mu_);
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (still_open(c->stream)) {
      return c;
    }
  }
  return nullptr;
}

void HttpUpstream::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mu_);
  if (!shut_down_ && idle_.size() < options_.max_idle_connections) {
    idle_.push_back(std::move(connection));
  }
}

asio::awaitable<Result<std::unique_ptr<HttpUpstream::Connection>>> HttpUpstream::connect(
    Clock::time_point deadline) {
  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  const auto budget =
      std::max(std::chrono::milliseconds(1), std::min(remaining, options_.connect_timeout));
  auto endpoints =
      co_await http::resolve_checked(url_.host, url_.port, options_.address_policy, budget);
  if (!endpoints) {
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + options_.name + ": " + endpoints.error().message);
  }
  auto c = std::make_unique<Connection>(executor_);
  c->stream.expires_after(budget);
  beast::error_code ec;
  co_await c->stream.async_connect(*endpoints, redirect_error(use_awaitable, ec));
  if (ec) {
    // Nothing was sent: the caller may retry.
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + options_.name + ": connect failed: " + ec.message());
  }
  c->stream.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  co_return c;
}

asio::awaitable<Status> HttpUpstream::ensure_ready() {
  {
    std::lock_guard lock(mu_);
    if (ready_) {
      co_return Status{};
    }
  }
  co_return co_await initialize("");
}

asio::awaitable<Status> HttpUpstream::initialize(std::string stale) {
  {
    std::lock_guard lock(mu_);
    if (ready_ && session_id_ != stale) {
      co_return Status{};  // another call already replaced the lost session
    }
    ready_ = false;
    session_id_.clear();
  }
  const Json id = next_id_.fetch_add(1);
  const Outgoing message =
      outgoing(rpc_request(id, "initialize", initialize_params(gateway_client_capabilities())));
  auto response = co_await post(message, nullptr, Clock::now() + options_.connect_timeout * 2);
  auto answered = initialize_answer(options_.name, std::move(response));
  if (!answered) {
    co_return answered.error();
  }
  Json result = std::move(*answered);
  {
    std::lock_guard lock(mu_);
    protocol_version_ = string_member(result, "protocolVersion", kUpstreamProtocolVersion);
    initialize_result_ = result;
    ready_ = true;
  }
  auto sent = co_await notify("notifications/initialized", Json::object());
  if (!sent) {
    co_return sent;
  }
  co_return Status{};
}

namespace {

// A request's text with the members in the order nlohmann writes them (sorted), as
// rpc_request() would give: no DOM for the tools/call path.
std::string upstream_request_text(std::int64_t id,
                                  const std::string& method,
                                  std::string_view params_json) {
  std::string text;
  text.reserve(48 + method.size() + params_json.size());
  text += "{\"id\":";
  text += std::to_string(id);
  text += ",\"jsonrpc\":\"2.0\",\"method\":";
  mcp::write_json(text, Json(method));
  text += ",\"params\":";
  text += params_json;
  text += '}';
  return text;
}

}  // namespace

asio::awaitable<Result<Json>> HttpUpstream::request(std::string method,
                                                    Json params,
                                                    CallHooks hooks,
                                                    std::chrono::milliseconds timeout) {
  std::string params_json = params.dump(-1, ' ', false, Json::error_handler_t::replace);
  auto r = co_await request_raw(
      std::move(method), std::move(params_json), std::move(hooks), timeout);
  co_return parsed_message(std::move(r));
}

asio::awaitable<Result<RawResponse>> HttpUpstream::request_raw(std::string method,
                                                               std::string params_json,
                                                               CallHooks hooks,
                                                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto ready = co_await ensure_ready();
  if (!ready) {
    co_return ready.error();
  }
  Outgoing message;
  message.method = std::move(method);
  if (hooks.own_session) {
    const std::int64_t id = next_id_.fetch_add(1);
    message.id = id;
    message.body = upstream_request_text(id, message.method, params_json);
    co_return co_await request_own(message, hooks, deadline);
  }
  for (int attempt = 0;; ++attempt) {
    const std::string session = session_id();
    const std::int64_t id = next_id_.fetch_add(1);
    message.id = id;
    message.body = upstream_request_text(id, message.method, params_json);
    auto response = co_await post(message, &hooks, deadline);
    // 404 on a request that carried a session: the upstream forgot the session (restart,
    // expiry). The request never ran; a new session takes it once.
    if (!response && response.error().code == ErrorCode::kNotFound && attempt == 0
        && !session.empty()) {
      log::warn("upstream_session_expired", {{"upstream", options_.name}});
      auto again = co_await initialize(session);
      if (!again) {
        co_return again.error();
      }
      continue;
    }
    if (!response && response.error().code == ErrorCode::kNotFound) {
      co_return make_error(ErrorCode::kInternal, response.error().message);
    }
    co_return response;
  }
}

asio::awaitable<Result<RawResponse>> HttpUpstream::request_own(const Outgoing& message,
                                                        CallHooks& hooks,
                                                        Clock::time_point deadline) {
  const OwnSession& own = *hooks.own_session;
  std::string session = own_session_for(own);
  bool fresh = false;
  if (session.empty()) {
    // The client's session opened while this upstream was unreachable, or in a process
    // that did not know it: open one now and keep it for the client's later calls.
    auto opened = co_await open_session_as(*own.client_capabilities, hooks.authorization);
    if (!opened) {
      co_return opened.error();
    }
    session = std::move(*opened);
    remember_replacement(own.key, session);
    fresh = true;
  }
  for (int attempt = 0;; ++attempt) {
    auto response = co_await post(message, &hooks, deadline, session);
    if (!response && response.error().code == ErrorCode::kNotFound && attempt == 0 && !fresh
        && !session.empty()) {
      // The upstream forgot the client's session (restart, expiry): the request never ran.
      log::warn("upstream_session_expired", {{"upstream", options_.name}, {"session", "client"}});
      auto opened = co_await open_session_as(*own.client_capabilities, hooks.authorization);
      if (!opened) {
        co_return opened.error();
      }
      session = std::move(*opened);
      remember_replacement(own.key, session);
      continue;
    }
    if (!response && response.error().code == ErrorCode::kNotFound) {
      co_return make_error(ErrorCode::kInternal, response.error().message);
    }
    co_return response;
  }
}

std::string HttpUpstream::own_session_for(const OwnSession& own) const {
  std::lock_guard lock(mu_);
  if (auto it = replaced_.find(std::string(own.key)); it != replaced_.end()) {
    return it->second;
  }
  return std::string(own.sealed);
}

void HttpUpstream::remember_replacement(std::string_view key, std::string session) {
  constexpr std::size_t kMaxReplacements = 10000;
  std::lock_guard lock(mu_);
  auto [it, inserted] = replaced_.insert_or_assign(std::string(key), std::move(session));
  if (inserted) {
    replaced_order_.push_back(it->first);
  }
  while (replaced_order_.size() > kMaxReplacements) {
    replaced_.erase(replaced_order_.front());
    replaced_order_.pop_front();
  }
}

asio::awaitable<Result<std::string>> HttpUpstream::open_session(Json client_capabilities) {
  if (options_.shared_authorization) {
    // An OAuth upstream: sessions are opened per user on first use (request_own), with that
    // user's token, never at the client's initialize.
    co_return std::string();
  }
  co_return co_await open_session_as(std::move(client_capabilities), std::string());
}

asio::awaitable<Result<std::string>> HttpUpstream::open_session_as(Json client_capabilities,
                                                                   std::string authorization) {
  auto ready = co_await ensure_ready();
  if (!ready) {
    co_return ready.error();
  }
  const Json id = next_id_.fetch_add(1);
  const Outgoing message = outgoing(
      rpc_request(id, "initialize", initialize_params(relayable_capabilities(client_capabilities))));
  std::string opened;
  auto response = co_await post(message,
                                nullptr,
                                Clock::now() + options_.connect_timeout * 2,
                                std::string(),
                                &opened,
                                authorization);
  auto answered = initialize_answer(options_.name, std::move(response));
  if (!answered) {
    co_return answered.error();
  }
  const Outgoing initialized =
      outgoing(rpc_notification("notifications/initialized", Json::object()));
  auto sent = co_await post(initialized,
                            nullptr,
                            Clock::now() + options_.connect_timeout,
                            opened,
                            nullptr,
                            authorization);
  if (!sent) {
    co_return sent.error();
  }
  co_return opened;
}

asio::awaitable<void> HttpUpstream::close_session(std::string session) {
  if (session.empty()) {
    co_return;
  }
  // DELETE with the session id (Streamable HTTP session termination); 405 = the server does
  // not let clients end sessions, which is fine.
  auto c = take_idle();
  if (!c) {
    auto fresh = co_await connect(Clock::now() + options_.connect_timeout);
    if (!fresh) {
      co_return;
    }
    c = std::move(*fresh);
  }
  bhttp::request<bhttp::empty_body> req{bhttp::verb::delete_, url_.target, 11};
  req.set(bhttp::field::host, url_.authority());
  req.set(bhttp::field::user_agent, "mcpgate-gateway/0.1");
  req.set("Mcp-Session-Id", session);
  {
    std::lock_guard lock(mu_);
    if (!protocol_version_.empty()) {
      req.set("MCP-Protocol-Version", protocol_version_);
    }
  }
  for (const auto& [k, v] : options_.headers) {
    req.set(k, v);
  }
  req.keep_alive(true);
  beast::error_code ec;
  c->stream.expires_after(options_.connect_timeout);
  co_await bhttp::async_write(c->stream, req, redirect_error(use_awaitable, ec));
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  if (!ec) {
    co_await bhttp::async_read(c->stream, c->buffer, parser, redirect_error(use_awaitable, ec));
  }
  if (ec) {
    log::warn("upstream_session_close_failed",
              {{"upstream", options_.name}, {"error", ec.message()}});
    co_return;
  }
  if (parser.get().keep_alive()) {
    give_back(std::move(c));
  }
}

asio::awaitable<Status> HttpUpstream::notify(std::string method, Json params) {
  const Outgoing message = outgoing(rpc_notification(method, std::move(params)));
  auto r = co_await post(message, nullptr, Clock::now() + options_.connect_timeout);
  if (!r) {
    co_return r.error();
  }
  co_return Status{};
}

asio::awaitable<void> HttpUpstream::on_message(Json message,
                                               const CallHooks* hooks,
                                               Exchange& exchange) {
  if (!message.is_object()) {
    exchange.failure = make_error(ErrorCode::kInternal,
                                  "upstream " + options_.name + ": a message is not an object");
    co_return;
  }
  if (is_response(message)) {
    if (message["id"] == exchange.id) {
      exchange.response = std::move(message);
    }
    co_return;  // a response to something else: ignored (the upstream is confused)
  }
  auto method = message.find("method");
  if (method == message.end() || !method->is_string()) {
    exchange.failure = make_error(ErrorCode::kInternal,
                                  "upstream " + options_.name + ": a message is not JSON-RPC");
    co_return;
  }
  if (!message.contains("id")) {  // a notification
    if (hooks != nullptr && hooks->on_notification) {
      co_await hooks->on_notification(std::move(message));
    } else {
      UnsolicitedHandler handler;
      {
        std::lock_guard lock(mu_);
        handler = unsolicited_;
      }
      if (handler) {
        handler(message);
      }
    }
    co_return;
  }
  // A server→client request made while our request runs: relay it, answer it.
  Json reply;
  if (hooks != nullptr && hooks->on_request) {
    auto result = co_await hooks->on_request(method->get<std::string>(),
                                             message.value("params", Json::object()));
    reply = result ? rpc_result_reply(message["id"], std::move(*result))
                   : rpc_error_reply(message["id"], -32603, result.error().message);
  } else {
    reply = rpc_error_reply(message["id"], -32601, "the gateway cannot relay this request");
  }
  const Outgoing answer = outgoing(reply);
  auto sent = co_await post(answer, nullptr, Clock::now() + options_.connect_timeout, exchange.own);
  if (!sent) {
    log::warn("upstream_reply_failed",
              {{"upstream", options_.name}, {"error", sent.error().message}});
  }
}

namespace {}  // namespace

void HttpUpstream::watch_start(std::shared_ptr<CancelWatch> watch) {
  bool start = false;
  {
    std::lock_guard lock(watch_mu_);
    watches_.push_back(std::move(watch));
    start = !watcher_running_;
    watcher_running_ = true;
  }
  if (start) {
    asio::co_spawn(executor_, watch_loop(shared_from_this()), asio::detached);
  }
}

void HttpUpstream::watch_end(const CancelWatch* watch) {
  std::lock_guard lock(watch_mu_);
  for (auto& w : watches_) {
    if (w.get() == watch) {
      w = std::move(watches_.back());
      watches_.pop_back();
      break;
    }
  }
}

asio::awaitable<void> HttpUpstream::watch_loop(std::shared_ptr<HttpUpstream> self) {
  asio::steady_timer timer(self->executor_);
  for (;;) {
    timer.expires_after(kCancelPoll);
    boost::system::error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    std::lock_guard lock(self->watch_mu_);
    if (self->watches_.empty()) {
      self->watcher_running_ = false;  // the next watched call starts it again
      co_return;
    }
    for (const auto& w : self->watches_) {
      if (!w->fired && w->cancelled->load()) {
        w->fired = true;
        std::lock_guard fd_lock(w->mu);
        if (w->fd >= 0) {
          ::shutdown(w->fd, SHUT_RDWR);
        }
      }
    }
  }
}

asio::awaitable<Result<RawResponse>> HttpUpstream::post(const Outgoing& message,
                                                 const CallHooks* hooks,
                                                 Clock::time_point deadline,
                                                 std::optional<std::string> own,
                                                 std::string* opened,
                                                 std::string authorization) {
  if (authorization.empty() && hooks != nullptr) {
    authorization = hooks->authorization;
  }
  if (authorization.empty() && !own && options_.shared_authorization) {
    // An OAuth upstream's shared session needs a token too (app/oauth_upstreams).
    auto shared = co_await options_.shared_authorization();
    if (!shared) {
      co_return shared.error();
    }
    authorization = std::move(*shared);
  }
  const bool is_request = message.is_request();
  std::shared_ptr<CancelWatch> watch;
  if (is_request && hooks != nullptr && hooks->cancelled) {
    watch = std::make_shared<CancelWatch>();
    watch->cancelled = hooks->cancelled;
    watch_start(watch);
  }
  auto result =
      co_await post_once(message, hooks, deadline, own, opened, watch.get(), authorization);
  bool by_client = false;
  if (watch) {
    watch->use(nullptr);
    watch_end(watch.get());
    by_client = watch->fired;
  }
  if (is_request
      && (by_client || (!result && result.error().code == ErrorCode::kDeadlineExceeded))) {
    // The upstream may still be working on it: tell it to stop (best effort).
    const std::string reason = by_client ? "cancelled by the client" : "timeout at the gateway";
    const Outgoing note =
        outgoing(rpc_notification("notifications/cancelled", cancelled_params(message.id, reason)));
    auto told = co_await post_once(
        note, nullptr, Clock::now() + options_.connect_timeout, own, nullptr, nullptr,
        authorization);
    if (!told) {
      log::warn("upstream_cancel_not_sent",
                {{"upstream", options_.name}, {"error", told.error().message}});
    }
    if (by_client) {
      co_return make_error(ErrorCode::kCancelled,
                           "upstream " + options_.name + ": cancelled by the client");
    }
  }
  co_return result;
}

asio::awaitable<Result<RawResponse>> HttpUpstream::post_once(const Outgoing& message,
                                                      const CallHooks* hooks,
                                                      Clock::time_point deadline,
                                                      std::optional<std::string> own,
                                                      std::string* opened,
                                                      CancelWatch* watch,
                                                      const std::string& authorization) {
  Exchange exchange;
  exchange.own = own;
  const bool expects_response = message.is_request();
  if (expects_response) {
    exchange.id = message.id;
    mcp::write_json(exchange.id_text, message.id);
  }
  const std::string& body = message.body;
  std::string session;
  std::string version;
  {
    std::lock_guard lock(mu_);
    session = own ? *own : session_id_;
    version = protocol_version_;
  }
  std::optional<std::string> resume_from;  // Last-Event-ID of a stream the server ended
  for (int leg = 0;; ++leg) {
    if (watch != nullptr) {
      watch->use(nullptr);  // the previous leg's connection is gone
      if (watch->fired) {
        co_return make_error(ErrorCode::kCancelled, "cancelled by the client");
      }
    }
    // A pooled connection may have been closed by the upstream while idle; such a failure
    // before any response byte is retried once on a fresh connection.
    std::unique_ptr<Connection> c = take_idle();
    const bool reused = c != nullptr;
    if (!c) {
      auto fresh = co_await connect(deadline);
      if (!fresh) {
        co_return fresh.error();
      }
      c = std::move(*fresh);
    }
    if (watch != nullptr) {
      // Registered before the check: a cancellation after the check finds the descriptor.
      watch->use(&c->stream);
      if (watch->fired) {
        co_return make_error(ErrorCode::kCancelled, "cancelled by the client");
      }
    }
    // The same header lines, in the same order, as the Beast request this replaced.
    const std::string authority = url_.authority();
    HeadFields fields;
    set_head_field(fields, "Host", authority);
    set_head_field(fields, "User-Agent", "mcpgate-gateway/0.1");
    set_head_field(fields, "Accept",
                   resume_from ? "text/event-stream" : "application/json, text/event-stream");
    if (!session.empty()) {
      set_head_field(fields, "Mcp-Session-Id", session);
    }
    if (!version.empty()) {
      set_head_field(fields, "MCP-Protocol-Version", version);
    }
    for (const auto& [k, v] : options_.headers) {
      set_head_field(fields, k, v);
    }
    if (!authorization.empty()) {
      set_head_field(fields, "Authorization", authorization);
    }
    if (resume_from) {
      set_head_field(fields, "Last-Event-ID", *resume_from);
    } else {
      set_head_field(fields, "Content-Type", "application/json");
    }
    auto head = request_head(resume_from ? "GET" : "POST", url_.target, fields, body.size(),
                             !resume_from);
    if (!head) {
      co_return make_error(ErrorCode::kInternal,
                           "upstream " + options_.name + ": " + head.error().message);
    }
    const std::array<asio::const_buffer, 2> request_buffers{
        asio::buffer(*head), resume_from ? asio::const_buffer() : asio::buffer(body)};

    beast::error_code ec;
    c->stream.expires_at(deadline);
    co_await asio::async_write(c->stream, request_buffers, redirect_error(use_awaitable, ec));
    const bool written = !ec;
    UpstreamResponseParser parser;
    parser.header_limit(16 * 1024);
    // No cap on an event stream's total (each event is capped by the SSE parser). Not
    // boost::none: Beast 1.74 compares a Content-Length against an empty optional as "over".
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec) {
      co_await bhttp::async_read_header(
          c->stream, c->buffer, parser, redirect_error(use_awaitable, ec));
    }
    if (ec) {
      // A reused connection that fails can only be retried when the upstream cannot have acted
      // on the message: the write itself failed, or it was not a request (a notification or a
      // response to the upstream is harmless twice). A request whose answer never came stays
      // an error: it may have run.
      const bool closed = ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset
                          || ec == asio::error::broken_pipe || ec == asio::error::eof;
      if (reused && leg == 0 && closed && (!written || !expects_response)) {
        --leg;
        continue;
      }
      co_return io_error(options_.name, ec, "request");
    }
    const unsigned status = parser.status();
    if (const auto& sid = parser.session_id()) {
      if (message.method == "initialize") {
        session = *sid;
        if (own) {
          if (opened != nullptr) {
            *opened = session;
          }
        } else {
          std::lock_guard lock(mu_);
          session_id_ = session;
        }
      }
    }
    const bool sse = status == 200 && parser.event_stream();
    if (!sse) {
      // A complete body: JSON response, an HTTP error or 202.
      if (const auto len = parser.content_length(); len && *len > options_.max_message_bytes) {
        co_return io_error(options_.name, bhttp::error::body_limit, "read");
      }
      parser.body_limit(options_.max_message_bytes);
      // The body usually came in with the head: parse what the buffer holds first, and ask the
      // socket only for the rest (an async read costs a composed operation, a timer and a
      // posted completion even for bytes already here).
      if (!parse_buffered(parser, c->buffer, ec)) {
        co_await bhttp::async_read(c->stream, c->buffer, parser, redirect_error(use_awaitable, ec));
      }
      if (ec) {
        co_return io_error(options_.name, ec, "read");
      }
      const bool keep = parser.keep_alive();
      std::string text = std::move(parser.body());
      if (watch != nullptr) {
        watch->use(nullptr);
      }
      if (keep) {
        give_back(std::move(c));
      }
      if (status == 202 || (status == 200 && !expects_response && text.empty())) {
        co_return RawResponse{};
      }
      if (status == 404 && !session.empty()) {
        co_return make_error(ErrorCode::kNotFound,
                             "upstream " + options_.name + ": session not found (HTTP 404)");
      }
      if (status == 401) {
        // The upstream wants (another) token: an OAuth upstream's caller refreshes once; one
        // configured without `auth: oauth` is told so (its challenge names its metadata).
        const bool challenged = parser.resource_metadata_challenge();
        co_return make_error(ErrorCode::kUnauthenticated,
                             "upstream " + options_.name + " requires authorization (HTTP 401" +
                                 (challenged ? ", OAuth protected resource" : "") + ")");
      }
      if (status != 200) {
        // Upstream JSON-RPC errors may come with an error status (e.g. 400 with a body).
        auto parsed = Json::parse(text, nullptr, false);
        if (expects_response && !parsed.is_discarded() && is_response(parsed)
            && parsed["id"] == exchange.id) {
          RawResponse answer;
          answer.message = std::move(parsed);
          co_return answer;
        }
        // 502/503/504: the upstream (or a proxy before it) says it could not serve the request.
        const bool gateway_class = status == 502 || status == 503 || status == 504;
        co_return make_error(gateway_class ? ErrorCode::kFailedPrecondition : ErrorCode::kInternal,
                             "upstream " + options_.name + ": HTTP " + std::to_string(status));
      }
      if (!parser.json()) {
        co_return make_error(ErrorCode::kInternal,
                             "upstream " + options_.name + ": unexpected content type");
      }
      if (expects_response && take_plain_response(text, exchange)) {
        co_return std::move(*exchange.raw_response);
      }
      auto parsed = Json::parse(text, nullptr, false);
      if (parsed.is_discarded()) {
        co_return make_error(ErrorCode::kInternal,
                             "upstream " + options_.name + ": the response is not valid JSON");
      }
      co_await on_message(std::move(parsed), hooks, exchange);
      if (!exchange.failure) {
        co_return exchange.failure.error();
      }
      if (!exchange.response) {
        co_return make_error(ErrorCode::kInternal,
                             "upstream " + options_.name + ": no response to the request");
      }
      RawResponse answer;
      answer.message = std::move(*exchange.response);
      co_return answer;
    }

    // An event stream: events as they come, until the response arrives or the stream ends.
    SseParser sse_parser(options_.max_message_bytes);
    std::vector<SseEvent> events;
    std::size_t consumed = 0;
    bool ended = false;
    const auto answered = [&exchange] {
      return exchange.response.has_value() || exchange.raw_response.has_value();
    };
    while (!answered() && exchange.failure) {
      if (parser.is_done()) {
        ended = true;
        break;
      }
      c->stream.expires_at(deadline);
      co_await bhttp::async_read_some(
          c->stream, c->buffer, parser, redirect_error(use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) {
        ec = {};
      }
      if (ec) {
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof) {
          ended = true;
          break;
        }
        co_return io_error(options_.name, ec, "read");
      }
      std::string& text = parser.body();
      if (text.size() > consumed) {
        auto fed = sse_parser.feed(std::string_view(text).substr(consumed), events);
        text.clear();  // the body only grows at its end: the parser keeps what it needs
        consumed = 0;
        if (!fed) {
          co_return make_error(ErrorCode::kInternal,
                               "upstream " + options_.name + ": " + fed.error().message);
        }
      }
      for (auto& event : events) {
        if (event.data.empty()) {
          continue;  // a priming event (id only)
        }
        if (expects_response && take_plain_response(event.data, exchange)) {
          break;
        }
        auto parsed = Json::parse(event.data, nullptr, false);
        if (parsed.is_discarded()) {
          exchange.failure = make_error(ErrorCode::kInternal,
                                        "upstream " + options_.name + ": an event is not JSON");
          break;
        }
        co_await on_message(std::move(parsed), hooks, exchange);
        if (!exchange.failure || exchange.response) {
          break;
        }
      }
      events.clear();
    }
    if (watch != nullptr) {
      watch->use(nullptr);
    }
    if (answered() && parser.is_done() && parser.keep_alive()) {
      give_back(std::move(c));
    }
    // Otherwise the connection is dropped: the stream may still be open.
    if (!exchange.failure) {
      co_return exchange.failure.error();
    }
    if (exchange.raw_response) {
      co_return std::move(*exchange.raw_response);
    }
    if (exchange.response) {
      RawResponse answer;
      answer.message = std::move(*exchange.response);
      co_return answer;
    }
    if (!expects_response) {
      co_return RawResponse{};
    }
    if (ended && sse_parser.last_event_id() && leg < 100) {
      resume_from = sse_parser.last_event_id();
      continue;  // the server ended the stream early (SSE polling): resume it with GET
    }
    co_return make_error(ErrorCode::kInternal,
                         "upstream " + options_.name + ": the stream ended without a response");
  }
}

}  // namespace mcpgate::gateway
