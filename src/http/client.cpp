#include "http/client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "core/ascii.hpp"
#include "http/client_pool.hpp"
#include "http/single_thread.hpp"
#include "metrics/metrics.hpp"

namespace mcpgate::http {
namespace {

namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): asio's spelling
using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxUrlBytes = size_t{8} * 1024;
constexpr int kMaxInterimResponses = 8;

Error url_error(std::string what) {
  return make_error(ErrorCode::kInvalidArgument, "invalid URL: " + std::move(what));
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

// WHATWG's "ends in a number": such hosts are IPv4 to a browser and to inet_aton.
bool looks_numeric(std::string_view host) {
  const size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty() && dot != std::string_view::npos) {
    return false;
  }
  if (all_of(last, ascii::is_digit)) {
    return true;
  }
  return last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')
         && std::all_of(last.begin() + 2, last.end(), ascii::is_hex);
}

Status check_reg_name(std::string_view host) {
  if (host.size() > 253) {
    return url_error("host name too long");
  }
  size_t label = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0) {
        return url_error("empty label in host name");
      }
      if (label > 63) {
        return url_error("host label too long");
      }
      label = 0;
      continue;
    }
    const char c = host[i];
    if (!(ascii::is_alnum(c) || c == '-' || c == '_')) {
      return url_error("invalid character in host name");
    }
    ++label;
  }
  return {};
}

Status check_escapes(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !ascii::is_hex(s[i + 1]) || !ascii::is_hex(s[i + 2])) {
        return url_error("malformed percent-escape");
      }
    }
  }
  return {};
}

uint16_t default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

bool same_origin(const Url& a, const Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

// ---------------------------------------------------------------------------------------------
// Request building

Status check_header(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), ascii::is_tchar)) {
    return make_error(ErrorCode::kInvalidArgument, "invalid request header name");
  }
  for (std::string_view reserved : {"host",
                                    "content-length",
                                    "transfer-encoding",
                                    "connection",
                                    "keep-alive",
                                    "proxy-connection",
                                    "te",
                                    "trailer",
                                    "upgrade",
                                    "expect"}) {
    if (ascii::iequals(name, reserved)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "request header " + std::string(name) + " is set by the client");
    }
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return make_error(ErrorCode::kInvalidArgument,
                        "control character in request header " + std::string(name));
    }
  }
  return {};
}

Result<Request> build_request(const ClientRequest& in,
                              const Url& url,
                              const std::string& user_agent) {
  Request req{in.method, url.target, 11};
  req.set(Field::host, url.authority());
  bool has_agent = false;
  for (const auto& [name, value] : in.headers) {
    MCPGATE_TRY(check_header(name, value));
    has_agent = has_agent || ascii::iequals(name, "user-agent");
    req.insert(name, value);
  }
  if (!has_agent) {
    req.set(Field::user_agent, user_agent);
  }
  const bool has_payload = !in.body.empty() || in.method == bhttp::verb::post
                           || in.method == bhttp::verb::put || in.method == bhttp::verb::patch;
  if (has_payload) {
    req.body() = in.body;
    req.prepare_payload();
  }
  return req;
}

// ---------------------------------------------------------------------------------------------
// Resolution. Runs on the request's strand, or on the one thread that runs a single-threaded
// context: the resolver callback and the coroutine never run at the same time, which is what
// makes the plain `done` flag safe.

struct ResolveState {
  explicit ResolveState(const asio::any_io_executor& ex) : resolver(ex), timer(ex) {}

  tcp::resolver resolver;
  asio::steady_timer timer;
  bool done = false;
  beast::error_code ec;
  tcp::resolver::results_type results;
};

