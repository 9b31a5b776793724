// bench_loadgen: an HTTP/1.1 load generator, closed loop by default. C keep-alive connections
// each send one request, wait for the whole response, and send the next; after a warm-up, every
// request that starts and completes inside the measurement window is timed. Prints throughput
// and latency percentiles (nearest rank), or one JSON object with --json.
//
//   bench_loadgen --url http://127.0.0.1:8081/mcp -c 32 -d 10 -w 2
//       --body '{"jsonrpc":"2.0",...}' -H 'Content-Type: application/json' [--json]
//
// Closed loop means the offered load adapts to the server: throughput is what C connections
// achieve with one request in flight each. Latency is measured from the first byte written to the
// last byte of the response read, so it includes the generator's own parsing (small; pin the
// generator to its own core).
//
// Chain mode (for token endpoints whose every answer replaces the credential to send next, such
// as OAuth refresh-token rotation):
//
//   bench_loadgen --url http://127.0.0.1:18092/token -c 16 --chain-file tokens.txt
//       --chain-field refresh_token --chain-out next.txt
//       --body 'grant_type=refresh_token&refresh_token={chain}&resource=...'
//       -H 'Content-Type: application/x-www-form-urlencoded' -H 'Authorization: Basic ...'
//
// Connection i starts with line i of --chain-file. Every request sends the body with `{chain}`
// replaced by the connection's current value (percent-encoded); a 2xx response must carry the
// JSON string field --chain-field, whose value is sent next. A response without it (or with
// another status) breaks that connection's chain: it is counted under errors.chain and the
// connection stops, because the value it holds is spent. After the run, --chain-out gets the
// current value of every unbroken chain, then the lines no connection used, one per line, for
// the next run.
//
// Open loop (--rate R): requests are sent on a fixed schedule of R req/s in total, connection i
// sending its k-th request at start + (i + k C) / R whatever the previous answers took (one
// request in flight per connection: if the previous answer is late, the next request leaves as
// soon as it arrives). Latency is measured from the scheduled time, not from the actual send, so
// a stall is charged to every request it delays (no coordinated omission). Choose C so that
// C / R is well above the expected latency; `late_sends` (> 1 ms behind schedule) and
// `max_lag_us` in the report tell when the generator or the connections could not keep up.
//
// MCP sessions (--mcp-session): every connection first opens its own 2025-11-25 session
// (initialize, notifications/initialized) and sends the configured body in it, with
// Mcp-Session-Id and MCP-Protocol-Version added. --open-sessions N only opens N sessions over the
// connections (sending the body once in each, when one is given), leaves them open and exits
// (for measuring the server's memory per session).
//
// Exit status: 0 when at least one request succeeded and none failed, 1 otherwise, 2 on bad usage.

#include "http/asio.hpp"  // first: <utility> before any Asio header (g++ 12 + Boost 1.74)

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

struct Target {
  std::string host;
  std::string port;
  std::string path;
};

bool parse_url(const std::string& url, Target& out) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return false;
  }
  std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      return false;
    }
    out.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    out.port = authority.rfind(':', 0) == 0 ? authority.substr(1) : "80";
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  }
  return !out.host.empty() && !out.port.empty();
}

// Phases, switched by the timer coroutine; read by every connection.
enum Phase : int { kWarmup = 0, kMeasure = 1, kDone = 2 };

struct Shared {
  std::atomic<int> phase{kWarmup};
  Clock::time_point measure_start;  // written before phase becomes kMeasure
  std::string request;              // the serialized request, identical for every send
  unsigned expect_status = 200;
  std::string expect_body;  // substring every response body must contain ("" = no check)
  std::chrono::seconds timeout{10};
  tcp::resolver::results_type endpoints;
  // Chain mode (--chain-file): request = chain_head + Content-Length + body_before + value +
  // body_after, rebuilt for every request; chain_field is read from every response.
  bool chain = false;
  std::string chain_head;
  std::string body_before;
  std::string body_after;
  std::string chain_field;
  // Open loop (--rate): request k of connection i is due at schedule_start + (i + k C) / rate;
  // its latency runs from that due time, so a late send (the connection still waiting for the
  // previous answer, or a slow generator) counts against the server, not for it.
  double rate = 0;  // requests/s over all connections; 0 = closed loop
  unsigned connections = 1;
  Clock::time_point schedule_start;
  // MCP session mode (--mcp-session): each connection first opens its own session (initialize,
  // notifications/initialized) and sends every request with Mcp-Session-Id and
  // MCP-Protocol-Version.
  bool mcp_session = false;
  std::string protocol_version = "2025-11-25";
  std::string base_head;  // request line, Host, --header lines (no Content-Length, no blank line)
  std::string body;
};

