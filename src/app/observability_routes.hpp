#pragma once
// The operator's endpoints, outside the MCP and OAuth surfaces:
//
//   GET /metrics   every metric of the registry, Prometheus text format 0.0.4. With a token
//                  configured, only for "Authorization: Bearer <token>" (401 otherwise).
//   GET /healthz   liveness: 200 {"status":"ok"} whenever the process answers at all.
//   GET /readyz    readiness: 200 {"status":"ok"} when the readiness check passes, else 503
//                  {"status":"unavailable","reason":"<error code name>"}. The check's message
//                  goes to the log (on each change between ready and not ready), never to the
//                  client: the endpoint is unauthenticated.
//
// HEAD is answered like GET without the body; other methods get 405 with Allow. Every answer is
// Cache-Control: no-store.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/asio.hpp"
#include "http/router.hpp"

namespace mcpgate::metrics {
class Registry;
}  // namespace mcpgate::metrics

namespace mcpgate::store {
class Executor;
class Store;
}  // namespace mcpgate::store

namespace mcpgate::app {

// Whether the process can take traffic now (the store answers, ...). Called for every GET
// /readyz on the connection's strand, so blocking work belongs on a store::Executor inside it.
// Return an awaitable from a plain function rather than writing a capturing lambda coroutine:
//   [store, executor] { return check_store(store, executor); }
using ReadinessCheck = std::function<asio::awaitable<Status>()>;

struct ObservabilityOptions {
  // Null: ready whenever the process serves.
  ReadinessCheck ready;
  // Non-empty: /metrics requires it as a Bearer token (compared in constant time; only its
  // digest is kept).
  std::string metrics_token;
  // Null: metrics::global(). Must outlive the router.
  const metrics::Registry* registry = nullptr;
};

// The /metrics token, replaceable while the server runs (a configuration reload). Only its
// SHA-256 is kept. Thread-safe.
class MetricsToken {
 public:
  // "" opens /metrics.
  void set(std::string_view token);
  // The token's digest; "" when /metrics is open.
  std::string digest() const;

 private:
  mutable std::mutex mu_;
  std::string digest_;
};

// Ready while `store` answers a one-row indexed read, run on `executor` like every store call.
// Both must outlive the router.
ReadinessCheck store_readiness(store::Store& store, store::Executor& executor);

// Registers /metrics, /healthz and /readyz on `router` (replacing earlier handlers of those
// paths). Returns the token /metrics checks, to replace it later.
std::shared_ptr<MetricsToken> add_observability_routes(http::Router& router,
                                                       ObservabilityOptions options);

}  // namespace mcpgate::app
