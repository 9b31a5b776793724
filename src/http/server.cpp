#include "http/server.hpp"

#include <algorithm>
#include <charconv>
#include <array>
#include <atomic>
#include <cstdio>
#include <list>
#include <type_traits>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>

#include "core/log.hpp"
#include "http/asio.hpp"
#include "http/forwarded.hpp"
#include "http/request_checks.hpp"
#include "http/single_thread.hpp"
#include "metrics/metrics.hpp"

namespace mcpgate::http {
namespace {

namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

// How much one idle read asks for.
constexpr size_t kReadSize = 4096;
// While a stream is open and the peer has sent bytes we do not read (a pipelined request, a TLS
// close_notify), readiness can no longer show a close; the socket is polled this often instead.
constexpr auto kPeerPollInterval = std::chrono::milliseconds(100);
// After an error answer, the rest of the peer's upload is read and dropped for at most this
// long / this much, so that it reads our answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 64u * 1024 * 1024;
// Bodies up to this size are copied behind the head and sent in one write (one segment, one
// TLS record); larger ones go as a second buffer.
constexpr size_t kInlineBodyBytes = 16 * 1024;

// The status line and fields of a response, as HTTP/1.1 puts them on the wire: what Beast's
// serializer writes for a response without chunked coding.
std::string serialize_head(const Response& res) {
  std::string out;
  out.reserve(256);
  out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.result_int());
  out += ' ';
  out += res.reason();
  out += "\r\n";
  for (const auto& field : res) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

// Sending our TLS close_notify (we do not wait for the peer's, RFC 8446 §6.1 allows that).
constexpr auto kTlsCloseTime = std::chrono::seconds(2);

// Request ids: a random per-process prefix and a counter: unique, cheap, and not guessable
// across restarts. They label log lines; they grant nothing.
class RequestIdSource {
 public:
  RequestIdSource() {
    unsigned char b[6];
    if (RAND_bytes(b, sizeof b) != 1) {
      std::fill(std::begin(b), std::end(b), 0);
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    prefix_ = buf;
  }

  std::string next() {
    char buf[24];
    buf[0] = '-';
    const auto end = std::to_chars(buf + 1, buf + sizeof buf, ++counter_, 16).ptr;
    std::string id;
    id.reserve(prefix_.size() + static_cast<std::size_t>(end - buf));
    id += prefix_;
    id.append(buf, end);
    return id;
  }

 private:
  std::string prefix_;
  std::atomic<uint64_t> counter_{0};
};

std::string exception_text(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "non-standard exception";
  }
}

// Request counts by method and status class, latency, open connections. Methods and classes
// are fixed sets (anything else is "other"), so a client cannot add series; each series is
// looked up once and kept.
class HttpMetrics {
 public:
  static HttpMetrics& get() {
    static HttpMetrics m;
    return m;
  }

  void request_done(bhttp::verb method, unsigned status, std::chrono::steady_clock::duration d) {
    requests(method, status).inc();
    duration_.observe(d);
  }

  metrics::Counter& requests(bhttp::verb method, unsigned status) {
    const std::size_t m = method_index(method);
    const std::size_t c = status >= 100 && status < 600 ? status / 100 : 0;
    std::atomic<metrics::Counter*>& slot = requests_[m * kClasses.size() + c];
    metrics::Counter* counter = slot.load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &family_.with({kMethods[m], kClasses[c]});
      slot.store(counter, std::memory_order_release);
    }
    return *counter;
  }

  metrics::Gauge& open =
      metrics::global().gauge("mcpgate_http_connections_open", "Open client connections.").with();