// Counters of --open-sessions mode.
struct SessionOpening {
  std::uint64_t target = 0;
  std::atomic<std::uint64_t> claimed{0};
  std::atomic<std::uint64_t> opened{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> calls_failed{0};
};

struct ConnectionStats {
  std::vector<std::uint32_t> latencies_ns;  // measured requests only; capped at ~4.29 s
  std::uint64_t bad_status = 0;
  std::uint64_t bad_body = 0;
  std::uint64_t io_errors = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t warmup_requests = 0;
  std::uint64_t completed = 0;  // every response read, in any phase (for server CPU per request)
  std::uint64_t chain_breaks = 0;  // chain mode: responses that did not carry the next value
  std::string chain_value;         // chain mode: the value to send next
  std::uint64_t late_sends = 0;    // open loop: measured requests sent > 1 ms after their due time
  std::int64_t max_lag_ns = 0;     // open loop: the largest send delay behind the schedule
  std::uint64_t session_failures = 0;  // --mcp-session: sessions that could not be opened
};

// Reads HTTP/1.1 responses: status, Content-Length or chunked bodies, Connection: close. Much
// cheaper than a general parser (no header map, no allocation per response), so that the
// generator costs less CPU per request than the servers it measures.
class ResponseReader {
 public:
  struct Response {
    unsigned status = 0;
    bool keep_alive = true;
    bool body_matches = true;  // body contains the needle (or there is no needle)
    std::string session_id;    // the Mcp-Session-Id header, when the response has one
  };

  // Reads one whole response. On failure returns false with `ec` set (a protocol error is
  // reported as beast::http::error::bad_value).
  // `keep` keeps the body (body()) even without a needle.
  asio::awaitable<bool> read(beast::tcp_stream& stream, std::string_view needle, Response& out,
                             beast::error_code& ec, bool keep = false) {
    out = Response{};
    body_.clear();
    size_t header_end = 0;
    while ((header_end = find("\r\n\r\n")) == std::string_view::npos) {
      if (!co_await fill(stream, ec)) {
        co_return false;
      }
    }
    const std::string_view head(buf_.data() + begin_, header_end - begin_);
    begin_ = header_end + 4;

    // Status line: HTTP/1.x NNN reason
    if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ') {
      co_return bad(ec);
    }
    for (size_t i = 9; i < 12; ++i) {
      if (head[i] < '0' || head[i] > '9') {
        co_return bad(ec);
      }
    }
    const bool http10 = head[7] == '0';
    out.status = static_cast<unsigned>((head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0'));
    out.keep_alive = !http10;
    std::optional<size_t> content_length;
    bool chunked = false;
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
      const size_t line_start = pos + 2;
      size_t line_end = head.find("\r\n", line_start);
      const std::string_view line =
          head.substr(line_start, line_end == std::string_view::npos ? head.npos : line_end - line_start);
      pos = line_end;
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        continue;
      }
      const std::string_view name = line.substr(0, colon);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      if (iequals(name, "content-length")) {
        size_t n = 0;
        for (const char c : value) {
          if (c < '0' || c > '9') {
            break;
          }
          n = n * 10 + static_cast<size_t>(c - '0');
        }
        content_length = n;
      } else if (iequals(name, "transfer-encoding")) {
        chunked = icontains(value, "chunked");
      } else if (iequals(name, "mcp-session-id")) {
        out.session_id.assign(value.data(), value.size());
        while (!out.session_id.empty() && std::isspace(static_cast<unsigned char>(out.session_id.back()))) {
          out.session_id.pop_back();
        }
      } else if (iequals(name, "connection")) {
        if (icontains(value, "close")) {
          out.keep_alive = false;
        } else if (icontains(value, "keep-alive")) {
          out.keep_alive = true;
        }
      }
    }

