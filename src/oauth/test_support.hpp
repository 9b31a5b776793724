#pragma once
// TEST ONLY (included by src/oauth/*_test.cpp): an in-memory http::Exchange, a harness that
// runs a real AuthorizationServer (SQLite store, executor, controllable clock) behind a router,
// and a cookie-keeping "browser" that walks the login and consent pages.

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/master_key.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/form.hpp"
#include "oauth/pkce.hpp"
#include "store/executor.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::oauth::testing {

using Json = nlohmann::json;

class FakeExchange final : public http::Exchange {
 public:
  FakeExchange(asio::any_io_executor executor, http::Request req, std::string ip = "127.0.0.1")
      : executor_(std::move(executor)), req_(std::move(req)), ip_(std::move(ip)) {}

  const http::Request& request() const override { return req_; }
  const std::string& remote_ip() const override { return ip_; }
  const std::string& request_id() const override { return id_; }
  bool secure() const override { return false; }
  bool loopback_bind() const override { return true; }
  asio::any_io_executor executor() const override { return executor_; }
  asio::awaitable<void> respond(http::Response res) override {
    response_ = std::move(res);
    ++responses_;
    co_return;
  }
  asio::awaitable<bool> start_stream(http::Response head) override {
    response_ = std::move(head);
    co_return false;
  }
  asio::awaitable<bool> write(std::string) override { co_return false; }
  asio::awaitable<void> finish() override { co_return; }
  void on_peer_closed(std::function<void()>) override {}
  bool peer_closed() const override { return false; }

  int responses() const { return responses_; }
  unsigned status() const { return response_ ? response_->result_int() : 0; }
  std::string header(std::string_view name) const {
    if (!response_) {
      return {};
    }
    auto it = response_->find(name);
    return it == response_->end() ? std::string() : std::string(it->value());
  }
  std::vector<std::string> headers(http::Field field) const {
    std::vector<std::string> out;
    if (response_) {
      for (auto it = response_->find(field); it != response_->end() && it->name() == field; ++it) {
        out.emplace_back(it->value());
      }
    }
    return out;
  }
  bool has_header(std::string_view name) const {
    return response_ && response_->find(name) != response_->end();
  }
  const std::string& body() const {
    static const std::string kEmpty;
    return response_ ? response_->body() : kEmpty;
  }
  Json json() const { return Json::parse(body(), nullptr, false); }

 private:
  asio::any_io_executor executor_;
  http::Request req_;
  std::string ip_;
  std::string id_ = "test";
  std::optional<http::Response> response_;
  int responses_ = 0;
};

struct Call {
  http::bhttp::verb method = http::bhttp::verb::get;
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string ip = "127.0.0.1";
};

inline Call form_post(std::string target, const std::vector<std::pair<std::string, std::string>>& form,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  Call c;
  c.method = http::bhttp::verb::post;
  c.target = std::move(target);
  c.headers = std::move(headers);
  c.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  c.body = encode_form(form);
  return c;
}