 private:
  static constexpr std::array<std::string_view, 8> kMethods = {
      "other", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  static constexpr std::array<std::string_view, 6> kClasses = {
      "other", "1xx", "2xx", "3xx", "4xx", "5xx"};

  static std::size_t method_index(bhttp::verb v) {
    switch (v) {
      case bhttp::verb::get:
        return 1;
      case bhttp::verb::head:
        return 2;
      case bhttp::verb::post:
        return 3;
      case bhttp::verb::put:
        return 4;
      case bhttp::verb::delete_:
        return 5;
      case bhttp::verb::patch:
        return 6;
      case bhttp::verb::options:
        return 7;
      default:
        return 0;
    }
  }

  metrics::CounterFamily& family_ = metrics::global().counter(
      "mcpgate_http_requests_total",
      "HTTP requests answered, by method and status class (code: 1xx..5xx). Requests the "
      "transport refuses before routing (malformed, over a limit) count as method \"other\".",
      {"method", "code"});
  metrics::Histogram& duration_ =
      metrics::global()
          .histogram("mcpgate_http_request_duration_seconds",
                     "Time from a request's complete arrival to the end of its answer (a "
                     "stream's end for SSE), in seconds.",
                     {},
                     metrics::kLatencyBuckets)
          .with();
  std::array<std::atomic<metrics::Counter*>, kMethods.size() * kClasses.size()> requests_{};
};

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Both run on the connection's strand (the io_context's executor when one thread runs it).
  virtual void begin_shutdown() = 0;
  virtual void close_now() = 0;
  virtual asio::any_io_executor strand() = 0;
};

}  // namespace

struct Server::Impl {
  asio::io_context& ioc;
  ServerOptions options;
  std::shared_ptr<const Router> router;
  std::unique_ptr<ssl::context> tls;
  // On its own strand: the accept loop, stop() and the acceptor's close never run concurrently.
  tcp::acceptor acceptor;
  RequestIdSource ids;
  TrustedProxies proxies;  // from options.trusted_proxies, parsed by start()
  bool loopback = false;
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  std::list<std::weak_ptr<ConnectionBase>> connections;  // guarded by mu
  std::atomic<size_t> open{0};

  Impl(asio::io_context& io, ServerOptions opts, std::shared_ptr<const Router> r)
      : ioc(io), options(std::move(opts)), router(std::move(r)), acceptor(asio::make_strand(io)) {}

  std::list<std::weak_ptr<ConnectionBase>>::iterator track(std::weak_ptr<ConnectionBase> c) {
    std::lock_guard lock(mu);
    open.fetch_add(1);
    HttpMetrics::get().open.inc();
    return connections.insert(connections.end(), std::move(c));
  }

  void untrack(std::list<std::weak_ptr<ConnectionBase>>::iterator it) {
    std::lock_guard lock(mu);
    connections.erase(it);
    open.fetch_sub(1);
    HttpMetrics::get().open.dec();
  }

  template <class Fn>
  void for_each_connection(Fn fn) {
    std::vector<std::shared_ptr<ConnectionBase>> live;
    {
      std::lock_guard lock(mu);
      for (auto& w : connections) {
        if (auto c = w.lock()) {
          live.push_back(std::move(c));
        }
      }
    }
    for (auto& c : live) {
      fn(c);
    }
  }

  asio::awaitable<void> accept_loop();
};

namespace {

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Connection(Server::Impl& server, Stream stream, std::string remote_ip)
      : server_(server),
        stream_(std::move(stream)),
        remote_ip_(std::move(remote_ip)),
        watch_timer_(stream_.get_executor()) {}

  asio::any_io_executor strand() override { return stream_.get_executor(); }

  // Idle connections (between requests, or still in the TLS handshake) and open streams, which
  // may never end, close now; a request being received or handled is answered first (with
  // Connection: close).
  void begin_shutdown() override {
    closing_ = true;
    if (idle_ || streaming_) {
      close_now();
    }
  }

  void close_now() override {
    beast::error_code ec;
    lowest().socket().close(ec);
    watch_timer_.cancel();
    fire_peer_closed();
  }

  asio::awaitable<void> run();

