#pragma once
// Configuration reload (SIGHUP on `mcpgate serve`): the new file is loaded and validated exactly
// as at start (load, command-line overrides, finalize, deployment rules). A file with any error
// is rejected: the running configuration stays in force, untouched, and the failure is logged
// (file, reason) and counted. A valid one is applied without dropping connections, sessions or
// calls:
//
//   gateway.upstreams   added upstreams start, removed ones stop (child processes terminated)
//                       and their tools, prompts and resources leave the registry (sessions get
//                       list_changed), changed ones are replaced; unchanged ones are untouched
//   quotas              a changed rule list takes effect for the next call (fresh counters)
//   logging             level and access log
//   audit.arguments     digest / full, for the records made afterwards
//   metrics             the /metrics token (a token file is re-read)
//   authz.store_file /  the model is re-read and becomes current, in every organization's
//   authz.model_file    store, when it changed (tuples in a store file seed an empty default
//                       organization's store only, as at start)
//
// Every other key (listen address, TLS, data_dir, store, auth, the rest of authz and mcp,
// gateway.separator / pin_tools / refresh_interval_ms, audit.enabled, a gateway or authz
// section the process started without) cannot change in a running process: when it differs
// from the file the process started with, the reload logs a warning naming each such key
// ("needs a restart") and applies the rest.
//
// Metrics: mcpgate_config_reloads_total{result="success"|"failure"} and
// mcpgate_config_last_reload_success_timestamp_seconds (set at start too).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "core/result.hpp"
#include "http/asio.hpp"

namespace mcpgate::gateway {
class Gateway;
}  // namespace mcpgate::gateway

namespace mcpgate::app {

class MetricsToken;
class QuotaCallLimiter;
class StoreCallAudit;
struct PolicyStack;

// Which optional parts the running process has (a part it started without needs a restart).
struct RunningParts {
  bool gateway = false;
  bool authz = false;
};

// The configuration keys ("server.listen", "auth.clients", ...) whose values differ between the
// file the process runs with and the new one and that a reload cannot apply. Compared on the
// YAML (a key missing and a key set to its default count as different), except server.listen,
// data_dir and store.kind/url, which are compared as the command-line overrides left them.
std::vector<std::string> restart_required_keys(const Config& running,
                                               const Config& next,
                                               RunningParts parts);

// Whether a reload applies this key live (see above).
bool live_key(std::string_view key, RunningParts parts);

// Loads the configuration again with start-up's code and command-line overrides.
using ConfigLoader = std::function<Result<Config>()>;

// What a reload changes in the running server. Null members are parts the server does not run.
struct ReloadTargets {
  std::shared_ptr<gateway::Gateway> gateway;
  std::shared_ptr<QuotaCallLimiter> quotas;
  std::shared_ptr<StoreCallAudit> audit;
  std::shared_ptr<MetricsToken> metrics_token;
  PolicyStack* policy = nullptr;  // owned by serve(), outlives the reloader
};

// What the reload metrics say now (the Admin API's getStatus): when the configuration in force
// was loaded (unix seconds; 0 before the server set it) and how many reloads succeeded or were
// rejected since start.
struct ReloadCounts {
  double loaded_at = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
};
ReloadCounts reload_counts();

class ConfigReloader : public std::enable_shared_from_this<ConfigReloader> {
 public:
  ConfigReloader(Config running, ConfigLoader load, ReloadTargets targets);

  // Starts a reload on `executor`. Reloads run one at a time; requests made while one runs
  // are merged into one more run after it.
  void request(asio::any_io_executor executor);

  // One reload: load, validate, apply. The error is the reason a file was rejected.
  asio::awaitable<Status> reload_once();

 private:
  asio::awaitable<void> run_requests();

  const Config started_;  // what the process started with (the restart-only values in force)
  std::vector<quota::QuotaRule> quotas_;  // the rules in force
  log::Options logging_;                  // the logging options in force
  ConfigLoader load_;
  ReloadTargets targets_;
  std::mutex mu_;
  bool running_ = false;
  bool pending_ = false;
};

}  // namespace mcpgate::app
