#include "app/serve.hpp"

#include <chrono>
#include <future>

#include "app/policy_stack.hpp"
#include "app/scim_setup.hpp"
#include "app/admin_setup.hpp"
#include "policy/openfga_api.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "http/asio.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "http/single_thread.hpp"
#include "app/call_audit.hpp"
#include "app/call_quota.hpp"
#include "app/connect_routes.hpp"
#include "app/connector_setup.hpp"
#include "app/oauth_upstreams.hpp"
#include "app/observability_routes.hpp"
#include "audit/audit_log.hpp"
#include "core/cpus.hpp"
#include "crypto/master_key.hpp"
#include "gateway/gateway.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/registry.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/bearer_guard.hpp"
#include "oauth/cimd.hpp"
#include "store/executor.hpp"
#include "store/open_store.hpp"
#include "tools/conformance_fixtures.hpp"
#include "tools/demo_tools.hpp"
#include "vault/keyring.hpp"
#include "vault/vault.hpp"

namespace mcpgate::app {
namespace {

std::shared_ptr<mcp::Registry> build_registry(const Config& config) {
  auto registry = std::make_shared<mcp::Registry>();
  for (const auto& set : config.mcp.tool_sets) {
    if (set == "demo") {
      tools::register_demo_tools(*registry);
    } else if (set == "conformance") {
      tools::register_conformance_fixtures(*registry);
    }
  }
  return registry;
}

// The authorization server and the guard in front of the MCP endpoint, with what they stand on.
// Declared after the io_context in serve() so it is destroyed first (the executor's threads
// post completions to that io_context).
struct AuthStack {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::Executor> executor;
  std::unique_ptr<oauth::CimdResolver> cimd;
  std::unique_ptr<oauth::AuthorizationServer> server;
  std::shared_ptr<oauth::BearerGuard> guard;
  std::shared_ptr<oauth::BearerGuard> admin_guard;  // admin.enabled: the admin resource's
};

// "https://h:p/mcp" -> "https://h:p/.well-known/oauth-protected-resource/mcp" (RFC 9728 §3.1).
std::string resource_metadata_url(const std::string& resource) {
  const auto scheme_end = resource.find("://");
  const auto path_start =
      scheme_end == std::string::npos ? std::string::npos : resource.find('/', scheme_end + 3);
  const std::string origin = resource.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "" : resource.substr(path_start);
  return origin + "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path);
}

Result<AuthStack> build_auth(const Config& config) {
  AuthStack a;
  MCPGATE_ASSIGN_OR_RETURN(const auto store_options, store_open_options(config));
  const std::string url = store_url(config.store);
  auto store = store::open_store(url, store_options);
  if (!store) {
    return store.error();
  }
  log::info("store",
            {{"kind", config.store.kind},
             {"url", url.empty() ? config.data_dir + "/mcpgate.db" : store::redacted_store_url(url)}});
  a.store = std::move(store).value();
  a.executor = std::make_unique<store::Executor>(2);
  if (config.auth.cimd.enabled) {
    oauth::CimdResolverOptions copts;
    // With the test switch on, the resolver logs a warning at construction.
    copts.allow_loopback_for_tests = config.auth.cimd.allow_loopback_for_tests;
    a.cimd = std::make_unique<oauth::CimdResolver>(copts);
  }
  auto server = oauth::AuthorizationServer::create(
      config.auth, *a.store, *a.executor, a.cimd.get());
  if (!server) {
    return server.error();
  }
  a.server = std::move(server).value();

  // The MCP endpoint's own resource identifier: public_url + mcp.path when configured so.
  const std::string own = config.public_url + config.mcp.path;
  const auto& resources = a.server->resources();
  std::string resource = resources.front();
  for (const auto& r : resources) {
    if (r == own) {
      resource = r;
    }
  }
  oauth::BearerGuardOptions gopts;
  gopts.issuer = a.server->issuer();
  gopts.resource = resource;
  gopts.resource_metadata_url = resource_metadata_url(resource);
  oauth::AuthorizationServer* as = a.server.get();
  // The MCP guard's challenge names the MCP scopes only: admin scopes are for the admin API.
  a.guard = std::make_shared<oauth::BearerGuard>(
      gopts, [as] { return as->verification_keys(); },
      oauth::ScopeSet(without_admin_scopes(config.auth)));
  if (config.admin.enabled) {
    MCPGATE_ASSIGN_OR_RETURN(a.admin_guard,
                             make_admin_guard(config, *a.server, *a.store, *a.executor));
    a.server->set_revocation_listener(
        [mcp = a.guard->revocation_listener(), adm = a.admin_guard->revocation_listener()](
            const std::vector<store::RevokedToken>& entries) {
          mcp(entries);
          adm(entries);
        });
  } else {
    a.server->set_revocation_listener(a.guard->revocation_listener());
  }
  a.guard->check_organizations(*a.store, *a.executor);
  if (auto st = a.guard->load_revocations(*a.store); !st) {
    return st.error();
  }
  return a;
}

}  // namespace

int serve(Config config, ConfigLoader reload_config) {
  const Config config_at_start = config;  // what a reload compares the new file with
  const std::int64_t started_at = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) {
    log::error("data_dir_unusable", {{"path", config.data_dir}, {"error", fs_ec.message()}});
    return 1;
  }