    const bool keep_body = keep || !needle.empty();
    if (chunked) {
      while (true) {
        size_t line_end = 0;
        while ((line_end = find("\r\n")) == std::string_view::npos) {
          if (!co_await fill(stream, ec)) {
            co_return false;
          }
        }
        size_t size = 0;
        bool any_digit = false;
        for (size_t i = begin_; i < line_end; ++i) {
          const int d = hex_digit(buf_[i]);
          if (d < 0) {
            break;  // chunk extensions follow
          }
          size = size * 16 + static_cast<size_t>(d);
          any_digit = true;
        }
        if (!any_digit) {
          co_return bad(ec);
        }
        begin_ = line_end + 2;
        if (size == 0) {
          // Trailer fields, then an empty line.
          while (true) {
            while ((line_end = find("\r\n")) == std::string_view::npos) {
              if (!co_await fill(stream, ec)) {
                co_return false;
              }
            }
            const bool empty = line_end == begin_;
            begin_ = line_end + 2;
            if (empty) {
              break;
            }
          }
          break;
        }
        if (!co_await consume(stream, size + 2, keep_body, ec)) {  // data + CRLF
          co_return false;
        }
        if (keep_body) {
          body_.resize(body_.size() - 2);
        }
      }
    } else if (content_length) {
      if (!co_await consume(stream, *content_length, keep_body, ec)) {
        co_return false;
      }
    } else if (out.status >= 200 && out.status != 204 && out.status != 304) {
      // No length: the body runs to the end of the connection.
      out.keep_alive = false;
      while (true) {
        if (keep_body) {
          body_.append(buf_.data() + begin_, end_ - begin_);
        }
        begin_ = end_;
        if (!co_await fill(stream, ec)) {
          break;
        }
      }
      if (ec != asio::error::eof) {
        co_return false;
      }
      ec = {};
    }
    out.body_matches = needle.empty() || body_.find(needle) != std::string::npos;
    co_return true;
  }

  void reset() { begin_ = end_ = 0; }
  const std::string& body() const { return body_; }

 private:
  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  }
  static bool icontains(std::string_view haystack, std::string_view needle) {
    for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
      if (iequals(haystack.substr(i, needle.size()), needle)) {
        return true;
      }
    }
    return false;
  }
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
  static bool bad(beast::error_code& ec) {
    ec = http::error::bad_value;
    return false;
  }

  // Absolute index of `delim` in the unread bytes, or npos.
  size_t find(std::string_view delim) const {
    const std::string_view unread(buf_.data() + begin_, end_ - begin_);
    const size_t at = unread.find(delim);
    return at == std::string_view::npos ? at : begin_ + at;
  }

  // Reads more bytes after the unread ones (moving them to the front first). False on error or
  // when the buffer is full (a response head larger than the buffer).
  asio::awaitable<bool> fill(beast::tcp_stream& stream, beast::error_code& ec) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) {
      co_return bad(ec);
    }
    const size_t n = co_await stream.async_read_some(
        asio::buffer(buf_.data() + end_, buf_.size() - end_), redirect_error(use_awaitable, ec));
    end_ += n;
    co_return !ec;
  }

  // Consumes exactly `n` body bytes, reading as needed; appends them to body_ if `keep`.
  asio::awaitable<bool> consume(beast::tcp_stream& stream, size_t n, bool keep, beast::error_code& ec) {
    while (n > 0) {
      if (begin_ == end_ && !co_await fill(stream, ec)) {
        co_return false;
      }
      const size_t k = std::min(n, end_ - begin_);
      if (keep) {
        body_.append(buf_.data() + begin_, k);
      }
      begin_ += k;
      n -= k;
    }
    co_return true;
  }

  std::vector<char> buf_ = std::vector<char>(64 * 1024);
  size_t begin_ = 0;
  size_t end_ = 0;
  std::string body_;
};

// The value of the JSON string member `"field"` in `json` (no escapes expected: tokens are
// base64url), or nullopt.
std::optional<std::string_view> json_string_field(std::string_view json, std::string_view field) {
  size_t at = 0;
  while ((at = json.find(field, at)) != std::string_view::npos) {
    const size_t end = at + field.size();
    if (at == 0 || json[at - 1] != '"' || end >= json.size() || json[end] != '"') {
      at = end;
      continue;
    }
    size_t i = end + 1;
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) {
      ++i;
    }
    if (i >= json.size() || json[i] != ':') {
      at = end;
      continue;
    }
    ++i;
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) {
      ++i;
    }
    if (i >= json.size() || json[i] != '"') {
      return std::nullopt;
    }
    const size_t close = json.find('"', i + 1);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    return json.substr(i + 1, close - i - 1);
  }
  return std::nullopt;
}