inline std::string basic(std::string_view id, std::string_view secret) {
  const std::string raw = percent_encode(id) + ":" + percent_encode(secret);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(raw[i]) << 16) |
                       (static_cast<unsigned char>(raw[i + 1]) << 8) |
                       static_cast<unsigned char>(raw[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == raw.size()) {
    const unsigned n = static_cast<unsigned char>(raw[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == raw.size()) {
    const unsigned n = (static_cast<unsigned char>(raw[i]) << 16) |
                       (static_cast<unsigned char>(raw[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return "Basic " + out;
}

// The value of query parameter `name` in a URL ("" when absent).
inline std::string query_param(const std::string& url, const std::string& name) {
  auto params = parse_form(query_of(url));
  return params ? params->value(name) : std::string();
}
inline std::size_t query_count(const std::string& url, const std::string& name) {
  auto params = parse_form(query_of(url));
  return params ? params->count(name) : 0;
}

// value="..." of the input named `name` in an HTML page ("" when absent).
inline std::string form_field(const std::string& html, const std::string& name) {
  const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  std::smatch m;
  if (std::regex_search(html, m, re)) {
    std::string v = m[1];
    for (const auto& [ent, ch] : std::vector<std::pair<std::string, std::string>>{
             {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
      for (std::size_t pos = v.find(ent); pos != std::string::npos; pos = v.find(ent, pos)) {
        v.replace(pos, ent.size(), ch);
      }
    }
    return v;
  }
  return {};
}

inline const char* kAppRedirect = "https://app.example.com/cb";
inline const char* kTestIssuer = "http://127.0.0.1:8080";
inline const char* kTestResource = "http://127.0.0.1:8080/mcp";
inline const char* kOpsSecret = "ops:Secret%e2e&+/=_0123456789abcdef";
inline const char* kAlicePassword = "alice-test-pass";

// The contract's example configuration.
inline AuthOptions test_options() {
  AuthOptions o;
  o.enabled = true;
  o.issuer = kTestIssuer;
  o.resources = {kTestResource};
  o.users = {{"alice", kAlicePassword}, {"bob", "bob-test-pass"}};
  o.clients = {
      StaticClientOptions{"ops-dashboard", kOpsSecret, {"https://ops.example.com/cb"}, "client_secret_basic", "Ops Dashboard"},
      StaticClientOptions{"public-app", "", {"http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb", "https://app.example.com/cb"}, "none", "Public App"},
      StaticClientOptions{"post-client", "post-secret-0123456789", {"https://post.example.com/cb"}, "client_secret_post", ""},
  };
  o.scopes = {{"calendar:read", {"list_events", "get_availability"}},
              {"calendar:write", {"create_event", "delete_event"}},
              {"mail:read", {"search_messages", "read_message"}},
              {"mail:write", {"send_message", "delete_message"}}};
  o.scope_implies = {{"calendar:write", {"calendar:read"}}, {"mail:write", {"mail:read"}}};
  o.dcr.registrations_per_minute = 1000;
  o.limits.token_requests_per_minute = 100000;
  o.limits.login_attempts_per_minute = 1000;
  return o;
}

// Surfaces exceptions escaping a handler (`detached` would swallow them).
struct Rethrow {
  void operator()(const std::exception_ptr& e) const {
    if (e) {
      std::rethrow_exception(e);
    }
  }
};

class Harness {
 public:
  struct Setup {
    AuthOptions options = test_options();
    bool file_db = false;           // a temp-file database (real reader pool) instead of :memory:
    std::size_t executor_threads = 4;
    CimdResolver* cimd = nullptr;
  };

  Harness() : Harness(Setup{}) {}
  explicit Harness(Setup setup) : executor_(setup.executor_threads) {
    auto key = crypto::MasterKey::from_bytes(std::string(32, '\x42'));
    store::SqliteOptions so;
    if (setup.file_db) {
      dir_ = std::filesystem::temp_directory_path() /
             ("mcpgate-oauth-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter()++));
      std::filesystem::create_directories(dir_);
      so.path = (dir_ / "test.db").string();
    } else {
      so.path = ":memory:";
    }
    auto opened = store::open_sqlite_store(so, *key);
    if (!opened) {
      throw std::runtime_error("store: " + opened.error().message);
    }
    store_ = std::move(opened).value();
    now_ = 1'800'000'000;
    auto as = AuthorizationServer::create(setup.options, *store_, executor_, setup.cimd,
                                          [this] { return now_.load(); });
    if (!as) {
      throw std::runtime_error("authorization server: " + as.error().message);
    }
    as_ = std::move(as).value();
    as_->register_routes(router_);
  }

  ~Harness() {
    as_.reset();
    executor_.join();
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  std::unique_ptr<FakeExchange> call(const Call& c) {
    asio::io_context ioc;
    auto ex = make_exchange(ioc.get_executor(), c);
    asio::co_spawn(ioc, router_.dispatch(*ex), Rethrow());
    ioc.run();
    return ex;
  }

  // Runs all calls concurrently on `threads` threads; returns the exchanges in order.
  std::vector<std::unique_ptr<FakeExchange>> call_concurrently(const std::vector<Call>& calls,
                                                              int threads = 4) {
    // The exchanges hold strands of this io_context and outlive this call: the harness keeps it.
    concurrent_iocs_.push_back(std::make_unique<asio::io_context>(threads));
    asio::io_context& ioc = *concurrent_iocs_.back();
    std::vector<std::unique_ptr<FakeExchange>> out;
    for (const auto& c : calls) {
      out.push_back(make_exchange(asio::make_strand(ioc), c));
    }
    for (auto& ex : out) {
      asio::co_spawn(ex->executor(), router_.dispatch(*ex), Rethrow());
    }
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) {
      pool.emplace_back([&] { ioc.run(); });
    }
    ioc.run();
    for (auto& t : pool) {
      t.join();
    }
    return out;
  }

  template <class T>
  T run(asio::awaitable<T> aw) {
    asio::io_context ioc;
    std::optional<T> out;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
        asio::detached);
    ioc.run();
    return std::move(*out);
  }

  store::Store& store() { return *store_; }
  store::Executor& executor() { return executor_; }
  AuthorizationServer& as() { return *as_; }
  http::Router& router() { return router_; }
  std::int64_t now() const { return now_.load(); }
  void advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::vector<std::unique_ptr<asio::io_context>> concurrent_iocs_;
  static std::atomic<int>& counter() {
    static std::atomic<int> c{0};
    return c;
  }
  static std::unique_ptr<FakeExchange> make_exchange(asio::any_io_executor executor, const Call& c) {
    http::Request req{c.method, c.target, 11};
    req.set(http::Field::host, "127.0.0.1:8080");
    for (const auto& [k, v] : c.headers) {
      req.insert(k, v);
    }
    req.body() = c.body;
    req.prepare_payload();
    return std::make_unique<FakeExchange>(std::move(executor), std::move(req), c.ip);
  }

  std::filesystem::path dir_;
  store::Executor executor_;
  std::unique_ptr<store::Store> store_;
  std::atomic<std::int64_t> now_{0};
  std::unique_ptr<AuthorizationServer> as_;
  http::Router router_;
};

// A browser: keeps the session cookie and walks the pages.
class Browser {
 public:
  explicit Browser(Harness& h, std::string cookie_name = "mcpgate_session")
      : h_(h), cookie_name_(std::move(cookie_name)) {}

  std::unique_ptr<FakeExchange> get(const std::string& target) {
    Call c;
    c.target = target;
    add_cookie(c);
    auto ex = h_.call(c);
    keep_cookie(*ex);
    return ex;
  }
  std::unique_ptr<FakeExchange> post(const std::string& target,
                                     const std::vector<std::pair<std::string, std::string>>& form,
                                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    Call c = form_post(target, form, std::move(headers));
    add_cookie(c);
    auto ex = h_.call(c);
    keep_cookie(*ex);
    return ex;
  }

  // Submits the login form of `page`.
  std::unique_ptr<FakeExchange> login(const FakeExchange& page, const std::string& user,
                                      const std::string& password) {
    return post("/login", {{"flow", form_field(page.body(), "flow")},
                           {"csrf", form_field(page.body(), "csrf")},
                           {"username", user},
                           {"password", password}});
  }
  std::unique_ptr<FakeExchange> decide(const FakeExchange& page, const std::string& decision) {
    return post("/consent", {{"flow", form_field(page.body(), "flow")},
                             {"csrf", form_field(page.body(), "csrf")},
                             {"decision", decision}});
  }

  // GET /authorize, log in as `user` when asked, decide on consent when asked; returns the
  // final response (the redirect to the client, or a page the walk cannot handle).
  std::unique_ptr<FakeExchange> authorize(const std::string& target, const std::string& user = "alice",
                                          const std::string& password = kAlicePassword,
                                          const std::string& decision = "approve") {
    auto res = get(target);
    for (int hop = 0; hop < 10; ++hop) {
      const std::string location = res->header("Location");
      if (res->status() == 303 && location.rfind("/", 0) == 0) {
        res = get(location);
        continue;
      }
      if (res->status() != 200) {
        return res;
      }
      if (res->body().find("name=\"password\"") != std::string::npos) {
        res = login(*res, user, password);
      } else if (res->body().find("name=\"decision\"") != std::string::npos) {
        res = decide(*res, decision);
      } else {
        return res;
      }
    }
    return res;
  }

  std::string cookie() const { return cookie_; }
  void set_cookie(std::string v) { cookie_ = std::move(v); }

 private:
  void add_cookie(Call& c) const {
    if (!cookie_.empty()) {
      c.headers.emplace_back("Cookie", cookie_name_ + "=" + cookie_);
    }
  }
  void keep_cookie(const FakeExchange& ex) {
    for (const auto& sc : ex.headers(http::Field::set_cookie)) {
      const std::string prefix = cookie_name_ + "=";
      if (sc.rfind(prefix, 0) != 0) {
        continue;
      }
      const std::string value = sc.substr(prefix.size(), sc.find(';') - prefix.size());
      cookie_ = sc.find("Max-Age=0") != std::string::npos ? std::string() : value;
    }
  }

  Harness& h_;
  std::string cookie_name_;
  std::string cookie_;
};

struct Pkce {
  std::string verifier;
  std::string challenge;
};
inline Pkce new_pkce() {
  Pkce p;
  p.verifier = "verifier-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
               std::string(40, 'x');
  p.challenge = s256_challenge(p.verifier);
  return p;
}

inline std::string authorize_target(const std::vector<std::pair<std::string, std::string>>& params) {
  return "/authorize?" + encode_form(params);
}

}  // namespace mcpgate::oauth::testing

namespace mcpgate::oauth::testing {

struct Authorized {
  std::string code;
  std::string state;
  Pkce pkce;
  std::string redirect_uri;
  std::shared_ptr<FakeExchange> final;  // the last response (the redirect to the client)
};

// Walks /authorize for `client_id` with PKCE and returns the code (empty when none came back).
inline Authorized authorize_code(Harness& h, Browser& b, const std::string& client_id,
                                 const std::string& redirect_uri,
                                 const std::string& scope = "calendar:read",
                                 std::vector<std::pair<std::string, std::string>> extra = {},
                                 const std::string& user = "alice",
                                 const std::string& password = kAlicePassword) {
  (void)h;
  Authorized out;
  out.pkce = new_pkce();
  out.state = "state-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  out.redirect_uri = redirect_uri;
  std::vector<std::pair<std::string, std::string>> params = {
      {"response_type", "code"},
      {"client_id", client_id},
      {"redirect_uri", redirect_uri},
      {"scope", scope},
      {"state", out.state},
      {"code_challenge", out.pkce.challenge},
      {"code_challenge_method", "S256"},
      {"resource", kTestResource}};
  params.insert(params.end(), extra.begin(), extra.end());
  out.final = b.authorize(authorize_target(params), user, password);
  const std::string location = out.final->header("Location");
  if (location.rfind(redirect_uri, 0) == 0) {
    out.code = query_param(location, "code");
  }
  return out;
}

inline Call token_call(std::vector<std::pair<std::string, std::string>> form,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  return form_post("/token", form, std::move(headers));
}

// grant_type=authorization_code for a public client.
inline Call code_exchange(const Authorized& a, const std::string& client_id,
                          std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "authorization_code"},
                                                           {"code", a.code},
                                                           {"redirect_uri", a.redirect_uri},
                                                           {"code_verifier", a.pkce.verifier},
                                                           {"client_id", client_id},
                                                           {"resource", kTestResource}};
  form.insert(form.end(), extra.begin(), extra.end());
  return token_call(form);
}

inline Call refresh_call(const std::string& refresh_token, const std::string& client_id,
                         std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"client_id", client_id}};
  form.insert(form.end(), extra.begin(), extra.end());
  return token_call(form);
}

// Decodes a JWT's payload (no verification).
inline Json jwt_payload(const std::string& token, int part = 1) {
  const std::size_t a = token.find('.');
  const std::size_t b = token.find('.', a + 1);
  std::string segment = part == 0 ? token.substr(0, a) : token.substr(a + 1, b - a - 1);
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : segment) {
    const std::size_t v = kAlphabet.find(c);
    if (v == std::string::npos) {
      break;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return Json::parse(out, nullptr, false);
}

}  // namespace mcpgate::oauth::testing