  const unsigned threads =
      config.server.threads != 0 ? config.server.threads : usable_cpus();
  asio::io_context ioc(static_cast<int>(threads));
  if (threads == 1) {
    http::mark_single_threaded(ioc);  // the loop at the end of serve() is its only runner
  }

  std::optional<AuthStack> auth;
  if (config.auth.enabled) {
    auto built = build_auth(config);
    if (!built) {
      log::error("auth_start_failed", {{"error", built.error().message}});
      return 1;
    }
    auth = std::move(built).value();
    config.mcp.endpoint.access = auth->guard;
  } else {
    log::warn("auth_disabled", {{"effect", "the MCP endpoint accepts unauthenticated requests"}});
  }

  if (config.admin.enabled && (!auth || !config.authz.enabled)) {
    // Every admin call is authenticated by the gate's authorization server and checked by the
    // authorization engine: without either there is no safe way to serve it.
    log::error("admin_start_failed",
               {{"error", "admin.enabled needs auth.enabled and an authz: section"}});
    return 1;
  }

  std::optional<PolicyStack> policy;
  if (config.authz.enabled) {
    auto built = build_policy(config, auth ? auth->store.get() : nullptr);
    if (!built) {
      log::error("authz_start_failed", {{"error", built.error().message}});
      return 1;
    }
    policy = std::move(built).value();
    config.mcp.endpoint.authorizer = policy->authorizer;
  }

  auto registry = build_registry(config);

  // Connectors (SaaS APIs as tools): definitions, the token vault, the connect pages. The vault
  // refuses to start without a master key unless `vault.data_dir_key` (demo) says otherwise.
  std::unique_ptr<vault::Vault> token_vault;
  std::unique_ptr<connectors::Runtime> connector_runtime;  // after the vault: it holds a reference
  std::vector<ConfiguredConnector> connectors;
  if (auth) {
    auto loaded = load_configured_connectors(config);
    if (!loaded) {
      log::error("connectors_start_failed", {{"error", loaded.error().message}});
      return 1;
    }
    connectors = std::move(loaded).value();
  }
  if (!connectors.empty()) {
    auto keyring = vault::load_keyring(config.vault, config.data_dir);
    if (!keyring) {
      log::error("vault_start_failed", {{"error", keyring.error().message}});
      return 1;
    }
    token_vault = std::make_unique<vault::Vault>(*auth->store, std::move(keyring).value());
    auto runtime = make_connector_runtime(connectors, *token_vault, *auth->store, *auth->executor,
                                          config.public_url);
    if (!runtime) {
      log::error("connectors_start_failed", {{"error", runtime.error().message}});
      return 1;
    }
    connector_runtime = std::move(runtime).value();
    register_connector_tools(*registry, connectors, *connector_runtime);
  }