  // --- used by ExchangeImpl -------------------------------------------------------------------
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  asio::awaitable<bool> write_response(Response& res, bool keep_alive, bool head_only) {
    res.keep_alive(keep_alive && !closing_);
    if (!res.keep_alive()) {
      must_close_ = true;
    }
    res.prepare_payload();
    if (head_only) {
      // The answer to HEAD: the fields a GET would get (Content-Length included), no body.
      res.body().clear();
    }
    lowest().expires_after(server_.options.write_timeout);
    beast::error_code ec;
    if (res.chunked()) {
      co_await beast::http::async_write(stream_, res, redirect_error(use_awaitable, ec));
    } else {
      // A sized answer is its head's text and its body. Written as one buffer (two for a large
      // body): Beast's serializer walks nested buffer views for this and costs about as much
      // CPU as the rest of the HTTP layer together; the bytes it writes are the same.
      std::string wire = serialize_head(res);
      std::string& body = res.body();
      if (body.size() <= kInlineBodyBytes) {
        wire += body;
        co_await asio::async_write(stream_, asio::buffer(wire), redirect_error(use_awaitable, ec));
      } else {
        const std::array<asio::const_buffer, 2> parts{asio::buffer(wire), asio::buffer(body)};
        co_await asio::async_write(stream_, parts, redirect_error(use_awaitable, ec));
      }
    }
    if (ec) {
      must_close_ = true;
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> write_head(Response& head, const Request& req) {
    beast::http::response<beast::http::empty_body> h(std::move(head.base()));
    h.erase(Field::content_length);
    if (req.method() == beast::http::verb::head) {
      stream_mode_ = StreamMode::kHeadOnly;
      h.chunked(true);
    } else if (req.version() < 11) {
      // HTTP/1.0 has no chunked coding: the body runs until the connection closes.
      stream_mode_ = StreamMode::kUntilClose;
      h.chunked(false);
    } else {
      stream_mode_ = StreamMode::kChunked;
      h.chunked(true);
    }
    h.keep_alive(req.keep_alive() && !closing_ && stream_mode_ != StreamMode::kUntilClose);
    if (!h.keep_alive()) {
      must_close_ = true;
    }
    beast::http::response_serializer<beast::http::empty_body> sr{h};
    lowest().expires_after(server_.options.write_timeout);
    beast::error_code ec;
    co_await beast::http::async_write_header(stream_, sr, redirect_error(use_awaitable, ec));
    if (ec) {
      must_close_ = true;
      co_return false;
    }
    streaming_ = true;
    start_watch();
    co_return true;
  }

  asio::awaitable<bool> write_chunk(const std::string& data) {
    if (peer_closed_ || !streaming_) {
      co_return false;
    }
    // An empty chunk is the end-of-body marker: never send one from here.
    if (data.empty() || stream_mode_ == StreamMode::kHeadOnly) {
      co_return true;
    }
    lowest().expires_after(server_.options.write_timeout);
    beast::error_code ec;
    if (stream_mode_ == StreamMode::kChunked) {
      co_await asio::async_write(
          stream_, beast::http::make_chunk(asio::buffer(data)), redirect_error(use_awaitable, ec));
    } else {
      co_await asio::async_write(stream_, asio::buffer(data), redirect_error(use_awaitable, ec));
    }
    if (ec) {
      must_close_ = true;
      fire_peer_closed();
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<void> write_last_chunk() {
    stop_watch();
    if (!streaming_) {
      co_return;
    }
    streaming_ = false;
    if (peer_closed_) {
      must_close_ = true;
      co_return;
    }
    if (stream_mode_ != StreamMode::kChunked) {
      co_return;  // nothing to send (HEAD), or the close ends the body (must_close_ is set)
    }
    lowest().expires_after(server_.options.write_timeout);
    beast::error_code ec;
    co_await asio::async_write(
        stream_, beast::http::make_chunk_last(), redirect_error(use_awaitable, ec));
    if (ec) {
      must_close_ = true;
    }
  }

  void set_on_peer_closed(std::function<void()> fn) {
    if (peer_closed_) {
      fn();
      return;
    }
    on_peer_closed_ = std::move(fn);
  }

  bool peer_closed() const { return peer_closed_; }

  const std::string& remote_ip() const { return remote_ip_; }

  Server::Impl& server() { return server_; }

 private:
  enum class StreamMode { kChunked, kUntilClose, kHeadOnly };
  enum class PeerState { kQuiet, kSending, kGone };

  // The exchange is over: its callback may capture its locals, so it must not outlive it.
  void end_exchange() {
    stop_watch();
    on_peer_closed_ = nullptr;
  }

  // While a streamed response is open nothing is read from the socket, so readiness tells
  // whether the peer is still there. Watched on the raw socket: beast::tcp_stream's deadline
  // covers all pending operations, and this wait must not be cut by the write timeout.
  void start_watch() {
    watching_ = true;
    const uint64_t gen = ++watch_gen_;
    asio::co_spawn(stream_.get_executor(), watch(this->shared_from_this(), gen), asio::detached);
  }

  void stop_watch() {
    if (watching_) {
      watching_ = false;
      ++watch_gen_;
      beast::error_code ec;
      lowest().socket().cancel(ec);  // no other operation is pending when a stream ends
      watch_timer_.cancel();
    }
  }

  PeerState probe_peer() {
    pollfd p{};
    p.fd = lowest().socket().native_handle();
    p.events = POLLIN | POLLRDHUP;
    if (::poll(&p, 1, 0) <= 0) {
      return PeerState::kQuiet;
    }
    // POLLRDHUP: the peer's FIN, even behind unread bytes.
    if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) {
      return PeerState::kGone;
    }
    if ((p.revents & POLLIN) != 0) {
      beast::error_code ec;
      const size_t avail = lowest().socket().available(ec);
      return ec || avail == 0 ? PeerState::kGone : PeerState::kSending;
    }
    return PeerState::kQuiet;
  }

  static asio::awaitable<void> watch(std::shared_ptr<Connection> self, uint64_t gen) {
    bool wait_readable = true;
    bool gone = false;
    while (!gone) {
      beast::error_code ec;
      if (wait_readable) {
        co_await self->lowest().socket().async_wait(tcp::socket::wait_read,
                                                    redirect_error(use_awaitable, ec));
      } else {
        self->watch_timer_.expires_after(kPeerPollInterval);
        co_await self->watch_timer_.async_wait(redirect_error(use_awaitable, ec));
      }
      if (gen != self->watch_gen_ || !self->watching_ || ec == asio::error::operation_aborted) {
        co_return;  // the stream ended, or we closed the socket (close_now reports that)
      }
      if (ec) {
        gone = true;
        break;
      }
      switch (self->probe_peer()) {
        case PeerState::kGone:
          gone = true;
          break;
        case PeerState::kSending:
          wait_readable = false;  // stays readable until read, so poll for the hang-up
          break;
        case PeerState::kQuiet:
          wait_readable = true;  // a spurious wake-up
          break;
      }
    }
    self->watching_ = false;
    self->fire_peer_closed();
  }

  void fire_peer_closed() {
    if (peer_closed_) {
      return;
    }
    peer_closed_ = true;
    if (on_peer_closed_) {
      auto fn = std::move(on_peer_closed_);
      on_peer_closed_ = nullptr;
      fn();
    }
  }

  // Answers a request that cannot be served, then closes in a way the peer can read the answer.
  asio::awaitable<void> reject(RequestFailure failure, const beast::error_code& cause) {
    Response res = failure_response(failure);
    HttpMetrics::get().requests(bhttp::verb::unknown, res.result_int()).inc();
    log::debug("http_rejected",
               {{"remote", remote_ip_}, {"status", res.result_int()}, {"cause", cause.message()}});
    if (co_await write_response(res, false, false)) {
      co_await linger();
    }
  }

  // After an error answer the peer may still be sending (a large body): read and discard for a
  // short while, so that it sees our answer rather than a reset.
  asio::awaitable<void> linger() {
    co_await send_close_notify();
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(kLingerTime);
    std::array<char, 16384> sink{};
    size_t total = 0;
    while (!ec && total < kLingerBytes) {
      total +=
          co_await lowest().async_read_some(asio::buffer(sink), redirect_error(use_awaitable, ec));
    }
  }

  // TLS: sends our close_notify without waiting for the peer's (marking it as received makes
  // SSL_shutdown finish after the send), so a silent client cannot hold the connection open.
  asio::awaitable<void> send_close_notify() {
    if constexpr (kTls) {
      if (lowest().socket().is_open() && !tls_closed_) {
        tls_closed_ = true;
        SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
        lowest().expires_after(kTlsCloseTime);
        beast::error_code ec;
        co_await stream_.async_shutdown(redirect_error(use_awaitable, ec));
      }
    }
    co_return;
  }

  asio::awaitable<void> shutdown_stream() {
    co_await send_close_notify();
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
  }

  // Feeds the buffered bytes to the parser, as Beast's reads do before they read more, up to the
  // end of the head or of the whole message. Consumes what was parsed; on a parse error the
  // unparsed bytes stay in buffer_ (classify_read_error reads them). "Needs more" is no error.
  beast::error_code parse_buffered(RequestParser& parser, bool whole_message) {
    beast::error_code ec;
    while (buffer_.size() != 0 && !(whole_message ? parser.is_done() : parser.is_header_done())) {
      const size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == beast::http::error::need_more) {
        return {};
      }
      if (ec) {
        return ec;
      }
      if (used == 0) {
        break;  // nothing consumed and no error: wait for the network instead of spinning
      }
    }
    return ec;
  }

  Server::Impl& server_;
  Stream stream_;
  std::string remote_ip_;
  asio::steady_timer watch_timer_;
  beast::flat_buffer buffer_;

  bool closing_ = false;
  bool idle_ = true;  // no request under way: waiting for one, or in the TLS handshake
  bool streaming_ = false;
  StreamMode stream_mode_ = StreamMode::kChunked;
  bool must_close_ = false;
  bool watching_ = false;
  bool peer_closed_ = false;
  bool tls_closed_ = false;
  uint64_t watch_gen_ = 0;
  std::function<void()> on_peer_closed_;
};

template <class Stream>
class ExchangeImpl final : public Exchange {
 public:
  ExchangeImpl(Connection<Stream>& conn, Request& req, std::string request_id)
      : conn_(conn), req_(req), request_id_(std::move(request_id)) {
    const TrustedProxies& proxies = conn_.server().proxies;
    if (!proxies.empty()) {
      // Every X-Forwarded-For field, in order, as one list.
      std::string forwarded;
      for (auto [it, end] = req_.equal_range("X-Forwarded-For"); it != end; ++it) {
        if (!forwarded.empty()) {
          forwarded += ',';
        }
        forwarded.append(it->value().data(), it->value().size());
      }
      client_ip_ = proxies.client_ip(conn_.remote_ip(), forwarded);
    }
  }

  const Request& request() const override { return req_; }

  // The client's address: the peer's, or the one trusted proxies forwarded.
  const std::string& remote_ip() const override {
    return client_ip_.empty() ? conn_.remote_ip() : client_ip_;
  }

  const std::string& request_id() const override { return request_id_; }

  bool secure() const override { return Connection<Stream>::kTls; }

  bool loopback_bind() const override { return conn_.server().loopback; }

  asio::any_io_executor executor() const override { return conn_.strand(); }

  asio::awaitable<void> respond(Response res) override {
    if (state_ != State::kNone) {
      co_return;  // a second answer is a handler bug; the first one stands
    }
    state_ = State::kDone;
    decorate(res);
    status_ = res.result_int();
    co_await conn_.write_response(res, req_.keep_alive(), req_.method() == bhttp::verb::head);
  }

  asio::awaitable<bool> start_stream(Response head) override {
    if (state_ != State::kNone) {
      co_return false;
    }
    state_ = State::kStreaming;
    decorate(head);
    status_ = head.result_int();
    co_return co_await conn_.write_head(head, req_);
  }

  asio::awaitable<bool> write(std::string data) override {
    if (state_ != State::kStreaming) {
      co_return false;
    }
    co_return co_await conn_.write_chunk(data);
  }

  asio::awaitable<void> finish() override {
    if (state_ != State::kStreaming) {
      co_return;
    }
    state_ = State::kDone;
    co_await conn_.write_last_chunk();
  }

  void on_peer_closed(std::function<void()> fn) override {
    conn_.set_on_peer_closed(std::move(fn));
  }

  bool peer_closed() const override { return conn_.peer_closed(); }

  bool answered() const { return state_ == State::kDone; }

  bool streaming() const { return state_ == State::kStreaming; }

  unsigned status() const { return status_; }

 private:
  enum class State { kNone, kStreaming, kDone };

  void decorate(Response& res) const {
    res.set("X-Request-Id", request_id_);
    if (res.find("X-Content-Type-Options") == res.end()) {
      res.set("X-Content-Type-Options", "nosniff");
    }
  }

  Connection<Stream>& conn_;
  Request& req_;
  std::string request_id_;
  std::string client_ip_;  // set when trusted proxies forwarded the client's address
  State state_ = State::kNone;
  unsigned status_ = 0;
};

template <class Stream>
asio::awaitable<void> Connection<Stream>::run() {
  auto self = this->shared_from_this();
  const ServerOptions& opt = server_.options;
  beast::error_code ec;

  if constexpr (kTls) {
    lowest().expires_after(opt.header_timeout);
    co_await stream_.async_handshake(ssl::stream_base::server, redirect_error(use_awaitable, ec));
    if (ec) {
      log::debug("tls_handshake_failed", {{"remote", remote_ip_}, {"error", ec.message()}});
      lowest().socket().close(ec);
      co_return;
    }
  }

  while (!closing_) {
    // Wait for the next request's first bytes (keep-alive idle time).
    if (buffer_.size() == 0) {
      idle_ = true;
      lowest().expires_after(opt.idle_timeout);
      const size_t n = co_await stream_.async_read_some(buffer_.prepare(kReadSize),
                                                        redirect_error(use_awaitable, ec));
      idle_ = false;
      if (ec) {
        break;
      }
      buffer_.commit(n);
    }
    idle_ = false;
    if (closing_) {
      break;
    }

    RequestParser parser;
    apply_limits(parser, opt);

    // What is buffered already is parsed here, without an asynchronous operation: a small
    // request arrives whole in the first read, and Beast's composed reads would each post their
    // completion (and take executor work) only to find the message already there. Only a
    // request that is still incomplete waits below, under the same timeouts.
    ec = parse_buffered(parser, /*whole_message=*/false);
    if (!ec && !parser.is_header_done()) {
      // The whole head must arrive within header_timeout of its first byte (slowloris bound); a
      // peer that runs out of time gets nothing but a closed connection.
      lowest().expires_after(opt.header_timeout);
      co_await beast::http::async_read_header(
          stream_, buffer_, parser, redirect_error(use_awaitable, ec));
    }
    if (ec) {
      const auto received = buffer_.cdata();
      const std::string_view unparsed(static_cast<const char*>(received.data()), received.size());
      if (const RequestFailure f = classify_read_error(ec, unparsed); f != RequestFailure::kNone) {
        co_await reject(f, ec);
      }
      break;
    }
    if (const RequestFailure f = check_head(parser, opt); f != RequestFailure::kNone) {
      co_await reject(f, ec);
      break;
    }
    if (parser.get().version() >= 11 && !parser.is_done()
        && beast::iequals(parser.get()[Field::expect], "100-continue")) {
      lowest().expires_after(opt.write_timeout);
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(
          stream_, asio::buffer(kContinue), redirect_error(use_awaitable, ec));
      if (ec) {
        break;
      }
    }

    if (!parser.is_done()) {
      ec = parse_buffered(parser, /*whole_message=*/true);
    }
    if (!ec && !parser.is_done()) {
      lowest().expires_after(opt.body_timeout);
      co_await beast::http::async_read(stream_, buffer_, parser, redirect_error(use_awaitable, ec));
    }
    if (ec) {
      // A timeout has closed the socket already: nothing can be answered.
      if (const RequestFailure f = classify_read_error(ec); f != RequestFailure::kNone) {
        co_await reject(f, ec);
      }
      break;
    }

    Request req = parser.release();
    ExchangeImpl<Stream> ex(*this, req, server_.ids.next());
    const auto started = std::chrono::steady_clock::now();
    must_close_ = false;
    std::exception_ptr failure;
    try {
      co_await server_.router->dispatch(ex);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      log::error("handler_exception",
                 {{"request_id", ex.request_id()}, {"what", exception_text(failure)}});
    }
    if (ex.streaming()) {
      co_await ex.finish();
    } else if (!ex.answered()) {
      if (!failure) {
        log::error("handler_no_response", {{"request_id", ex.request_id()}});
      }
      co_await ex.respond(failure_response(RequestFailure::kNone));
    }
    end_exchange();
    const auto elapsed = std::chrono::steady_clock::now() - started;
    HttpMetrics::get().request_done(req.method(), ex.status(), elapsed);
    if (log::access_enabled()) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
      log::access({{"request_id", ex.request_id()},
                   {"method", std::string(req.method_string())},
                   {"path", std::string(target_path(req.target()))},
                   {"status", ex.status()},
                   {"remote", ex.remote_ip()},  // the client, as trusted proxies report it
                   {"duration_us", us}});
    }
    if (!req.keep_alive() || must_close_ || closing_ || peer_closed_) {
      break;
    }
  }
  co_await shutdown_stream();
}

}  // namespace

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    tcp::socket socket(connection_executor(ioc));  // plain when one thread runs ioc
    beast::error_code ec;
    co_await acceptor.async_accept(socket, redirect_error(use_awaitable, ec));
    if (stopping.load()) {
      co_return;
    }
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
        co_return;
      }
      // Out of descriptors and the like: back off briefly rather than spin.
      log::warn("accept_failed", {{"error", ec.message()}});
      asio::steady_timer t(ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    if (open.load() >= options.max_connections) {
      log::warn("connection_limit", {{"max_connections", options.max_connections}});
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const auto ep = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string("unknown") : ep.address().to_string();

    auto spawn = [&](auto conn) {
      auto it = track(conn);
      asio::co_spawn(conn->strand(), conn->run(), [this, it, conn](std::exception_ptr e) {
        if (e) {
          log::error("connection_failed", {{"what", exception_text(e)}});
        }
        untrack(it);
      });
    };
    if (tls) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      spawn(std::make_shared<Connection<TlsStream>>(
          *this, TlsStream(beast::tcp_stream(std::move(socket)), *tls), std::move(remote)));
    } else {
      spawn(std::make_shared<Connection<beast::tcp_stream>>(
          *this, beast::tcp_stream(std::move(socket)), std::move(remote)));
    }
  }
}

