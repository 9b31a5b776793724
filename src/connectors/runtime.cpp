#include "connectors/runtime.hpp"

#include <algorithm>
#include <random>
#include <utility>

#include <boost/asio/steady_timer.hpp>

#include "connectors/connection_vars.hpp"
#include "connectors/url.hpp"
#include "core/log.hpp"
#include "crypto/random.hpp"
#include "metrics/metrics.hpp"

namespace mcpgate::connectors {
namespace {

using std::chrono::milliseconds;

metrics::Counter& runtime_retry_counter(std::string_view reason) {
  static auto& family = metrics::global().counter(
      "mcpgate_connector_retries_total",
      "Connector API calls sent again, by reason (status, network, unauthorized).", {"reason"});
  return family.with({reason});
}

metrics::Counter& runtime_breaker_rejections() {
  static auto& counter = metrics::global()
                             .counter("mcpgate_connector_breaker_rejections_total",
                                      "Connector API calls refused because the host's circuit "
                                      "breaker was open.",
                                      {})
                             .with();
  return counter;
}

bool runtime_cancelled(const mcp::ToolContext& ctx,
                       const std::shared_ptr<const std::atomic<bool>>& flag) {
  return (flag && flag->load()) || ctx.cancelled();
}

// Waits `total`, in slices, so a cancelled call stops waiting promptly. False when cancelled.
asio::awaitable<bool> runtime_pause(milliseconds total, const mcp::ToolContext& ctx,
                                    std::shared_ptr<const std::atomic<bool>> flag) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + total;
  while (std::chrono::steady_clock::now() < until) {
    if (runtime_cancelled(ctx, flag)) {
      co_return false;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
    timer.expires_after(std::min(left, milliseconds(50)));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return !runtime_cancelled(ctx, flag);
}

std::int64_t runtime_jitter(std::int64_t max_s) {
  if (max_s <= 0) {
    return 0;
  }
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, max_s)(rng);
}

UpstreamReply runtime_reply(const http::ClientResponse& response) {
  UpstreamReply out;
  out.status = static_cast<int>(response.status());
  out.content_type = std::string(response.header(http::Field::content_type));
  out.body = response.message.body();
  return out;
}

}  // namespace

std::string connection_user(const mcp::ToolContext& ctx) {
  if (const mcp::Caller* caller = ctx.caller(); caller != nullptr && !caller->subject.empty()) {
    return caller->subject;
  }
  return ctx.subject();
}

Runtime::Runtime(std::vector<std::shared_ptr<const ConnectorDef>> connectors, vault::Vault& vault,
                 store::Store& store, store::Executor& executor,
                 std::shared_ptr<const http::HttpClient> client,
                 TokenRefresher::CredentialsLookup credentials, RuntimeOptions options)
    : vault_(vault),
      executor_(executor),
      client_(client),
      options_(std::move(options)),
      refresher_(vault, store, executor, client, std::move(credentials), [&] {
        RefresherOptions r = options_.refresher;
        r.tenant = options_.tenant;
        if (!r.clock) {
          r.clock = options_.clock;
        }
        return r;
      }()) {
  for (auto& c : connectors) {
    const std::string id = c->id;
    connectors_[id] = std::move(c);
  }
  options_.delay_divisor = std::max(1, options_.delay_divisor);
}

ConnectorRuntime Runtime::bind() {
  ConnectorRuntime out;
  out.connection = [this](const ToolDef& tool, mcp::ToolContext& ctx) {
    return connection(tool, ctx);
  };
  out.send = [this](const ToolDef& tool, HttpRequest request, mcp::ToolContext& ctx) {
    return send(tool, std::move(request), ctx);
  };
  return out;
}

std::int64_t Runtime::now() const {
  if (options_.clock) {
    return options_.clock();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const ConnectorDef* Runtime::find(const std::string& connector_id) const {
  auto it = connectors_.find(connector_id);
  return it == connectors_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const ConnectorDef> Runtime::find_shared(const std::string& connector_id) const {
  auto it = connectors_.find(connector_id);
  return it == connectors_.end() ? nullptr : it->second;
}

Runtime::HostGuard& Runtime::guard_for(const std::string& host) {
  std::lock_guard lock(mu_);
  auto& slot = hosts_[host];
  if (!slot) {
    slot = std::make_unique<HostGuard>(options_.host_breaker, options_.retry_budget_ratio);
  }
  return *slot;
}

http::CircuitBreaker::State Runtime::host_breaker_state(const std::string& host) {
  return guard_for(host).breaker.state();
}

Error Runtime::connect_error(const ConnectorDef& connector, bool reconsent) const {
  return connect_required_error(
      connect_required(options_.public_base_url, connector.id, connector.display_name, reconsent));
}

asio::awaitable<Result<vault::SecretsPtr>> Runtime::refreshed(const ConnectorDef& connector,
                                                              const std::string& user,
                                                              vault::SecretsPtr seen,
                                                              bool forced) {
  std::shared_ptr<const ConnectorDef> definition = find_shared(connector.id);
  RefreshResult result = co_await refresher_.refresh(definition, user, std::move(seen), forced);
  switch (result.outcome) {
    case RefreshOutcome::kRefreshed:
    case RefreshOutcome::kOtherWriter:
      co_return result.secrets;
    case RefreshOutcome::kNeedsReconsent:
      co_return connect_error(connector, true);
    case RefreshOutcome::kFailed:
      break;
  }
  co_return result.error;
}

asio::awaitable<Result<vault::SecretsPtr>> Runtime::usable_secrets(const ConnectorDef& connector,
                                                                   const std::string& user) {
  auto read = [&] {
    return vault_.get_connection(options_.tenant, user, connector.id, vault::Vault::Read::kCached);
  };
  Result<vault::SecretsPtr> got = co_await executor_.run(std::move(read));
  if (!got) {
    if (got.error().code == ErrorCode::kNotFound) {
      co_return connect_error(connector, false);
    }
    // The store's or the vault's own words stay in the log; the caller reads a tool error.
    log::warn("connector_vault_lookup_failed",
              {{"connector", connector.id}, {"error", got.error().message}});
    co_return make_error(ErrorCode::kUnavailable, "the stored connection could not be read");
  }
  vault::SecretsPtr secrets = *got;
  if (secrets->status != vault::ConnectionStatus::kActive) {
    co_return connect_error(connector, true);
  }
  const std::int64_t t = now();
  if (!refresh_due(secrets->expires_at, secrets->issued_at, t,
                   runtime_jitter(options_.refresh_jitter_s))) {
    co_return secrets;
  }
  Result<vault::SecretsPtr> fresh = co_await refreshed(connector, user, secrets, false);
  if (!fresh && fresh.error().code != ErrorCode::kFailedPrecondition && secrets->expires_at > t) {
    co_return secrets;  // refresh failed for now, but the token still works: use it meanwhile
  }
  co_return fresh;
}

Result<Runtime::CallerConnection> Runtime::resolve(const ToolDef& tool,
                                                   const mcp::ToolContext& ctx) const {
  const ConnectorDef* connector = find(tool.connector_id);
  if (connector == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "connector " + tool.connector_id + " is not configured");
  }
  std::string user = connection_user(ctx);
  if (user.empty()) {
    return make_error(ErrorCode::kUnauthenticated, connector->id + " tools need an authenticated caller");
  }
  return CallerConnection{connector, std::move(user)};
}

asio::awaitable<Result<ConnectionVars>> Runtime::connection(const ToolDef& tool,
                                                           mcp::ToolContext& ctx) {
  auto caller = resolve(tool, ctx);
  if (!caller) {
    co_return caller.error();
  }
  const ConnectorDef* connector = caller->connector;
  const std::string& user = caller->user;
  Result<vault::SecretsPtr> secrets = co_await usable_secrets(*connector, user);
  if (!secrets) {
    co_return secrets.error();
  }
  if (connector->oauth.connection_vars.empty()) {
    co_return ConnectionVars{};
  }
  Result<ConnectionVars> vars = decode_connection_vars((*secrets)->connection_vars);
  if (!vars) {
    log::warn("connector_connection_vars_unreadable", {{"connector", connector->id}});
    co_return make_error(ErrorCode::kUnavailable, "the stored connection could not be read");
  }
  // A declared variable the connection lacks (stored before variables were kept, or never
  // sent): reconnect, never a request built without it. Values are re-checked when the request
  // is built (request_builder: a base URL must be on api.hosts).
  for (const ConnectionVar& var : connector->oauth.connection_vars) {
    if (vars->find(var.name) == vars->end()) {
      log::warn("connector_connection_var_missing",
                {{"connector", connector->id}, {"var", var.name}});
      co_return connect_error(*connector, true);
    }
  }
  co_return std::move(vars).value();
}

asio::awaitable<Result<UpstreamReply>> Runtime::send(const ToolDef& tool, HttpRequest request,
                                                     mcp::ToolContext& ctx) {
  auto caller = resolve(tool, ctx);
  if (!caller) {
    co_return caller.error();
  }
  const ConnectorDef* connector = caller->connector;
  const std::string& user = caller->user;
  auto url = parse_url(request.url);
  if (!url) {
    co_return url.error();
  }
  Result<vault::SecretsPtr> first = co_await usable_secrets(*connector, user);
  if (!first) {
    co_return first.error();
  }
  vault::SecretsPtr secrets = *first;

  const RetryOptions& retry = options_.retry;
  const auto deadline = std::chrono::steady_clock::now() + retry.deadline;
  const auto cancel = ctx.cancellation();
  HostGuard& guard = guard_for(url->host);
  guard.budget.on_call();
  const bool repeatable = safe_to_repeat(tool);
  // One key for every attempt: the provider recognises the repeats as the same operation.
  const std::string idempotency_key = tool.idempotency_key ? crypto::random_token(18) : "";
  const http::AddressPolicy policy = tool.api.allow_loopback_http
                                         ? http::AddressPolicy::kAllowLoopback
                                         : http::AddressPolicy::kPublicOnly;
  const auto own_timeout = options_.request_timeouts.find(connector->id);
  const milliseconds attempt_timeout = own_timeout == options_.request_timeouts.end()
                                           ? options_.request_timeout
                                           : own_timeout->second;
  bool refreshed_after_401 = false;
  int attempt = 0;
  for (;;) {
    if (runtime_cancelled(ctx, cancel)) {
      co_return make_error(ErrorCode::kCancelled, connector->id + ": call cancelled");
    }
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) {
      co_return make_error(ErrorCode::kDeadlineExceeded, connector->id + ": call deadline passed");
    }
    if (!guard.breaker.allow()) {
      runtime_breaker_rejections().inc();
      co_return make_error(ErrorCode::kUnavailable,
                           connector->id + ": " + url->host
                               + " is failing; calls are paused for a while (circuit open)");
    }
    ++attempt;
    http::ClientRequest out;
    out.method = http::bhttp::string_to_verb(request.method);
    out.url = request.url;
    out.headers = request.headers;
    out.headers.emplace_back("Authorization", "Bearer " + secrets->access_token);
    if (!idempotency_key.empty()) {
      out.headers.emplace_back("Idempotency-Key", idempotency_key);
    }
    out.body = request.body;
    out.options.timeout = std::min(attempt_timeout, left);
    out.options.address_policy = policy;
    Result<http::ClientResponse> response = co_await client_->fetch(std::move(out));
    milliseconds wait{0};
    std::optional<UpstreamReply> last_reply;
    if (!response) {
      const Error error = response.error();
      if (error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kPermissionDenied) {
        co_return make_error(error.code, connector->id + ": " + error.message);
      }
      guard.breaker.on_failure();
      const bool may_repeat = repeatable || never_reached_server(error);
      if (!may_repeat || attempt >= retry.max_attempts || !guard.budget.try_retry()) {
        co_return make_error(error.code, connector->id + ": " + error.message);
      }
      runtime_retry_counter("network").inc();
      wait = backoff_delay(attempt, retry);
    } else {
      const int status = static_cast<int>(response->status());
      if (status == 401 && !refreshed_after_401) {
        // The provider refused the token (revoked, or expired early): refresh once, send again.
        guard.breaker.on_success();
        refreshed_after_401 = true;
        Result<vault::SecretsPtr> again = co_await refreshed(*connector, user, secrets, true);
        if (!again) {
          co_return again.error();
        }
        secrets = *again;
        --attempt;
        runtime_retry_counter("unauthorized").inc();
        continue;
      }
      if (is_breaker_failure(status)) {
        guard.breaker.on_failure();
      } else {
        guard.breaker.on_success();
      }
      UpstreamReply reply = runtime_reply(*response);
      if (!is_retryable_status(status) || !repeatable || attempt >= retry.max_attempts) {
        co_return reply;
      }
      const std::optional<std::chrono::seconds> after =
          parse_retry_after(response->header(http::Field::retry_after), now());
      if (after && *after > retry.retry_after_cap) {
        co_return make_error(ErrorCode::kResourceExhausted,
                             connector->id + ": the provider asks to wait "
                                 + std::to_string(after->count()) + " s before retrying (HTTP "
                                 + std::to_string(status) + "); try again later");
      }
      if (!guard.budget.try_retry()) {
        co_return reply;
      }
      runtime_retry_counter("status").inc();
      wait = std::max(backoff_delay(attempt, retry),
                      after ? std::chrono::duration_cast<milliseconds>(*after) : milliseconds(0));
      last_reply = std::move(reply);
    }
    wait /= options_.delay_divisor;
    if (std::chrono::steady_clock::now() + wait >= deadline) {
      if (last_reply) {
        co_return std::move(*last_reply);
      }
      co_return make_error(ErrorCode::kDeadlineExceeded,
                           connector->id + ": no time left for another attempt");
    }
    const bool waited = co_await runtime_pause(wait, ctx, cancel);
    if (!waited) {
      co_return make_error(ErrorCode::kCancelled, connector->id + ": call cancelled");
    }
  }
}

}  // namespace mcpgate::connectors
