// bench_loadgen: a closed-loop HTTP/1.1 load generator. C keep-alive connections each send one
// request, wait for the whole response, and send the next; after a warm-up, every request that
// starts and completes inside the measurement window is timed. Prints throughput and latency
// percentiles (nearest rank), or one JSON object with --json.
//
//   bench_loadgen --url http://127.0.0.1:8081/mcp -c 32 -d 10 -w 2
//       --body '{"jsonrpc":"2.0",...}' -H 'Content-Type: application/json' [--json]
//
// Closed loop means the offered load adapts to the server: throughput is what C connections
// achieve with one request in flight each. Latency is measured from the first byte written to the
// last byte of the response read, so it includes the generator's own parsing (small; pin the
// generator to its own core).
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

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
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
};

struct ConnectionStats {
  std::vector<std::uint32_t> latencies_ns;  // measured requests only; capped at ~4.29 s
  std::uint64_t bad_status = 0;
  std::uint64_t bad_body = 0;
  std::uint64_t io_errors = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t warmup_requests = 0;
};

asio::awaitable<void> run_connection(Shared& shared, ConnectionStats& stats) {
  auto executor = co_await asio::this_coro::executor;
  beast::flat_buffer buffer;
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
    buffer.clear();

    while (true) {
      const int phase_at_start = shared.phase.load(std::memory_order_acquire);
      if (phase_at_start == kDone) {
        co_return;
      }
      const auto t0 = Clock::now();
      stream.expires_after(shared.timeout);
      co_await asio::async_write(stream, asio::buffer(shared.request), redirect_error(use_awaitable, ec));
      if (ec) {
        ++stats.io_errors;
        break;
      }
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
      const auto t1 = Clock::now();
      if (ec) {
        ++stats.io_errors;
        break;
      }
      const auto& res = parser.get();
      const bool status_ok = res.result_int() == shared.expect_status;
      const bool body_ok = shared.expect_body.empty() ||
                           res.body().find(shared.expect_body) != std::string::npos;
      // Count only requests that started and ended inside the measurement window.
      const int phase_at_end = shared.phase.load(std::memory_order_acquire);
      if (phase_at_start == kMeasure && phase_at_end == kMeasure) {
        if (!status_ok) {
          ++stats.bad_status;
        } else if (!body_ok) {
          ++stats.bad_body;
        } else {
          const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
          stats.latencies_ns.push_back(
              static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX)));
        }
      } else if (phase_at_start == kWarmup) {
        ++stats.warmup_requests;
      }
      if (!res.keep_alive()) {
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
  CLI::App app{"Closed-loop HTTP/1.1 keep-alive load generator"};
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
  CLI11_PARSE(app, argc, argv);

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

  std::vector<ConnectionStats> stats(connections);
  for (auto& s : stats) {
    s.latencies_ns.reserve(1 << 16);
  }
  for (unsigned i = 0; i < connections; ++i) {
    asio::co_spawn(asio::make_strand(ioc), run_connection(shared, stats[i]), asio::detached);
  }

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

  std::vector<std::uint32_t> all;
  ConnectionStats total;
  for (auto& s : stats) {
    all.insert(all.end(), s.latencies_ns.begin(), s.latencies_ns.end());
    total.bad_status += s.bad_status;
    total.bad_body += s.bad_body;
    total.io_errors += s.io_errors;
    total.reconnects += s.reconnects;
    total.warmup_requests += s.warmup_requests;
  }
  std::sort(all.begin(), all.end());
  const double window = std::chrono::duration<double>(measure_end - shared.measure_start).count();
  const double rps = window > 0 ? static_cast<double>(all.size()) / window : 0;
  const double mean_us =
      all.empty() ? 0
                  : std::accumulate(all.begin(), all.end(), 0.0) / static_cast<double>(all.size()) / 1000.0;
  const double max_us = all.empty() ? 0 : all.back() / 1000.0;
  const std::uint64_t failures = total.bad_status + total.bad_body + total.io_errors;

  if (json) {
    nlohmann::json out = {
        {"label", label},
        {"url", url},
        {"connections", connections},
        {"threads", threads},
        {"warmup_s", warmup_s},
        {"duration_s", window},
        {"requests", all.size()},
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
          {"reconnects", total.reconnects}}}};
    std::cout << out.dump() << std::endl;
  } else {
    const std::string title = label.empty() ? url : "[" + label + "] " + url;
    std::printf("%s: %u connections, %u thread(s), %.1f s warm-up, %.2f s measured\n",
                title.c_str(), connections, threads, warmup_s, window);
    std::printf("  requests   %zu  (%.0f req/s)\n", all.size(), rps);
    std::printf("  latency us p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  mean %.1f  max %.1f\n",
                percentile_us(all, 50), percentile_us(all, 90), percentile_us(all, 99),
                percentile_us(all, 99.9), mean_us, max_us);
    std::printf("  errors     status %llu  body %llu  io %llu  (reconnects %llu)\n",
                static_cast<unsigned long long>(total.bad_status),
                static_cast<unsigned long long>(total.bad_body),
                static_cast<unsigned long long>(total.io_errors),
                static_cast<unsigned long long>(total.reconnects));
  }
  return (all.empty() || failures > 0) ? 1 : 0;
}
