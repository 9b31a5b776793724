#include "connectors/token_refresher.hpp"

#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "crypto/random.hpp"
#include "metrics/metrics.hpp"

namespace mcpgate::connectors {
namespace {

metrics::Counter& refresh_counter(std::string_view result) {
  static auto& family = metrics::global().counter(
      "mcpgate_connector_token_refreshes_total",
      "Connector token refreshes by result (refreshed, other_writer, needs_reconsent, failed).",
      {"result"});
  return family.with({result});
}

RefreshResult refresh_failed(Error error) {
  refresh_counter("failed").inc();
  RefreshResult out;
  out.outcome = RefreshOutcome::kFailed;
  out.error = std::move(error);
  return out;
}

RefreshResult refresh_needs_reconsent(std::string message) {
  refresh_counter("needs_reconsent").inc();
  RefreshResult out;
  out.outcome = RefreshOutcome::kNeedsReconsent;
  out.error = make_error(ErrorCode::kFailedPrecondition, std::move(message));
  return out;
}

RefreshResult refresh_done(RefreshOutcome outcome, vault::SecretsPtr secrets) {
  refresh_counter(outcome == RefreshOutcome::kRefreshed ? "refreshed" : "other_writer").inc();
  RefreshResult out;
  out.outcome = outcome;
  out.secrets = std::move(secrets);
  return out;
}

}  // namespace

// Callers waiting for the leader: each parks a timer here; the leader cancels them when the
// result is in. The timers also expire on their own now and then, so a wake-up lost to a race
// only costs one poll interval.
struct TokenRefresher::Flight {
  std::mutex mu;
  bool done = false;
  std::optional<RefreshResult> result;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;
};

TokenRefresher::TokenRefresher(vault::Vault& vault, store::Store& store, store::Executor& executor,
                               std::shared_ptr<const http::HttpClient> client,
                               CredentialsLookup credentials, RefresherOptions options)
    : vault_(vault),
      store_(store),
      executor_(executor),
      client_(std::move(client)),
      credentials_(std::move(credentials)),
      options_(std::move(options)) {
  if (options_.holder.empty()) {
    options_.holder = "mcpgate-" + crypto::random_token(12);
  }
}

std::int64_t TokenRefresher::now() const {
  if (options_.clock) {
    return options_.clock();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::CircuitBreaker& TokenRefresher::breaker_for(const std::string& connector_id) {
  std::lock_guard lock(mu_);
  auto& slot = breakers_[connector_id];
  if (!slot) {
    slot = std::make_unique<http::CircuitBreaker>(options_.credential_breaker);
  }
  return *slot;
}

http::CircuitBreaker::State TokenRefresher::credential_state(const std::string& connector_id) {
  return breaker_for(connector_id).state();
}

asio::awaitable<RefreshResult> TokenRefresher::refresh(std::shared_ptr<const ConnectorDef> connector,
                                                       std::string user, vault::SecretsPtr seen,
                                                       bool forced) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(mu_);
    auto& slot = flights_[seen->id];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (leader) {
    RefreshResult result = co_await lead(connector, user, seen, forced);
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    {
      std::lock_guard lock(flight->mu);
      flight->result = result;
      flight->done = true;
      waiters.swap(flight->waiters);
    }
    {
      std::lock_guard lock(mu_);
      flights_.erase(seen->id);
    }
    for (auto& timer : waiters) {
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    }
    co_return result;
  }
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  for (;;) {
    std::optional<RefreshResult> ready;
    {
      std::lock_guard lock(flight->mu);
      if (flight->done) {
        ready = flight->result;
      } else {
        flight->waiters.push_back(timer);
      }
    }
    if (ready) {
      co_return std::move(*ready);
    }
    timer->expires_after(options_.lease_poll);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<RefreshResult> TokenRefresher::lead(std::shared_ptr<const ConnectorDef> connector,
                                                    std::string user, vault::SecretsPtr seen,
                                                    bool forced) {
  (void)forced;  // a forced refresh differs only in why the caller came: the steps are the same
  const std::string& holder = options_.holder;
  const std::int64_t wait_rounds =
      options_.lease_ttl_s * 1000 / std::max<std::int64_t>(1, options_.lease_poll.count()) + 20;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (std::int64_t round = 0; round < wait_rounds; ++round) {
    auto acquire = [&] {
      return store_.acquire_refresh_lease(seen->id, holder, now(), options_.lease_ttl_s);
    };
    Result<store::RefreshLease> lease = co_await executor_.run(std::move(acquire));
    if (!lease && lease.error().code == ErrorCode::kFailedPrecondition) {
      co_return refresh_needs_reconsent(connector->id + ": connection was removed");
    }
    if (!lease) {
      co_return refresh_failed(lease.error());
    }
    // Re-read after the lease: another process may have refreshed while we waited for it.
    auto reread = [&] {
      return vault_.get_connection(options_.tenant, user, connector->id,
                                   vault::Vault::Read::kFromStore);
    };
    Result<vault::SecretsPtr> current = co_await executor_.run(std::move(reread));
    if (!current || (*current)->status != vault::ConnectionStatus::kActive) {
      if (lease->granted) {
        auto release = [&] { return store_.release_refresh_lease(seen->id, holder); };
        (void)co_await executor_.run(std::move(release));
      }
      if (!current && current.error().code != ErrorCode::kNotFound) {
        co_return refresh_failed(current.error());
      }
      co_return refresh_needs_reconsent(connector->id + ": connection needs consent again");
    }
    const bool moved = (*current)->version != seen->version;
    if (lease->granted) {
      RefreshResult out;
      if (moved) {
        out = refresh_done(RefreshOutcome::kOtherWriter, *current);
      } else {
        out = co_await refresh_under_lease(connector, user, *current);
      }
      auto release = [&] { return store_.release_refresh_lease(seen->id, holder); };
      (void)co_await executor_.run(std::move(release));
      co_return out;
    }
    if (moved) {
      co_return refresh_done(RefreshOutcome::kOtherWriter, *current);
    }
    pause.expires_after(options_.lease_poll);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return refresh_failed(make_error(ErrorCode::kUnavailable,
                                      connector->id + ": timed out waiting for a token refresh"));
}

asio::awaitable<RefreshResult> TokenRefresher::refresh_under_lease(
    std::shared_ptr<const ConnectorDef> connector, std::string user, vault::SecretsPtr current) {
  http::CircuitBreaker& breaker = breaker_for(connector->id);
  if (!breaker.allow()) {
    co_return refresh_failed(make_error(
        ErrorCode::kUnavailable,
        connector->id + ": the provider refused the gate's client credentials; the operator must "
                        "fix them (retrying later)"));
  }
  const std::optional<ConnectorCredentials> credentials =
      credentials_ ? credentials_(connector->id) : std::nullopt;
  if (!credentials) {
    co_return refresh_failed(make_error(
        ErrorCode::kFailedPrecondition, connector->id + ": no client credentials configured"));
  }
  if (current->refresh_token.empty()) {
    co_return refresh_needs_reconsent(connector->id + ": no refresh token");
  }
  http::ClientRequest request = refresh_token_request(*connector, *credentials,
                                                      current->refresh_token);
  request.options.timeout = options_.token_timeout;
  // The definition's test flag (loopback http for the fake provider) covers its token endpoint too.
  request.options.address_policy = connector->api.allow_loopback_http
                                      ? http::AddressPolicy::kAllowLoopback
                                      : options_.address_policy;
  requests_.fetch_add(1);
  Result<http::ClientResponse> response = co_await client_->fetch(std::move(request));
  if (!response) {
    co_return refresh_failed(make_error(
        ErrorCode::kUnavailable, connector->id + ": token endpoint: " + response.error().message));
  }
  const std::string content_type(response->header(http::Field::content_type));
  auto parsed = parse_refresh_response(*connector, static_cast<int>(response->status()),
                                       content_type, response->message.body());
  if (const auto* failure = std::get_if<RefreshError>(&parsed)) {
    const RefreshError failed = *failure;
    if (failed.kind == RefreshFailure::kInvalidGrant) {
      const std::int64_t version = current->version;
      auto mark = [&] {
        return vault_.mark_needs_reconsent(options_.tenant, user, connector->id, version, now());
      };
      (void)co_await executor_.run(std::move(mark));
      co_return refresh_needs_reconsent(failed.message);
    }
    if (failed.kind == RefreshFailure::kInvalidClient) {
      breaker.on_failure();
    }
    co_return refresh_failed(make_error(ErrorCode::kUnavailable, failed.message));
  }
  breaker.on_success();
  RefreshedTokens tokens = std::get<RefreshedTokens>(std::move(parsed));
  vault::TokenUpdate update;
  update.access_token = std::move(tokens.access_token);
  update.refresh_token = std::move(tokens.refresh_token);  // nullopt: not rotated, keep ours
  const std::int64_t issued = now();
  update.expires_at = tokens.expires_in ? issued + *tokens.expires_in : 0;
  update.scopes = std::move(tokens.scope);
  if (!tokens.connection_vars.empty()) {
    // The answer's variables replace the stored ones; those it lacks keep their value.
    ConnectionVars merged =
        decode_connection_vars(current->connection_vars).value_or(ConnectionVars{});
    for (auto& [name, value] : tokens.connection_vars) {
      merged[name] = std::move(value);
    }
    update.connection_vars = encode_connection_vars(merged);
  }
  if (options_.before_commit) {
    auto hook = [&] { options_.before_commit(); };
    co_await executor_.run(std::move(hook));
  }
  // Commit first: the new refresh token must be stored before the new access token is used,
  // or a crash here would leave a revoked refresh token in the vault.
  const std::int64_t expected = current->version;
  auto commit = [&] {
    return vault_.update_tokens(options_.tenant, user, connector->id, update, expected, issued);
  };
  Result<std::int64_t> committed = co_await executor_.run(std::move(commit));
  auto reread = [&] {
    return vault_.get_connection(options_.tenant, user, connector->id,
                                 vault::Vault::Read::kFromStore);
  };
  if (!committed) {
    if (committed.error().code != ErrorCode::kFailedPrecondition) {
      co_return refresh_failed(committed.error());
    }
    // Someone else wrote the row: their tokens are the stored ones; ours are dropped unused.
    Result<vault::SecretsPtr> winner = co_await executor_.run(std::move(reread));
    if (!winner) {
      co_return refresh_failed(winner.error());
    }
    co_return refresh_done(RefreshOutcome::kOtherWriter, *winner);
  }
  Result<vault::SecretsPtr> fresh = co_await executor_.run(std::move(reread));
  if (!fresh) {
    co_return refresh_failed(fresh.error());
  }
  co_return refresh_done(RefreshOutcome::kRefreshed, *fresh);
}

}  // namespace mcpgate::connectors
