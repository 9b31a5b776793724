#include "app/observability_routes.hpp"

#include <atomic>
#include <memory>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "crypto/hash.hpp"
#include "http/message.hpp"
#include "metrics/registry.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::app {
namespace {

constexpr std::string_view kExpositionType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kChallenge = "Bearer realm=\"mcpgate-metrics\"";

struct State {
  ReadinessCheck ready;
  std::shared_ptr<MetricsToken> token;  // /metrics is open while it holds none
  const metrics::Registry* registry = nullptr;
  // -1 unknown (start), 0 not ready, 1 ready: only changes are logged, not every probe.
  mutable std::atomic<int> last_ready{-1};
};

bool get_or_head(const http::Request& req) {
  return req.method() == http::bhttp::verb::get || req.method() == http::bhttp::verb::head;
}

http::Response no_store(http::Response res) {
  res.set(http::Field::cache_control, "no-store");
  return res;
}

// The JSON answers are built outside the coroutines: g++ 12 miscompiles ("array used as
// initializer") a braced list of string literals inside a coroutine.
http::Response json(http::StatusCode status, const nlohmann::json& body) {
  return no_store(http::make_response(status, body.dump() + "\n", "application/json"));
}

http::Response status_ok() {
  return json(http::StatusCode::ok, {{"status", "ok"}});
}

// The /readyz answer for the check's result; changes between ready and not ready are logged.
http::Response readiness_answer(const State& state, const Status& ready) {
  const int now = ready.ok() ? 1 : 0;
  if (state.last_ready.exchange(now) != now) {
    if (ready.ok()) {
      log::info("ready");
    } else {
      log::warn(
          "not_ready",
          {{"reason", error_code_name(ready.error().code)}, {"error", ready.error().message}});
    }
  }
  if (ready.ok()) {
    return status_ok();
  }
  return json(http::StatusCode::service_unavailable,
              {{"status", "unavailable"}, {"reason", error_code_name(ready.error().code)}});
}

http::Response method_not_allowed() {
  http::Response res = http::make_json_error(
      http::StatusCode::method_not_allowed, "method_not_allowed", "Only GET and HEAD are allowed");
  res.set(http::Field::allow, "GET, HEAD");
  return res;
}

// The token of the request's one "Authorization: Bearer <token>" field, or "".
std::string_view bearer_token(const http::Request& req) {
  if (req.count(http::Field::authorization) != 1) {
    return {};
  }
  const std::string_view value = http::trim_ows(req[http::Field::authorization]);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || value[kScheme.size()] != ' ') {
    return {};
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if ((value[i] | 0x20) != kScheme[i]) {  // ASCII case folding: the scheme is a token
      return {};
    }
  }
  return http::trim_ows(value.substr(kScheme.size()));
}

bool authorized(const State& state, const http::Request& req) {
  const std::string digest = state.token->digest();
  if (digest.empty()) {
    return true;
  }
  const std::string_view token = bearer_token(req);
  // Digests have a fixed length, so the comparison's time says nothing about the token's.
  return !token.empty() && crypto::constant_time_equal(crypto::sha256(token), digest);
}

asio::awaitable<void> serve_metrics(std::shared_ptr<const State> state, http::Exchange& ex) {
  if (!get_or_head(ex.request())) {
    co_await ex.respond(method_not_allowed());
    co_return;
  }
  if (!authorized(*state, ex.request())) {
    http::Response res = http::make_json_error(
        http::StatusCode::unauthorized, "unauthorized", "A valid Bearer token is required");
    res.set(http::Field::www_authenticate, kChallenge);
    co_await ex.respond(std::move(res));
    co_return;
  }
  co_await ex.respond(no_store(
      http::make_response(http::StatusCode::ok, state->registry->render(), kExpositionType)));
}

asio::awaitable<void> serve_health(http::Exchange& ex) {
  if (!get_or_head(ex.request())) {
    co_await ex.respond(method_not_allowed());
    co_return;
  }
  co_await ex.respond(status_ok());
}

asio::awaitable<void> serve_ready(std::shared_ptr<const State> state, http::Exchange& ex) {
  if (!get_or_head(ex.request())) {
    co_await ex.respond(method_not_allowed());
    co_return;
  }
  Status ready;
  if (state->ready) {
    ready = co_await state->ready();
  }
  co_await ex.respond(readiness_answer(*state, ready));
}

asio::awaitable<Status> probe_store(store::Store* store, store::Executor* executor) {
  // Any answer, "revoked" or not, shows the database is reachable and serving queries.
  auto probe = [store]() -> Status {
    auto revoked = store->is_access_token_revoked("mcpgate-readiness-probe");
    if (!revoked) {
      return revoked.error();
    }
    return {};
  };
  co_return co_await executor->run(probe);
}

}  // namespace

void MetricsToken::set(std::string_view token) {
  std::string digest = token.empty() ? std::string() : crypto::sha256(token);
  std::lock_guard lock(mu_);
  digest_.swap(digest);
}

std::string MetricsToken::digest() const {
  std::lock_guard lock(mu_);
  return digest_;
}

ReadinessCheck store_readiness(store::Store& store, store::Executor& executor) {
  return [s = &store, e = &executor] {
    return probe_store(s, e);
  };
}

std::shared_ptr<MetricsToken> add_observability_routes(http::Router& router,
                                                       ObservabilityOptions options) {
  auto state = std::make_shared<State>();
  state->ready = std::move(options.ready);
  state->token = std::make_shared<MetricsToken>();
  state->token->set(options.metrics_token);
  std::shared_ptr<MetricsToken> token = state->token;
  state->registry = options.registry != nullptr ? options.registry : &metrics::global();
  std::shared_ptr<const State> shared = std::move(state);

  router.add("/metrics", [shared](http::Exchange& ex) { return serve_metrics(shared, ex); });
  router.add("/healthz", serve_health);
  router.add("/readyz", [shared](http::Exchange& ex) { return serve_ready(shared, ex); });
  return token;
}

}  // namespace mcpgate::app