asio::awaitable<Result<std::vector<tcp::endpoint>>> resolve_on_strand(std::string host,
                                                                      uint16_t port,
                                                                      AddressPolicy policy,
                                                                      Clock::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  beast::error_code ec;
  const asio::ip::address literal = asio::ip::make_address(host, ec);
  if (!ec) {
    if (!address_allowed(policy, literal)) {
      co_return make_error(ErrorCode::kPermissionDenied,
                           "address " + literal.to_string() + " is not allowed by the "
                               + address_policy_name(policy) + " policy");
    }
    endpoints.emplace_back(literal, port);
    co_return endpoints;
  }

  // getaddrinfo cannot be interrupted, so the deadline is a race between the lookup and a
  // timer; on timeout the lookup is cancelled and its late result dropped.
  auto st = std::make_shared<ResolveState>(co_await asio::this_coro::executor);
  st->resolver.async_resolve(host,
                             std::to_string(port),
                             tcp::resolver::numeric_service,
                             [st](const beast::error_code& e, tcp::resolver::results_type r) {
                               st->done = true;
                               st->ec = e;
                               st->results = std::move(r);
                               st->timer.cancel();
                             });
  st->timer.expires_at(deadline);
  co_await st->timer.async_wait(redirect_error(use_awaitable, ec));
  if (!st->done) {
    st->resolver.cancel();
    co_return make_error(ErrorCode::kDeadlineExceeded, "resolving " + host + " timed out");
  }
  if (st->ec || st->results.empty()) {
    co_return make_error(ErrorCode::kUnavailable,
                         "cannot resolve " + host + (st->ec ? ": " + st->ec.message() : ""));
  }
  for (const auto& entry : st->results) {
    const asio::ip::address addr = entry.endpoint().address();
    if (!address_allowed(policy, addr)) {
      // One refused address refuses the name: connecting to the "good" half of a mixed answer
      // would still let the name's owner steer us by reordering or rebinding.
      co_return make_error(ErrorCode::kPermissionDenied,
                           host + " resolves to " + addr.to_string()
                               + ", which is not allowed by the " + address_policy_name(policy)
                               + " policy");
    }
    endpoints.push_back(entry.endpoint());
  }
  co_return endpoints;
}

// ---------------------------------------------------------------------------------------------
// One request/response exchange over a connected stream.

Error io_error(const beast::error_code& ec,
               std::string_view stage,
               const Url& url,
               const RequestOptions& opt) {
  if (ec == beast::error::timeout) {
    return make_error(ErrorCode::kDeadlineExceeded,
                      url.to_string() + ": timed out after " + std::to_string(opt.timeout.count())
                          + " ms (" + std::string(stage) + ")");
  }
  if (ec == bhttp::error::body_limit) {
    return make_error(ErrorCode::kResourceExhausted,
                      url.to_string() + ": response body exceeds "
                          + std::to_string(opt.max_body_bytes) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    return make_error(ErrorCode::kResourceExhausted,
                      url.to_string() + ": response header exceeds "
                          + std::to_string(opt.max_header_bytes) + " bytes");
  }
  if (ec == bhttp::error::end_of_stream) {
    return make_error(ErrorCode::kUnavailable,
                      url.to_string() + ": connection closed before a response");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::partial_message).category()) {
    return make_error(ErrorCode::kUnavailable,
                      url.to_string() + ": malformed response (" + ec.message() + ")");
  }
  return make_error(ErrorCode::kUnavailable,
                    url.to_string() + ": " + std::string(stage) + " failed: " + ec.message());
}

// What an exchange learned about its connection, for pooling and the stale-connection retry.
struct ExchangeInfo {
  bool wrote_nothing = false;     // failed before any byte of the request was written
  bool response_started = false;  // at least one byte of a response arrived
  bool peer_closed = false;       // the failure was an EOF or a reset from the peer
  bool reusable = false;          // a complete response, keep-alive, nothing after it
};