// application/x-www-form-urlencoded value encoding (RFC 3986 unreserved characters kept).
void append_form_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

void build_chain_request(const Shared& shared, const std::string& value, std::string& out) {
  std::string body;
  body.reserve(shared.body_before.size() + value.size() * 3 + shared.body_after.size());
  body += shared.body_before;
  append_form_encoded(body, value);
  body += shared.body_after;
  out.clear();
  out += shared.chain_head;
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
}

std::string with_body(const std::string& head, std::string_view extra_headers,
                      std::string_view body) {
  std::string out = head;
  out += extra_headers;
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

// Opens one MCP session (2025-11-25 era) on `stream`: initialize, then
// notifications/initialized. Returns the session id, or "" on any failure.
asio::awaitable<std::string> open_mcp_session(const Shared& shared, beast::tcp_stream& stream,
                                              ResponseReader& reader) {
  beast::error_code ec;
  ResponseReader::Response res;
  const std::string init_body =
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")" +
      shared.protocol_version +
      R"(","capabilities":{},"clientInfo":{"name":"bench_loadgen","version":"1.0.0"}}})";
  stream.expires_after(shared.timeout);
  co_await asio::async_write(stream, asio::buffer(with_body(shared.base_head, "", init_body)),
                             redirect_error(use_awaitable, ec));
  if (ec || !co_await reader.read(stream, R"("result")", res, ec) || res.status != 200 ||
      !res.body_matches || res.session_id.empty()) {
    co_return std::string();
  }
  std::string session_id = res.session_id;
  const std::string extra =
      "Mcp-Session-Id: " + session_id + "\r\nMCP-Protocol-Version: " + shared.protocol_version + "\r\n";
  stream.expires_after(shared.timeout);
  co_await asio::async_write(
      stream,
      asio::buffer(with_body(shared.base_head, extra,
                             R"({"jsonrpc":"2.0","method":"notifications/initialized"})")),
      redirect_error(use_awaitable, ec));
  if (ec || !co_await reader.read(stream, "", res, ec) || res.status != 202) {
    co_return std::string();
  }
  co_return session_id;
}

// The request a session sends: the configured one with the session's headers.
std::string session_request(const Shared& shared, const std::string& session_id) {
  return with_body(shared.base_head,
                   "Mcp-Session-Id: " + session_id +
                       "\r\nMCP-Protocol-Version: " + shared.protocol_version + "\r\n",
                   shared.body);
}