  // Upstream MCP servers with `auth: oauth`: each user's own upstream tokens, from the vault.
  std::shared_ptr<OAuthUpstreams> oauth_upstreams;
  if (config.gateway.enabled &&
      std::any_of(config.gateway.upstreams.begin(), config.gateway.upstreams.end(),
                  [](const gateway::UpstreamOptions& u) { return u.oauth.enabled; })) {
    if (!auth) {
      log::error("gateway_start_failed",
                 {{"error", "upstreams with auth: oauth need `auth:` (users sign in to connect)"}});
      return 1;
    }
    if (!token_vault) {
      auto keyring = vault::load_keyring(config.vault, config.data_dir);
      if (!keyring) {
        log::error("vault_start_failed", {{"error", keyring.error().message}});
        return 1;
      }
      token_vault = std::make_unique<vault::Vault>(*auth->store, std::move(keyring).value());
    }
    OAuthUpstreams::Deps od;
    od.vault = token_vault.get();
    od.store = auth->store.get();
    od.executor = auth->executor.get();
    od.io = ioc.get_executor();
    od.public_url = config.public_url;
    auto made = OAuthUpstreams::create(config.gateway.upstreams, std::move(od));
    if (!made) {
      log::error("gateway_start_failed", {{"error", made.error().message}});
      return 1;
    }
    oauth_upstreams = std::move(made).value();
    for (const auto& c : connectors) {
      if (oauth_upstreams->has(c.def->id)) {
        log::error("gateway_start_failed",
                   {{"error", "upstream " + c.def->id + " has the id of a connector"}});
        return 1;
      }
    }
  }

  // The gateway: upstream MCP servers federated into the registry. Their first lists are read
  // before the listener opens, so the first client sees every upstream that answered.
  std::unique_ptr<store::Store> pin_store;  // when no authorization server keeps one
  std::unique_ptr<store::Executor> pin_executor;
  std::shared_ptr<gateway::Gateway> gate;
  if (config.gateway.enabled) {
    gateway::Gateway::Deps deps;
    deps.executor = ioc.get_executor();
    deps.registry = registry;
    deps.refresh_interval = config.gateway.refresh_interval;
    deps.credentials = oauth_upstreams;
    if (auth) {
      deps.store = auth->store.get();
      deps.store_executor = auth->executor.get();
    } else if (config.gateway.pin_tools || config.audit.enabled) {
      auto options = store_open_options(config);
      if (!options) {
        log::error("gateway_start_failed", {{"error", options.error().message}});
        return 1;
      }
      auto opened = store::open_store(store_url(config.store), *options);
      if (!opened) {
        log::error("gateway_start_failed", {{"error", opened.error().message}});
        return 1;
      }
      pin_store = std::move(opened).value();
      pin_executor = std::make_unique<store::Executor>(1);
      deps.store = pin_store.get();
      deps.store_executor = pin_executor.get();
    }
    auto created = gateway::Gateway::create(config.gateway, std::move(deps));
    if (!created) {
      log::error("gateway_start_failed", {{"error", created.error().message}});
      return 1;
    }
    gate = std::move(created).value();
    if (oauth_upstreams) {
      oauth_upstreams->set_gateway(gate);
    }
    std::promise<void> synced;
    // OAuth upstreams are discovered first (their authorization servers, the registration).
    auto first_contact = [gate, oauth_upstreams]() -> asio::awaitable<void> {
      if (oauth_upstreams) {
        co_await oauth_upstreams->discover_all();
      }
      co_await gate->start();
    };
    asio::co_spawn(ioc, std::move(first_contact),
                   [&synced](const std::exception_ptr&) { synced.set_value(); });
    std::thread first_sync([&ioc] { ioc.run(); });
    synced.get_future().wait();
    ioc.stop();
    first_sync.join();
    ioc.restart();
  }

  // The audit trail of tools/call, in the store when the server has one.
  std::shared_ptr<audit::AuditLog> audit_log;
  std::shared_ptr<StoreCallAudit> call_audit;
  if (store::Store* audit_store = auth ? auth->store.get() : pin_store.get();
      config.audit.enabled && audit_store != nullptr) {
    audit_log = std::make_shared<audit::AuditLog>(*audit_store);
    call_audit = std::make_shared<StoreCallAudit>(audit_log, config.audit.full_arguments);
    config.mcp.endpoint.audit = call_audit;
  }