bool is_peer_close(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof
         || ec == asio::error::connection_reset || ec == asio::error::broken_pipe
         || ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

template <class Stream>
asio::awaitable<Result<Response>> exchange(Stream& stream,
                                           const Request& req,
                                           const Url& url,
                                           const RequestOptions& opt,
                                           Clock::time_point deadline,
                                           ExchangeInfo& info) {
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_at(deadline);
  const size_t written =
      co_await bhttp::async_write(stream, req, redirect_error(use_awaitable, ec));
  if (ec) {
    info.wrote_nothing = written == 0;
    info.peer_closed = is_peer_close(ec);
    co_return io_error(ec, "write", url, opt);
  }
  beast::flat_buffer buffer;
  for (int interim = 0;; ++interim) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(std::min<size_t>(opt.max_header_bytes, UINT32_MAX)));
    parser.body_limit(static_cast<uint64_t>(opt.max_body_bytes));
    if (req.method() == bhttp::verb::head) {
      parser.skip(true);
    }
    beast::get_lowest_layer(stream).expires_at(deadline);
    // Head first, then body. Beast 1.74 loses the body_limit error for a response whose
    // Content-Length is over the limit when body bytes arrive in the same read (the eager parse
    // carries on and never checks the limit again), so the length is checked here as well.
    co_await bhttp::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (ec) {
      info.response_started = info.response_started || parser.got_some() || buffer.size() > 0;
      info.peer_closed = is_peer_close(ec);
      co_return io_error(ec, "read", url, opt);
    }
    info.response_started = true;
    if (const auto length = parser.content_length(); length && *length > opt.max_body_bytes) {
      co_return io_error(bhttp::error::body_limit, "read", url, opt);
    }
    if (!parser.is_done()) {
      co_await bhttp::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
      if (ec) {
        co_return io_error(ec, "read", url, opt);
      }
    }
    const bool keep_alive = parser.keep_alive();
    Response res = parser.release();
    const unsigned status = res.result_int();
    // Interim responses (103 Early Hints, a stray 100) precede the real one.
    if (status >= 100 && status < 200 && status != 101) {
      if (interim >= kMaxInterimResponses) {
        co_return make_error(ErrorCode::kUnavailable,
                             url.to_string() + ": too many interim responses");
      }
      continue;
    }
    // Bytes after the response (an unasked-for pipelined reply, junk) or a switch of protocols
    // leave the connection in a state no later request should inherit.
    info.reusable = keep_alive && buffer.size() == 0 && status != 101;
    co_return res;
  }
}

std::string tls_failure(SSL* ssl_handle, const beast::error_code& ec) {
  const long verify = SSL_get_verify_result(ssl_handle);
  if (verify != X509_V_OK) {
    return std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
  }
  return ec.message();
}

struct Hop {
  Url url;
  Request request;
};

// One hop's answer. retry_fresh: a reused connection turned out to be closed before any byte of
// a response, and sending the request again cannot repeat an action (see client.hpp).
struct HopOutcome {
  HopOutcome() = default;

  HopOutcome(Error error) : result(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  Result<ClientResponse> result = make_error(ErrorCode::kInternal, "unreachable");
  bool retry_fresh = false;
};

std::atomic<uint64_t> client_ids{0};

}  // namespace

struct HttpClient::State {
  ClientConfig config;
  ssl::context tls{ssl::context::tls_client};
  // Part of every pool key: connections are never shared between clients (CA stores differ).
  uint64_t id = ++client_ids;
};