// --open-sessions: opens sessions until `opening.target` were claimed, optionally sending the
// configured request once in each (when a body is given), and leaves them open.
asio::awaitable<void> open_sessions(Shared& shared, SessionOpening& opening, bool call_once) {
  auto executor = co_await asio::this_coro::executor;
  ResponseReader reader;
  ResponseReader::Response res;
  std::optional<beast::tcp_stream> stream;
  while (opening.claimed.fetch_add(1, std::memory_order_relaxed) < opening.target) {
    beast::error_code ec;
    if (!stream) {
      stream.emplace(executor);
      stream->expires_after(shared.timeout);
      co_await stream->async_connect(shared.endpoints, redirect_error(use_awaitable, ec));
      if (ec) {
        stream.reset();
        opening.failed.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      stream->socket().set_option(tcp::no_delay(true), ec);
      reader.reset();
    }
    const std::string id = co_await open_mcp_session(shared, *stream, reader);
    if (id.empty()) {
      opening.failed.fetch_add(1, std::memory_order_relaxed);
      stream.reset();
      continue;
    }
    opening.opened.fetch_add(1, std::memory_order_relaxed);
    if (call_once) {
      stream->expires_after(shared.timeout);
      co_await asio::async_write(*stream, asio::buffer(session_request(shared, id)),
                                 redirect_error(use_awaitable, ec));
      if (ec || !co_await reader.read(*stream, shared.expect_body, res, ec) ||
          res.status != shared.expect_status || !res.body_matches) {
        opening.calls_failed.fetch_add(1, std::memory_order_relaxed);
        stream.reset();
      }
    }
  }
  if (stream) {
    beast::error_code ec;
    stream->socket().close(ec);
  }
}

asio::awaitable<void> run_connection(Shared& shared, ConnectionStats& stats, unsigned index) {
  auto executor = co_await asio::this_coro::executor;
  ResponseReader reader;
  ResponseReader::Response res;
  std::string chain_request;
  std::string session_id;       // --mcp-session: this connection's session, opened once
  std::string own_request;      // --mcp-session: the request with the session's headers
  asio::steady_timer pacer(executor);
  std::uint64_t sent = 0;       // open loop: requests scheduled so far on this connection
  const bool open_loop = shared.rate > 0;
  const auto due_of = [&](std::uint64_t k) {
    const double s = (static_cast<double>(index) + static_cast<double>(k) * shared.connections) / shared.rate;
    return shared.schedule_start +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  bool first_connect = true;
  while (shared.phase.load(std::memory_order_relaxed) != kDone) {
    beast::tcp_stream stream(executor);
    beast::error_code ec;
    stream.expires_after(shared.timeout);
    co_await stream.async_connect(shared.endpoints, redirect_error(use_awaitable, ec));
    if (ec) {
      ++stats.io_errors;
      asio::steady_timer backoff(executor, std::chrono::milliseconds(50));
      co_await backoff.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    if (!first_connect) {
      ++stats.reconnects;
    }
    first_connect = false;
    stream.socket().set_option(tcp::no_delay(true), ec);
    reader.reset();
    if (shared.mcp_session && session_id.empty()) {
      session_id = co_await open_mcp_session(shared, stream, reader);
      if (session_id.empty()) {
        ++stats.session_failures;
        stream.socket().close(ec);
        co_return;  // counted as a failure; the connection stops
      }
      own_request = session_request(shared, session_id);
    }

    while (true) {
      auto t0 = Clock::now();
      if (open_loop) {
        const auto due = due_of(sent++);
        if (t0 < due) {
          pacer.expires_at(due);
          co_await pacer.async_wait(redirect_error(use_awaitable, ec));
          t0 = Clock::now();
        }
        if (shared.phase.load(std::memory_order_acquire) == kMeasure) {
          const auto lag = std::chrono::duration_cast<std::chrono::nanoseconds>(t0 - due).count();
          stats.max_lag_ns = std::max<std::int64_t>(stats.max_lag_ns, lag);
          if (lag > 1'000'000) {
            ++stats.late_sends;
          }
        }
        t0 = due;  // latency from the due time (coordinated omission)
      }
      const int phase_at_start = shared.phase.load(std::memory_order_acquire);
      if (phase_at_start == kDone) {
        co_return;
      }
      stream.expires_after(shared.timeout);
      if (shared.chain) {
        build_chain_request(shared, stats.chain_value, chain_request);
      }
      // Chosen before the co_await (tests/lint: no conditional inside a co_await expression).
      const std::string& body = shared.chain          ? chain_request
                                : shared.mcp_session ? own_request
                                                     : shared.request;
      co_await asio::async_write(stream, asio::buffer(body), redirect_error(use_awaitable, ec));
      if (ec) {
        ++stats.io_errors;
        break;
      }
      const bool ok = co_await reader.read(stream, shared.expect_body, res, ec, shared.chain);
      const auto t1 = Clock::now();
      if (!ok) {
        ++stats.io_errors;
        break;
      }
      ++stats.completed;
      const bool status_ok = res.status == shared.expect_status;
      bool chain_ok = true;
      if (shared.chain) {
        const auto next = status_ok ? json_string_field(reader.body(), shared.chain_field) : std::nullopt;
        if (next && !next->empty()) {
          stats.chain_value.assign(next->data(), next->size());
        } else {
          chain_ok = false;
        }
      }
      // Count only requests that started and ended inside the measurement window.
      const int phase_at_end = shared.phase.load(std::memory_order_acquire);
      if (phase_at_start == kMeasure && phase_at_end == kMeasure) {
        if (!status_ok) {
          ++stats.bad_status;
        } else if (!res.body_matches) {
          ++stats.bad_body;
        } else {
          const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
          stats.latencies_ns.push_back(
              static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX)));
        }
      } else if (phase_at_start == kWarmup) {
        ++stats.warmup_requests;
      }
      if (!chain_ok) {
        // The value this connection held is spent and no new one came back: stop it.
        ++stats.chain_breaks;
        stream.socket().close(ec);
        co_return;
      }
      if (!res.keep_alive) {
        break;  // the server closes; reconnect
      }
    }
    stream.socket().close(ec);
  }
}

double percentile_us(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
  return sorted[index] / 1000.0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HTTP/1.1 keep-alive load generator (closed loop, or open loop with --rate)"};
  std::string url = "http://127.0.0.1:8081/";
  unsigned connections = 32;
  unsigned threads = 1;
  double duration_s = 10;
  double warmup_s = 2;
  std::string method = "POST";
  std::string body;
  std::string body_file;
  std::vector<std::string> headers;
  unsigned expect_status = 200;
  std::string expect_body;
  unsigned timeout_s = 10;
  bool json = false;
  std::string label;
  std::string chain_file;
  std::string chain_field = "refresh_token";
  std::string chain_out;
  double rate = 0;
  bool mcp_session = false;
  std::string protocol_version = "2025-11-25";
  std::uint64_t open_session_count = 0;
  app.add_option("--url,-u", url, "Target, http://HOST:PORT/PATH")->required();
  app.add_option("--connections,-c", connections, "Keep-alive connections (one request in flight each)")
      ->check(CLI::Range(1U, 10000U));
  app.add_option("--threads,-t", threads, "io_context threads of the generator")->check(CLI::Range(1U, 256U));
  app.add_option("--duration,-d", duration_s, "Measurement seconds")->check(CLI::Range(0.1, 86400.0));
  app.add_option("--warmup,-w", warmup_s, "Warm-up seconds before measuring")->check(CLI::Range(0.0, 3600.0));
  app.add_option("--method,-m", method, "HTTP method");
  app.add_option("--body,-b", body, "Request body");
  app.add_option("--body-file", body_file, "Read the request body from a file")->excludes("--body");
  app.add_option("--header,-H", headers, "Extra header 'Name: value' (repeatable)");
  app.add_option("--expect-status", expect_status, "Status a response must have to count as success");
  app.add_option("--expect-body", expect_body, "Substring every response body must contain");
  app.add_option("--timeout", timeout_s, "Per-operation timeout in seconds");
  app.add_option("--label", label, "Name to put in the report");
  app.add_flag("--json", json, "Print one JSON object instead of text");
  app.add_option("--chain-file", chain_file,
                 "Chain mode: one starting value per connection (line i for connection i); "
                 "{chain} in the body is replaced by the connection's current value");
  app.add_option("--chain-field", chain_field, "Chain mode: JSON string field holding the next value");
  app.add_option("--chain-out", chain_out, "Chain mode: write the unbroken chains' current values here");
  app.add_option("--rate", rate,
                 "Open loop: send this many requests/s in total on a fixed schedule (spread over the "
                 "connections); latency is measured from each request's scheduled time")
      ->check(CLI::Range(0.001, 1e7));
  app.add_flag("--mcp-session", mcp_session,
               "Each connection first opens an MCP session (initialize + notifications/initialized) "
               "and sends every request in it (Mcp-Session-Id, MCP-Protocol-Version)");
  app.add_option("--protocol-version", protocol_version,
                 "--mcp-session / --open-sessions: the protocol version");
  app.add_option("--open-sessions", open_session_count,
                 "Only open this many MCP sessions over the connections (and, with --body, send the "
                 "request once in each), leave them open, print a summary and exit")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  CLI11_PARSE(app, argc, argv);
  if (!chain_file.empty() && (mcp_session || rate > 0 || open_session_count > 0)) {
    std::cerr << "--chain-file does not combine with --mcp-session, --rate or --open-sessions\n";
    return 2;
  }

  Target target;
  if (!parse_url(url, target)) {
    std::cerr << "unsupported --url (want http://HOST:PORT/PATH): " << url << "\n";
    return 2;
  }
  if (!body_file.empty()) {
    try {
      body = read_file(body_file);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
  }

  std::vector<std::string> chain_values;
  if (!chain_file.empty()) {
    std::ifstream in(chain_file);
    if (!in) {
      std::cerr << "cannot read --chain-file " << chain_file << "\n";
      return 2;
    }
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.pop_back();
      }
      if (!line.empty()) {
        chain_values.push_back(line);
      }
    }
    if (chain_values.size() < connections) {
      std::cerr << "--chain-file has " << chain_values.size() << " values for " << connections
                << " connections\n";
      return 2;
    }
    if (body.find("{chain}") == std::string::npos) {
      std::cerr << "chain mode needs {chain} in the body\n";
      return 2;
    }
  }

  Shared shared;
  shared.expect_status = expect_status;
  shared.expect_body = expect_body;
  shared.timeout = std::chrono::seconds(timeout_s);
  {
    std::string req = method + " " + target.path + " HTTP/1.1\r\n";
    req += "Host: " + target.host + ":" + target.port + "\r\n";
    bool has_content_type = false;
    for (const auto& h : headers) {
      if (h.find(':') == std::string::npos) {
        std::cerr << "bad --header (want 'Name: value'): " << h << "\n";
        return 2;
      }
      std::string name = h.substr(0, h.find(':'));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (name == "content-length" || name == "host" || name == "transfer-encoding") {
        std::cerr << "--header " << name << " is set by the generator\n";
        return 2;
      }
      has_content_type = has_content_type || name == "content-type";
      req += h + "\r\n";
    }
    if (!body.empty() && !has_content_type) {
      req += "Content-Type: application/json\r\n";
    }
    shared.base_head = req;
    shared.body = body;
    if (!chain_values.empty()) {
      shared.chain = true;
      shared.chain_head = req;
      const size_t at = body.find("{chain}");
      shared.body_before = body.substr(0, at);
      shared.body_after = body.substr(at + 7);
      shared.chain_field = chain_field;
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    shared.request = std::move(req);
  }

  asio::io_context ioc(static_cast<int>(threads));
  try {
    tcp::resolver resolver(ioc);
    shared.endpoints = resolver.resolve(target.host, target.port);
  } catch (const std::exception& e) {
    std::cerr << "cannot resolve " << target.host << ":" << target.port << ": " << e.what() << "\n";
    return 2;
  }

  shared.rate = rate;
  shared.connections = connections;
  shared.mcp_session = mcp_session;
  shared.protocol_version = protocol_version;

  if (open_session_count > 0) {
    SessionOpening opening;
    opening.target = open_session_count;
    const bool call_once = !body.empty();
    const auto t0 = Clock::now();
    for (unsigned i = 0; i < connections; ++i) {
      asio::co_spawn(asio::make_strand(ioc), open_sessions(shared, opening, call_once), asio::detached);
    }
    ioc.run();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    nlohmann::json out = {{"label", label},
                          {"url", url},
                          {"connections", connections},
                          {"sessions_opened", opening.opened.load()},
                          {"sessions_failed", opening.failed.load()},
                          {"calls", call_once ? opening.opened.load() : 0},
                          {"calls_failed", opening.calls_failed.load()},
                          {"seconds", secs}};
    std::cout << out.dump() << std::endl;
    return (opening.failed.load() > 0 || opening.calls_failed.load() > 0) ? 1 : 0;
  }

  std::vector<ConnectionStats> stats(connections);
  for (unsigned i = 0; i < connections; ++i) {
    stats[i].latencies_ns.reserve(1 << 16);
    if (shared.chain) {
      stats[i].chain_value = chain_values[i];
    }
  }
  for (unsigned i = 0; i < connections; ++i) {
    asio::co_spawn(asio::make_strand(ioc), run_connection(shared, stats[i], i), asio::detached);
  }
  shared.schedule_start = Clock::now();

  Clock::time_point measure_end;
  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(to_duration(warmup_s));
        co_await timer.async_wait(use_awaitable);
        shared.measure_start = Clock::now();
        shared.phase.store(kMeasure, std::memory_order_release);
        timer.expires_after(to_duration(duration_s));
        co_await timer.async_wait(use_awaitable);
        shared.phase.store(kDone, std::memory_order_release);
        measure_end = Clock::now();
      },
      asio::detached);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : pool) {
    t.join();
  }

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  const double cpu_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);

  std::vector<std::uint32_t> all;
  ConnectionStats total;
  for (auto& s : stats) {
    all.insert(all.end(), s.latencies_ns.begin(), s.latencies_ns.end());
    total.bad_status += s.bad_status;
    total.bad_body += s.bad_body;
    total.io_errors += s.io_errors;
    total.reconnects += s.reconnects;
    total.warmup_requests += s.warmup_requests;
    total.completed += s.completed;
    total.chain_breaks += s.chain_breaks;
    total.late_sends += s.late_sends;
    total.max_lag_ns = std::max(total.max_lag_ns, s.max_lag_ns);
    total.session_failures += s.session_failures;
  }
  std::size_t chains_written = 0;  // unbroken chains (written to --chain-out when given)
  if (shared.chain) {
    std::ofstream out;
    if (!chain_out.empty()) {
      out.open(chain_out, std::ios::trunc);
    }
    for (const auto& s : stats) {
      if (s.chain_breaks == 0) {
        if (out.is_open()) {
          out << s.chain_value << "\n";
        }
        ++chains_written;
      }
    }
    // Values no connection used (more lines than connections) stay available for the next run.
    for (size_t i = connections; i < chain_values.size() && out.is_open(); ++i) {
      out << chain_values[i] << "\n";
    }
    if (!chain_out.empty() && !out) {
      std::cerr << "cannot write --chain-out " << chain_out << "\n";
    }
  }
  std::sort(all.begin(), all.end());
  const double window = std::chrono::duration<double>(measure_end - shared.measure_start).count();
  const double rps = window > 0 ? static_cast<double>(all.size()) / window : 0;
  const double mean_us =
      all.empty() ? 0
                  : std::accumulate(all.begin(), all.end(), 0.0) / static_cast<double>(all.size()) / 1000.0;
  const double max_us = all.empty() ? 0 : all.back() / 1000.0;
  const std::uint64_t failures =
      total.bad_status + total.bad_body + total.io_errors + total.chain_breaks + total.session_failures;

  if (json) {
    nlohmann::json out = {
        {"label", label},
        {"url", url},
        {"connections", connections},
        {"threads", threads},
        {"warmup_s", warmup_s},
        {"duration_s", window},
        {"requests", all.size()},
        {"completed_total", total.completed},
        // The generator's own CPU per response: when it nears 1e6 / rps the generator, not the
        // server, is the bottleneck.
        {"generator_cpu_us_per_request",
         total.completed > 0 ? cpu_s * 1e6 / static_cast<double>(total.completed) : 0.0},
        {"rps", rps},
        {"latency_us",
         {{"p50", percentile_us(all, 50)},
          {"p90", percentile_us(all, 90)},
          {"p99", percentile_us(all, 99)},
          {"p999", percentile_us(all, 99.9)},
          {"mean", mean_us},
          {"max", max_us}}},
        {"errors",
         {{"status", total.bad_status},
          {"body", total.bad_body},
          {"io", total.io_errors},
          {"chain", total.chain_breaks},
          {"session", total.session_failures},
          {"reconnects", total.reconnects}}}};
    out["mode"] = rate > 0 ? "open" : "closed";
    if (rate > 0) {
      out["target_rate"] = rate;
      out["late_sends"] = total.late_sends;
      out["max_lag_us"] = static_cast<double>(total.max_lag_ns) / 1000.0;
    }
    if (mcp_session) {
      out["mcp_session"] = protocol_version;
    }
    if (shared.chain) {
      out["chains_unbroken"] = chains_written;
    }
    std::cout << out.dump() << std::endl;
  } else {
    const std::string title = label.empty() ? url : "[" + label + "] " + url;
    std::printf("%s: %u connections, %u thread(s), %.1f s warm-up, %.2f s measured\n",
                title.c_str(), connections, threads, warmup_s, window);
    std::printf("  requests   %zu  (%.0f req/s)\n", all.size(), rps);
    std::printf("  latency us p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  mean %.1f  max %.1f\n",
                percentile_us(all, 50), percentile_us(all, 90), percentile_us(all, 99),
                percentile_us(all, 99.9), mean_us, max_us);
    if (rate > 0) {
      std::printf("  open loop  target %.0f req/s; %llu sends > 1 ms late, max lag %.1f us\n", rate,
                  static_cast<unsigned long long>(total.late_sends),
                  static_cast<double>(total.max_lag_ns) / 1000.0);
    }
    std::printf("  generator  %.1f us CPU per request\n",
                total.completed > 0 ? cpu_s * 1e6 / static_cast<double>(total.completed) : 0.0);
    std::printf("  errors     status %llu  body %llu  io %llu  chain %llu  session %llu  (reconnects %llu)\n",
                static_cast<unsigned long long>(total.bad_status),
                static_cast<unsigned long long>(total.bad_body),
                static_cast<unsigned long long>(total.io_errors),
                static_cast<unsigned long long>(total.chain_breaks),
                static_cast<unsigned long long>(total.session_failures),
                static_cast<unsigned long long>(total.reconnects));
  }
  return (all.empty() || failures > 0) ? 1 : 0;
}