Server::Server(asio::io_context& ioc, ServerOptions options, std::shared_ptr<const Router> router)
    : impl_(std::make_unique<Impl>(ioc, std::move(options), std::move(router))) {}

Server::~Server() = default;

bool Server::tls() const {
  return impl_->tls != nullptr;
}

size_t Server::open_connections() const {
  return impl_->open.load();
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") {
    return true;
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

Status Server::start() {
  const ServerOptions& opt = impl_->options;
  auto proxies = TrustedProxies::parse(opt.trusted_proxies);
  if (!proxies) {
    return make_error(ErrorCode::kInvalidArgument, "trusted_proxies: " + proxies.error().message);
  }
  impl_->proxies = std::move(proxies).value();
  if (!opt.tls_cert_file.empty() || !opt.tls_key_file.empty()) {
    if (opt.tls_cert_file.empty() || opt.tls_key_file.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "TLS needs both cert_file and key_file");
    }
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                     | ssl::context::no_sslv3 | ssl::context::single_dh_use);
    beast::error_code ec;
    ctx->use_certificate_chain_file(opt.tls_cert_file, ec);
    if (ec) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cannot load TLS certificate " + opt.tls_cert_file + ": " + ec.message());
    }
    ctx->use_private_key_file(opt.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cannot load TLS key " + opt.tls_key_file + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "TLS key " + opt.tls_key_file + " does not match " + opt.tls_cert_file);
    }
    impl_->tls = std::move(ctx);
  }

  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  auto results = resolver.resolve(opt.host,
                                  std::to_string(opt.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service,
                                  ec);
  if (ec || results.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "cannot resolve listen address " + opt.host);
  }
  const tcp::endpoint ep = results.begin()->endpoint();
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) {
    acc.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acc.bind(ep, ec);
  }
  if (!ec) {
    acc.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    beast::error_code ignored;
    acc.close(ignored);
    return make_error(
        ErrorCode::kUnavailable,
        "cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " + ec.message());
  }
  port_ = acc.local_endpoint().port();
  loopback_ = ep.address().is_loopback();
  impl_->loopback = loopback_;
  asio::co_spawn(acc.get_executor(), impl_->accept_loop(), asio::detached);
  return {};
}

void Server::force_close() {
  impl_->for_each_connection([](const std::shared_ptr<ConnectionBase>& c) {
    asio::post(c->strand(), [c] { c->close_now(); });
  });
}

void Server::stop() {
  if (impl_->stopping.exchange(true)) {
    return;
  }
  // On the acceptor's strand, so that a connection accepted at this moment is either already
  // tracked (and told to shut down here) or sees `stopping` and is dropped.
  asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->for_each_connection([](const std::shared_ptr<ConnectionBase>& c) {
      asio::post(c->strand(), [c] { c->begin_shutdown(); });
    });
  });
}

}  // namespace mcpgate::http