namespace {

using detail::ConnectionPool;
using detail::OutboundConnection;

metrics::Counter& client_connection_counter(std::string_view event) {
  static auto& family = metrics::global().counter(
      "mcpgate_http_client_connections_total",
      "Outbound HTTP client connections: opened, reused from the keep-alive pool, or dropped "
      "after a reused one was found closed and the request sent again (stale_retry).",
      {"event"});
  return family.with({event});
}

detail::PoolLimits pool_limits(const PoolOptions& options) {
  return detail::PoolLimits{
      options.max_idle_per_origin, options.max_idle_total, options.idle_timeout};
}

// The io_context whose pool serves requests from `ex`, or nullptr: pooling off, or an executor
// of another kind of context (a thread pool), where every request gets its own connection.
asio::io_context* pooling_context(const asio::any_io_executor& ex, const PoolOptions& options) {
  if (options.max_idle_per_origin == 0 || options.max_idle_total == 0) {
    return nullptr;
  }
  // The server's connections and tests' io_contexts; any other executor is unpooled.
  return io_context_of(ex);
}

// Everything that decides what a connection may be trusted with. The address it connected to
// is not in the key but in the connection: it passed this key's policy for this key's host.
std::string pool_key(const HttpClient::State& state, const Url& url, const RequestOptions& opt) {
  std::string key = std::to_string(state.id);
  key += ' ';
  key += url.scheme;
  key += "://";
  key += url.host;
  key += ' ';
  key += std::to_string(url.port);
  key += ' ';
  key += address_policy_name(opt.address_policy);
  key += opt.verify_tls ? " verify" : " noverify";
  return key;
}

bool is_safe_method(bhttp::verb method) {
  return method == bhttp::verb::get || method == bhttp::verb::head || method == bhttp::verb::options
         || method == bhttp::verb::trace;
}

// Resolves and checks the host, connects to the checked addresses and, for https, does the TLS
// handshake. Runs on the new connection's strand.
asio::awaitable<Result<std::unique_ptr<OutboundConnection>>> open_connection(
    std::shared_ptr<HttpClient::State> state,
    const Url& url,
    const RequestOptions& opt,
    Clock::time_point deadline) {
  MCPGATE_CO_ASSIGN_OR_RETURN(
      std::vector<tcp::endpoint> endpoints,
      co_await resolve_on_strand(url.host, url.port, opt.address_policy, deadline));

  auto conn = std::make_unique<OutboundConnection>(co_await asio::this_coro::executor);
  beast::error_code ec;
  conn->plain->expires_at(deadline);
  // Connects to the checked endpoints only; the host name is not looked up again.
  conn->peer = co_await conn->plain->async_connect(endpoints, redirect_error(use_awaitable, ec));
  if (ec) {
    co_return io_error(ec, "connect", url, opt);
  }
  // A request is one write, but on a kept-alive connection Nagle could hold a short one back
  // behind the previous response's delayed ACK.
  conn->plain->socket().set_option(tcp::no_delay(true), ec);
  if (!url.tls()) {
    co_return conn;
  }

  conn->owner = state;
  conn->tls.emplace(std::move(*conn->plain), state->tls);
  conn->plain.reset();
  auto& stream = *conn->tls;
  SSL* handle = stream.native_handle();
  if (!url.host_is_ip && SSL_set_tlsext_host_name(handle, url.host.c_str()) != 1) {
    co_return make_error(ErrorCode::kInternal, "cannot set TLS SNI");
  }
  if (opt.verify_tls) {
    stream.set_verify_mode(ssl::verify_peer);
    // OpenSSL checks the name (or IP) during chain verification and reports a mismatch as
    // X509_V_ERR_HOSTNAME_MISMATCH / IP_ADDRESS_MISMATCH.
    X509_VERIFY_PARAM* param = SSL_get0_param(handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int set = url.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                                   : SSL_set1_host(handle, url.host.c_str());
    if (set != 1) {
      co_return make_error(ErrorCode::kInternal, "cannot set TLS verification host");
    }
  } else {
    stream.set_verify_mode(ssl::verify_none);
  }
  conn->lowest().expires_at(deadline);
  co_await stream.async_handshake(ssl::stream_base::client, redirect_error(use_awaitable, ec));
  if (ec) {
    if (ec == beast::error::timeout) {
      co_return io_error(ec, "TLS handshake", url, opt);
    }
    co_return make_error(ErrorCode::kUnavailable,
                         url.to_string() + ": TLS handshake failed: " + tls_failure(handle, ec));
  }
  co_return conn;
}

// One hop on `conn` (taken from the pool), or on a new connection when `conn` is null. Runs on
// the connection's strand, where send_hop spawned it. Afterwards the connection goes back to
// the pool of `pool_ctx` (null: no pooling) when the exchange left it reusable; otherwise it is
// closed. `hop` belongs to send_hop, which awaits this at once.
asio::awaitable<HopOutcome> hop_on_connection(std::shared_ptr<HttpClient::State> state,
                                              asio::io_context* pool_ctx,
                                              std::string key,
                                              std::unique_ptr<OutboundConnection> conn,
                                              const Hop& hop,
                                              RequestOptions opt,
                                              Clock::time_point deadline) {
  const Url& url = hop.url;
  const bool reused = conn != nullptr;
  if (!reused) {
    MCPGATE_CO_ASSIGN_OR_RETURN(conn, co_await open_connection(state, url, opt, deadline));
  }
  ExchangeInfo info;
  Result<Response> response = make_error(ErrorCode::kInternal, "unreachable");
  if (conn->tls) {
    response = co_await exchange(*conn->tls, hop.request, url, opt, deadline, info);
  } else {
    response = co_await exchange(*conn->plain, hop.request, url, opt, deadline, info);
  }
  HopOutcome out;
  if (!response) {
    // A connection the server closed while it sat idle fails like this; so does a server that
    // read the request and died before answering. Only the request itself tells when sending
    // it again is harmless. The failed connection is closed either way.
    out.retry_fresh = reused && info.peer_closed && !info.response_started
                      && (info.wrote_nothing || is_safe_method(hop.request.method()));
    out.result = response.error();
    co_return out;
  }
  ClientResponse res;
  res.message = std::move(response).value();
  res.url = url.to_string();
  res.peer = conn->peer;
  out.result = std::move(res);
  if (pool_ctx != nullptr && info.reusable && hop.request.keep_alive()) {
    conn->lowest().expires_never();
    ConnectionPool::of(*pool_ctx).give_back(key, std::move(conn), pool_limits(state->config.pool));
  } else if (conn->plain) {
    // No close_notify exchange for TLS: the response is complete (length or chunk framed), or
    // was read to EOF, where a truncation already surfaced as an error.
    beast::error_code ec;
    conn->plain->socket().shutdown(tcp::socket::shutdown_both, ec);
  }
  co_return out;
}

// One hop: on an idle pooled connection when there is one (once more on a new connection if
// that one turns out closed, see HopOutcome), else on a new connection. Runs on the caller's
// executor; each exchange runs on its connection's strand.
asio::awaitable<Result<ClientResponse>> send_hop(std::shared_ptr<HttpClient::State> state,
                                                 Hop hop,
                                                 RequestOptions opt,
                                                 Clock::time_point deadline) {
  const asio::any_io_executor caller = co_await asio::this_coro::executor;
  asio::io_context* pool_ctx = pooling_context(caller, state->config.pool);
  hop.request.keep_alive(pool_ctx != nullptr);
  std::string key;
  std::unique_ptr<OutboundConnection> idle;
  if (pool_ctx != nullptr) {
    key = pool_key(*state, hop.url, opt);
    if (ConnectionPool* pool = ConnectionPool::find(*pool_ctx)) {
      idle = pool->take(key, pool_limits(state->config.pool));
    }
  }
  // The key holds the policy the address passed when the connection was opened; checked again
  // so that no later change to what the key holds can let a connection past the guard.
  if (idle && !address_allowed(opt.address_policy, idle->peer.address())) {
    idle.reset();
  }
  // One thread runs the pool's context: it already serialises the connection's handlers, so the
  // exchange runs in this coroutine on a connection with the context's plain executor, with no
  // strand and no spawned coroutine to hand it to (http/single_thread.hpp).
  const bool one_thread = pool_ctx != nullptr && single_threaded(*pool_ctx);
  if (idle) {
    client_connection_counter("reused").inc();
    const asio::any_io_executor strand = idle->executor;
    auto task = hop_on_connection(state, pool_ctx, key, std::move(idle), hop, opt, deadline);
    // Two statements, not a conditional around co_await: g++ 12 miscompiles that
    // (ARCHITECTURE.md, "Coroutine rules").
    HopOutcome reused;
    if (one_thread) {
      reused = co_await std::move(task);
    } else {
      reused = co_await asio::co_spawn(strand, std::move(task), use_awaitable);
    }
    if (!reused.retry_fresh) {
      co_return std::move(reused.result);
    }
    client_connection_counter("stale_retry").inc();
  }
  client_connection_counter("opened").inc();
  auto task = hop_on_connection(state, pool_ctx, std::move(key), nullptr, hop, opt, deadline);
  if (one_thread) {
    HopOutcome fresh = co_await std::move(task);
    co_return std::move(fresh.result);
  }
  asio::any_io_executor strand;
  if (pool_ctx != nullptr) {
    strand = asio::make_strand(pool_ctx->get_executor());
  } else {
    strand = asio::make_strand(caller);
  }
  HopOutcome fresh = co_await asio::co_spawn(strand, std::move(task), use_awaitable);
  co_return std::move(fresh.result);
}

bool has_scheme(std::string_view ref) {
  const size_t colon = ref.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  if (!ascii::is_alpha(ref[0])) {
    return false;
  }
  return std::all_of(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return ascii::is_alnum(c) || c == '+' || c == '-' || c == '.';
  });
}

// RFC 3986 §5.2 reference resolution, minus dot-segment removal (the target is sent as is).
std::string resolve_location(const Url& base, std::string_view location) {
  location = location.substr(0, location.find('#'));
  if (has_scheme(location)) {
    return std::string(location);
  }
  const std::string origin = base.scheme + "://" + base.authority();
  if (location.substr(0, 2) == "//") {
    return base.scheme + ":" + std::string(location);
  }
  if (!location.empty() && location[0] == '/') {
    return origin + std::string(location);
  }
  const std::string_view path = std::string_view{base.target}.substr(0, base.target.find('?'));
  if (location.empty()) {
    return origin + base.target;
  }
  if (location[0] == '?') {
    return origin + std::string(path) + std::string(location);
  }
  return origin + std::string(path.substr(0, path.rfind('/') + 1)) + std::string(location);
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

asio::awaitable<Result<ClientResponse>> run_request(std::shared_ptr<HttpClient::State> state,
                                                    ClientRequest request) {
  const RequestOptions& opt = request.options;
  if (opt.timeout.count() <= 0 || opt.max_redirects < 0) {
    co_return make_error(ErrorCode::kInvalidArgument, "invalid request options");
  }
  const Clock::time_point deadline = Clock::now() + opt.timeout;
  MCPGATE_CO_ASSIGN_OR_RETURN(Url url, parse_url(request.url));
  MCPGATE_CO_ASSIGN_OR_RETURN(Request req, build_request(request, url, state->config.user_agent));

  for (int hops = 0;; ++hops) {
    Hop hop{url, req};
    MCPGATE_CO_ASSIGN_OR_RETURN(ClientResponse res,
                                co_await send_hop(state, std::move(hop), opt, deadline));
    const unsigned status = res.status();
    const std::string_view location = res.header(Field::location);
    if (!opt.follow_redirects || !is_redirect(status) || location.empty()) {
      co_return res;
    }
    if (hops >= opt.max_redirects) {
      co_return make_error(
          ErrorCode::kUnavailable,
          request.url + ": more than " + std::to_string(opt.max_redirects) + " redirects");
    }
    auto next = parse_url(resolve_location(url, location));
    if (!next) {
      co_return make_error(
          ErrorCode::kUnavailable,
          url.to_string() + ": bad redirect target (" + next.error().message + ")");
    }
    if (url.tls() && !next->tls()) {
      co_return make_error(ErrorCode::kUnavailable,
                           url.to_string() + ": redirect from https to http refused");
    }
    // 303 always, and 301/302 after a POST (what every user agent does), become a bodiless GET.
    if ((status == 303 && req.method() != bhttp::verb::head)
        || ((status == 301 || status == 302) && req.method() == bhttp::verb::post)) {
      req.method(bhttp::verb::get);
      req.body().clear();
      req.erase(Field::content_length);
      req.erase(Field::content_type);
      req.erase(Field::transfer_encoding);
    }
    if (!same_origin(url, *next)) {
      req.erase(Field::authorization);
      req.erase(Field::proxy_authorization);
      req.erase(Field::cookie);
    }
    url = std::move(next).value();
    req.target(url.target);
    req.set(Field::host, url.authority());
  }
}

// Boost 1.74's co_spawn(…, use_awaitable) needs a default-constructible result; Result has none.
template <class T>
asio::awaitable<std::optional<T>> boxed(asio::awaitable<T> inner) {
  co_return co_await std::move(inner);
}

// Runs `inner` on a new strand and resumes the caller on its own executor.
template <class T>
asio::awaitable<T> on_new_strand(asio::awaitable<T> inner) {
  auto ex = co_await asio::this_coro::executor;
  std::optional<T> out =
      co_await asio::co_spawn(asio::make_strand(ex), boxed(std::move(inner)), use_awaitable);
  co_return std::move(*out);
}

asio::awaitable<Result<ClientResponse>> fail_now(Error error) {
  co_return error;
}

asio::awaitable<Result<std::vector<tcp::endpoint>>> resolve_checked_impl(
    std::string host, uint16_t port, AddressPolicy policy, std::chrono::milliseconds timeout) {
  auto resolving = resolve_on_strand(std::move(host), port, policy, Clock::now() + timeout);
  // Named: no co_await inside a condition (ARCHITECTURE.md, "Coroutine rules").
  const asio::any_io_executor ex = co_await asio::this_coro::executor;
  if (single_threaded_context(ex) != nullptr) {
    co_return co_await std::move(resolving);  // one thread: already serialised (single_thread.hpp)
  }
  co_return co_await on_new_strand(std::move(resolving));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

std::string Url::to_string() const {
  return scheme + "://" + authority() + target;
}

std::string_view ClientResponse::header(Field field) const {
  auto it = message.find(field);
  return it == message.end() ? std::string_view{} : it->value();
}

Result<Url> parse_url(std::string_view text) {
  if (text.size() > kMaxUrlBytes) {
    return url_error("too long");
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return url_error("control character, space, backslash or non-ASCII byte");
    }
  }
  if (text.find('#') != std::string_view::npos) {
    return url_error("fragment not allowed");
  }
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return url_error("not an absolute http(s) URL");
  }
  Url url;
  url.scheme = ascii::to_lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return url_error("scheme must be http or https");
  }
  const std::string_view rest = text.substr(sep + 3);
  const size_t auth_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, auth_end);
  const std::string_view tail =
      auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return url_error("userinfo not allowed");
  }
  if (authority.empty()) {
    return url_error("missing host");
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return url_error("unterminated IPv6 literal");
    }
    const std::string_view literal = authority.substr(1, close - 1);
    if (literal.find('%') != std::string_view::npos) {
      return url_error("IPv6 zone identifiers not allowed");
    }
    beast::error_code ec;
    const auto addr = asio::ip::make_address_v6(std::string(literal), ec);
    if (ec) {
      return url_error("invalid IPv6 literal");
    }
    url.host = addr.to_string();
    url.host_is_ip = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return url_error("junk after IPv6 literal");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return url_error("missing host");
    }
    url.host = ascii::to_lower(host);
    MCPGATE_TRY(check_reg_name(url.host));
    if (looks_numeric(url.host)) {
      beast::error_code ec;
      const auto addr = asio::ip::make_address_v4(url.host, ec);
      if (ec || addr.to_string() != url.host) {
        return url_error("numeric host is not a canonical dotted-quad IPv4 address");
      }
      url.host_is_ip = true;
    }
  }

  if (has_port) {
    if (port_text.empty() || port_text.size() > 5 || !all_of(port_text, ascii::is_digit)) {
      return url_error("invalid port");
    }
    const unsigned long value = std::stoul(std::string(port_text));
    if (value == 0 || value > 65535) {
      return url_error("port out of range");
    }
    url.port = static_cast<uint16_t>(value);
  } else {
    url.port = default_port(url.scheme);
  }

  MCPGATE_TRY(check_escapes(tail));
  if (tail.empty()) {
    url.target = "/";
  } else if (tail.front() == '?') {
    url.target = "/" + std::string(tail);
  } else {
    url.target = std::string(tail);
  }
  return url;
}