  // Always installed, so a reload can add quotas to a server started without any.
  auto quotas = std::make_shared<QuotaCallLimiter>(config.quotas);
  config.mcp.endpoint.limiter = quotas;

  // Sealed session ids: the key comes from the data directory's master key, which every
  // replica of one deployment shares (it already seals the signing keys).
  if (config.mcp.sessions.sealed && config.mcp.endpoint.enable_session_era) {
    auto master = crypto::MasterKey::load(std::filesystem::path(config.data_dir) / "master.key",
                                          crypto::MasterKey::Create::kIfMissing);
    if (!master) {
      log::error("session_key_failed", {{"error", master.error().message}});
      return 1;
    }
    config.mcp.endpoint.session_sealer =
        std::make_shared<const mcp::SessionSealer>(mcp::SessionSealer::from_master_key(
            *master, config.mcp.sessions.key_generation, config.mcp.sessions.max_lifetime));
  }
  if (gate) {
    config.mcp.endpoint.session_hooks = gate->session_hooks();
  }

  config.mcp.endpoint.server_version = MCPGATE_VERSION;
  auto endpoint = std::make_shared<mcp::Endpoint>(config.mcp.endpoint, registry);

  auto router = std::make_shared<http::Router>();
  router->add(config.mcp.path, [endpoint](http::Exchange& ex) { return endpoint->handle(ex); });
  // /healthz, /readyz (the store answers) and /metrics (Prometheus).
  std::shared_ptr<MetricsToken> metrics_token;
  {
    ObservabilityOptions observability;
    observability.metrics_token = config.metrics_token;
    if (store::Store* ready_store = auth ? auth->store.get() : pin_store.get()) {
      observability.ready =
          store_readiness(*ready_store, auth ? *auth->executor : *pin_executor);
    }
    metrics_token = add_observability_routes(*router, std::move(observability));
  }
  if (policy && !policy->api_token.empty()) {
    policy::OpenFgaApiOptions api;
    api.admin_token = policy->api_token;
    if (auto st = policy::mount_openfga_api(*router, policy->stores, *policy->executor, api); !st) {
      log::error("authz_api_failed", {{"error", st.error().message}});
      return 1;
    }
  }
  if (token_vault) {
    // A user deprovisioned through this process: its vault connections are suspended in the
    // store; drop the cached copies now rather than after the cache's TTL.
    vault::Vault* v = token_vault.get();
    auth->server->deprovisioning().on_user_changed(
        [v](const std::string& user_id) { v->forget_user(user_id); });
    ConnectPagesDeps pages;
    pages.connectors = connectors;
    pages.auth = auth->server.get();
    pages.vault = token_vault.get();
    pages.executor = auth->executor.get();
    pages.public_url = config.public_url;
    if (oauth_upstreams) {
      pages.extra_connector = [oauth_upstreams](const std::string& id) {
        return oauth_upstreams->connector(id);
      };
      pages.on_connected = [oauth_upstreams](const std::string& id, const std::string& user) {
        oauth_upstreams->connected(id, user);
      };
      oauth_upstreams->mount(*router);
    }
    mount_connect_pages(*router, std::move(pages));
  }
  if (auth) {
    auth->server->register_routes(*router);
    mount_scim(*router, config, *auth->store, *auth->executor, auth->server->deprovisioning());
    if (config.admin.enabled) {
      AdminDeps admin;
      admin.store = auth->store.get();
      admin.executor = auth->executor.get();
      admin.as = auth->server.get();
      admin.admin_guard = auth->admin_guard;
      admin.mcp_guard = auth->guard;
      admin.stores = policy->stores;
      admin.runtime.store = auth->store.get();
      admin.runtime.as = auth->server.get();
      admin.runtime.gateway = gate;
      admin.runtime.vault = token_vault.get();
      admin.runtime.io = ioc.get_executor();
      admin.runtime.started_at = started_at;
      admin.runtime.connectors = connectors;
      admin.runtime.quotas = quotas;
      admin.audit_log = audit_log;
      admin.tools = [registry] { return registry->tools(); };
      admin.tool_authorizer = policy->authorizer;
      mount_admin(*router, config, std::move(admin));
      asio::co_spawn(ioc,
                     auth->admin_guard->run_revocation_poll(*auth->store, *auth->executor,
                                                            config.store.poll_interval),
                     asio::detached);
    }
    asio::co_spawn(ioc, auth->server->run_maintenance(), asio::detached);
    if (auth->cimd) {
      // Load the system CA store for client-metadata fetches (~50 ms of CPU) on the store's
      // threads a moment after start, so neither start-up nor the first CIMD client waits.
      store::Executor* executor = auth->executor.get();
      asio::co_spawn(
          ioc,
          [executor]() -> asio::awaitable<void> {
            asio::steady_timer settle(co_await asio::this_coro::executor);
            settle.expires_after(std::chrono::seconds(2));
            boost::system::error_code ec;
            co_await settle.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) {
              co_await executor->run([] { (void)http::default_http_client(); });
            }
          },
          asio::detached);
    }
    asio::co_spawn(ioc,
                   auth->guard->run_revocation_poll(*auth->store, *auth->executor,
                                                    config.store.poll_interval),
                   asio::detached);
  }

  // Every organization's store catches up with the changes other replicas made to it.
  std::function<Status()> catch_up_policy;
  if (policy && policy->service->persistent()) {
    catch_up_policy = [stores = policy->stores]() -> Status {
      Status first;
      for (const auto& s : stores) {
        // One organization's failure does not hold the others back; the first is reported.
        if (auto st = s.service->catch_up(); !st && first) {
          first = make_error(st.error().code, "organization " + s.org_id + ": " + st.error().message);
        }
      }
      return first;
    };
    // Tuple changes made through other replicas reach this one's engines within half a second.
    asio::co_spawn(ioc,
                   policy->executor->run_every(
                       config.store.poll_interval, *policy->stop, catch_up_policy,
                       [](const Error& e) { log::warn("authz_catch_up_failed", {{"error", e.message}}); }),
                   asio::detached);
  }

  // Changes other replicas commit (PostgreSQL LISTEN/NOTIFY): the catch-ups above run at once
  // instead of at their next period, which stays as the safety net. Per topic at most one run
  // is queued; a notification arriving once that run has started queues another, since what it
  // announces may have committed after the run read.
  std::unique_ptr<store::ChangeWatch> watch;
  if (auth) {
    struct CatchUp {
      store::Executor* executor = nullptr;  // null: nothing to do for that topic
      std::function<Status()> run;
      const char* failure_event = "";
    };
    std::array<CatchUp, store::kChangeTopicCount> catch_ups;  // by store::ChangeTopic
    store::Store* st = auth->store.get();
    catch_ups[static_cast<std::size_t>(store::ChangeTopic::kRevocations)] = {
        auth->executor.get(),
        [guard = auth->guard, admin_guard = auth->admin_guard, st]() -> Status {
          if (admin_guard) {
            MCPGATE_TRY(admin_guard->poll_revocations_once(*st));
          }
          return guard->poll_revocations_once(*st);
        },
        "mcp_revocation_poll_failed"};
    catch_ups[static_cast<std::size_t>(store::ChangeTopic::kSigningKeys)] = {
        auth->executor.get(), [as = auth->server.get()] { return as->reload_signing_keys(); },
        "signing_keys_reload_failed"};
    if (catch_up_policy) {
      catch_ups[static_cast<std::size_t>(store::ChangeTopic::kAuthz)] = {
          policy->executor.get(), catch_up_policy, "authz_catch_up_failed"};
    }
    if (token_vault) {
      // A user deprovisioned through another replica (or the CLI): forget every cached vault
      // connection, so a suspended one is refused by its next lookup (the notification does not
      // say which user; deprovisioning is rare and a re-read costs microseconds).
      catch_ups[static_cast<std::size_t>(store::ChangeTopic::kUsers)] = {
          auth->executor.get(),
          [v = token_vault.get()]() -> Status {
            v->forget_all();
            return {};
          },
          "vault_forget_failed"};
    }
    auto queued = std::make_shared<std::array<std::atomic<bool>, store::kChangeTopicCount>>();
    watch = st->watch_changes([catch_ups, queued](store::ChangeTopic topic) {
      const auto i = static_cast<std::size_t>(topic);
      const CatchUp& c = catch_ups[i];
      if (c.executor == nullptr || (*queued)[i].exchange(true)) {
        return;
      }
      c.executor->post([c, queued, i] {
        (*queued)[i] = false;
        if (auto done = c.run(); !done) {
          log::warn(c.failure_event, {{"error", done.error().message}});
        }
      });
    });
  }

  http::Server server(ioc, config.server, router);
  if (auto st = server.start(); !st) {
    log::error("listen_failed", {{"error", st.error().message}});
    return 1;
  }
  log::info("listening", {{"address", config.server.host},
                          {"port", server.port()},
                          {"tls", server.tls()},
                          {"mcp_path", config.mcp.path},
                          {"tool_sets", config.mcp.tool_sets},
                          {"auth", config.auth.enabled},
                          {"threads", threads},
                          {"version", MCPGATE_VERSION}});

  // SIGHUP: reload the configuration file (app/config_reload.hpp), and re-read the signing keys
  // now (after `mcpgate keys rotate`) instead of at the next minute's upkeep.
  std::shared_ptr<ConfigReloader> reloader;
  if (reload_config) {
    ReloadTargets targets;
    targets.gateway = gate;
    targets.quotas = quotas;
    targets.audit = call_audit;
    targets.metrics_token = metrics_token;
    targets.policy = policy ? &*policy : nullptr;
    reloader = std::make_shared<ConfigReloader>(
        config_at_start, std::move(reload_config), std::move(targets));
  }
  asio::signal_set reload(ioc, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) {
        return;
      }
      if (reloader) {
        reloader->request(ioc.get_executor());
      }
      if (auth) {
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
              const Status st =
                  co_await auth->executor->run([&] { return auth->server->maintain_once(); });
              if (st) {
                log::info("reloaded", {{"what", "signing keys"}});
              } else {
                log::error("reload_failed", {{"error", st.error().message}});
              }
            },
            asio::detached);
      }
      await_reload();
    });
  };
  await_reload();

  // Graceful shutdown: stop accepting, let in-flight requests finish, then close what is left.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    log::info("shutdown", {{"signal", sig}});
    reload.cancel();
    server.stop();
    if (gate) {
      gate->stop();
    }
    if (auth) {
      auth->server->stop();
      auth->guard->stop();
      if (auth->admin_guard) {
        auth->admin_guard->stop();
      }
    }
    if (policy) {
      policy->stop->store(true);
    }
    drain.expires_after(config.server.drain_timeout);
    drain.async_wait([&](const boost::system::error_code& e) {
      if (!e) {
        server.force_close();
      }
      // Timers and sessions of other modules do not keep the process alive past the drain.
      asio::post(ioc, [&] { ioc.stop(); });
    });
    // Done early when every connection has closed.
    auto poll = std::make_shared<std::function<void()>>();
    auto timer = std::make_shared<asio::steady_timer>(ioc);
    *poll = [&, poll, timer] {
      if (server.open_connections() == 0) {
        drain.cancel();
        return;
      }
      timer->expires_after(std::chrono::milliseconds(20));
      timer->async_wait([poll](const boost::system::error_code& e2) {
        if (!e2) {
          (*poll)();
        }
      });
    };
    (*poll)();
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : pool) {
    t.join();
  }
  // No more notifications, then let queued store work finish while what it uses still exists.
  watch.reset();
  if (audit_log) {
    audit_log->close();  // the endpoint (and its audit hook) may outlive the stores
  }
  if (policy) {
    policy->executor->join();
  }
  if (auth) {
    auth->executor->join();
  }
  if (pin_executor) {
    pin_executor->join();
  }
  log::info("stopped");
  return 0;
}

}  // namespace mcpgate::app