Result<HttpClient> HttpClient::create(ClientConfig config) {
  auto state = std::make_shared<State>();
  state->config = std::move(config);
  SSL_CTX* ctx = state->tls.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return make_error(ErrorCode::kInternal, "cannot require TLS 1.2");
  }
  state->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                         | ssl::context::no_sslv3 | ssl::context::no_compression);
  beast::error_code ec;
  if (state->config.ca_file.empty()) {
    state->tls.set_default_verify_paths(ec);
  } else {
    state->tls.load_verify_file(state->config.ca_file, ec);
  }
  if (ec) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "cannot load CA certificates"
            + (state->config.ca_file.empty() ? std::string() : " from " + state->config.ca_file)
            + ": " + ec.message());
  }
  state->tls.set_verify_mode(ssl::verify_peer);
  return HttpClient(std::move(state));
}

asio::awaitable<Result<ClientResponse>> HttpClient::fetch(ClientRequest request) const {
  // Not a coroutine itself: the frame must own the state, not borrow `this`.
  return run_request(std::const_pointer_cast<State>(state_), std::move(request));
}

Result<std::shared_ptr<const HttpClient>> default_http_client() {
  static const Result<std::shared_ptr<const HttpClient>> client =
      []() -> Result<std::shared_ptr<const HttpClient>> {
    auto created = HttpClient::create();
    if (!created) {
      return created.error();
    }
    return std::make_shared<const HttpClient>(std::move(created).value());
  }();
  return client;
}

asio::awaitable<Result<ClientResponse>> fetch(ClientRequest request) {
  auto client = default_http_client();
  if (!client) {
    return fail_now(client.error());
  }
  return (*client)->fetch(std::move(request));
}

Result<ClientResponse> fetch_blocking(ClientRequest request) {
  // Result<T> has no default constructor, which Boost 1.74's co_spawn(use_future) needs: carry
  // it out through an optional.
  std::optional<Result<ClientResponse>> out;
  asio::io_context ioc;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> { out.emplace(co_await fetch(std::move(request))); },
      [](const std::exception_ptr& e) {
        if (e) {
          std::rethrow_exception(e);
        }
      });
  ioc.run();
  if (!out) {
    return make_error(ErrorCode::kInternal, "request did not complete");
  }
  return std::move(*out);
}

asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> resolve_checked(
    std::string host, uint16_t port, AddressPolicy policy, std::chrono::milliseconds timeout) {
  return resolve_checked_impl(std::move(host), port, policy, timeout);
}

}  // namespace mcpgate::http
