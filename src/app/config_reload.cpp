#include "app/config_reload.hpp"

#include <chrono>
#include <optional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "app/call_audit.hpp"
#include "app/call_quota.hpp"
#include "app/observability_routes.hpp"
#include "app/policy_stack.hpp"
#include "core/log.hpp"
#include "crypto/hash.hpp"
#include "gateway/gateway.hpp"
#include "metrics/metrics.hpp"

namespace mcpgate::app {
namespace {

// Keys compared as the command-line overrides left them, not as the file says.
const std::set<std::string, std::less<>> kEffectiveKeys = {
    "server.listen", "data_dir", "store.kind", "store.url"};

bool absent(const YAML::Node& n) {
  return !n.IsDefined() || n.IsNull();  // IsDefined() first: a missing key is an invalid node
}

// The value under `key`, or a null node (never yaml-cpp's invalid node, which throws when asked
// its type) when the map has no such key.
YAML::Node child(const YAML::Node& map, const std::string& key) {
  const YAML::Node v = map[key];
  return v.IsDefined() ? v : YAML::Node();
}

bool same_node(const YAML::Node& a, const YAML::Node& b) {
  if (absent(a) || absent(b)) {
    return absent(a) && absent(b);
  }
  if (a.Type() != b.Type()) {
    return false;
  }
  if (a.IsScalar()) {
    return a.Scalar() == b.Scalar();
  }
  if (a.IsSequence()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_node(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (const auto& kv : a) {
      const YAML::Node other = child(b, kv.first.Scalar());
      if (!same_node(kv.second, other)) {
        return false;
      }
    }
    return true;
  }
  return true;
}

// Collects the paths of differing values. Maps are descended (a missing map counts as an empty
// one, so an added or removed section names its keys); lists and scalars are compared whole.
void diff_nodes(const YAML::Node& a,
                const YAML::Node& b,
                const std::string& path,
                std::vector<std::string>& out) {
  const bool descend =
      (a.IsMap() || absent(a)) && (b.IsMap() || absent(b)) && (a.IsMap() || b.IsMap());
  if (!descend) {
    if (!same_node(a, b)) {
      out.push_back(path.empty() ? "(top level)" : path);
    }
    return;
  }
  std::set<std::string> keys;
  for (const YAML::Node* side : {&a, &b}) {
    if (side->IsMap()) {
      for (const auto& kv : *side) {
        keys.insert(kv.first.Scalar());
      }
    }
  }
  for (const auto& k : keys) {
    const YAML::Node av = a.IsMap() ? child(a, k) : YAML::Node();
    const YAML::Node bv = b.IsMap() ? child(b, k) : YAML::Node();
    diff_nodes(av, bv, path.empty() ? k : path + "." + k, out);
  }
}

YAML::Node parse_or_null(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception&) {
    return YAML::Node();  // cannot happen: both files were parsed before
  }
}

struct ReloadMetrics {
  metrics::Counter& success;
  metrics::Counter& failure;
  metrics::Gauge& last_success;
};

ReloadMetrics& reload_metrics() {
  static ReloadMetrics m = [] {
    auto& family = metrics::global().counter(
        "mcpgate_config_reloads_total",
        "Configuration reloads (SIGHUP), by result: failure = the new file was rejected.",
        {"result"});
    auto& last = metrics::global().gauge(
        "mcpgate_config_last_reload_success_timestamp_seconds",
        "Unix time the configuration in force was loaded (start or the last successful reload).");
    return ReloadMetrics{family.with({"success"}), family.with({"failure"}), last.with()};
  }();
  return m;
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Log lines are built outside the coroutines (g++ 12 and nested braced JSON, ARCHITECTURE.md).
void log_rejected(const std::string& file, const Error& e) {
  log::error("config_reload_failed",
             {{"file", file},
              {"error", e.message},
              {"effect", "the new configuration was rejected; the running one stays in force"}});
}

void log_needs_restart(const std::string& file, const std::vector<std::string>& keys) {
  log::warn("config_reload_needs_restart",
            {{"file", file},
             {"keys", keys},
             {"effect",
              "these keys keep their running values until a restart; the rest of the "
              "configuration was applied"}});
}

void log_applied(const std::string& file,
                 const gateway::UpstreamChanges& c,
                 bool gateway,
                 bool quotas_changed,
                 std::optional<bool> model_changed,
                 bool metrics_token_changed) {
  nlohmann::json fields = nlohmann::json::object();
  fields["file"] = file;
  if (gateway) {
    fields["upstreams_added"] = c.added;
    fields["upstreams_removed"] = c.removed;
    fields["upstreams_replaced"] = c.changed;
    fields["upstreams_unchanged"] = c.unchanged.size();
  }
  fields["quotas_changed"] = quotas_changed;
  if (model_changed) {
    fields["authz_model_changed"] = *model_changed;
  }
  fields["metrics_token_changed"] = metrics_token_changed;
  log::info("config_reloaded", std::move(fields));
}

}  // namespace

ReloadCounts reload_counts() {
  const ReloadMetrics& m = reload_metrics();
  return ReloadCounts{m.last_success.value(), m.success.value(), m.failure.value()};
}

bool live_key(std::string_view key, RunningParts parts) {
  std::vector<std::string_view> live = {"logging", "metrics", "quotas", "audit.arguments"};
  if (parts.gateway) {
    live.push_back("gateway.upstreams");
  }
  if (parts.authz) {
    live.push_back("authz.store_file");
    live.push_back("authz.model_file");
  }
  for (const std::string_view p : live) {
    if (key == p
        || (key.size() > p.size() && key.substr(0, p.size()) == p && key[p.size()] == '.')) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> restart_required_keys(const Config& running,
                                               const Config& next,
                                               RunningParts parts) {
  std::vector<std::string> differing;
  diff_nodes(parse_or_null(running.text), parse_or_null(next.text), "", differing);
  std::vector<std::string> out;
  for (auto& key : differing) {
    if (kEffectiveKeys.count(key) == 0 && !live_key(key, parts)) {
      out.push_back(std::move(key));
    }
  }
  if (running.server.host != next.server.host || running.server.port != next.server.port) {
    out.emplace_back("server.listen");
  }
  if (running.data_dir != next.data_dir) {
    out.emplace_back("data_dir");
  }
  if (running.store.kind != next.store.kind) {
    out.emplace_back("store.kind");
  }
  if (store_url(running.store) != store_url(next.store)) {
    out.emplace_back("store.url");
  }
  return out;
}

ConfigReloader::ConfigReloader(Config running, ConfigLoader load, ReloadTargets targets)
    : started_(std::move(running)),
      quotas_(started_.quotas),
      logging_(started_.logging),
      load_(std::move(load)),
      targets_(std::move(targets)) {
  reload_metrics().last_success.set(unix_seconds());
}

void ConfigReloader::request(asio::any_io_executor executor) {
  {
    std::lock_guard lock(mu_);
    if (running_) {
      pending_ = true;
      return;
    }
    running_ = true;
  }
  auto self = shared_from_this();
  auto run = [self]() -> asio::awaitable<void> {
    co_await self->run_requests();
  };
  asio::co_spawn(executor, std::move(run), asio::detached);
}

asio::awaitable<void> ConfigReloader::run_requests() {
  for (;;) {
    Status st;
    try {
      st = co_await reload_once();
    } catch (const std::exception& e) {
      st = make_error(ErrorCode::kInternal, e.what());
    }
    if (st) {
      reload_metrics().success.inc();
      reload_metrics().last_success.set(unix_seconds());
    } else {
      reload_metrics().failure.inc();
      log_rejected(started_.source, st.error());
    }
    std::lock_guard lock(mu_);
    if (!pending_) {
      running_ = false;
      break;
    }
    pending_ = false;
  }
}

asio::awaitable<Status> ConfigReloader::reload_once() {
  const std::string& file = started_.source;
  log::info("config_reload", {{"file", file}});
  Result<Config> loaded = load_();
  if (!loaded) {
    co_return loaded.error();
  }
  Config next = std::move(loaded).value();
  const RunningParts parts{targets_.gateway != nullptr, targets_.policy != nullptr};

  // Everything that can still fail comes before anything is applied: the policy model is
  // parsed and validated here, then written (the one step that may fail on the store) first.
  std::optional<authz::AuthorizationModel> model;
  if (targets_.policy != nullptr && next.authz.enabled) {
    auto m = load_policy_model(next.authz);
    if (!m) {
      co_return make_error(m.error().code, "authz: " + m.error().message);
    }
    model = std::move(m).value();
  }
  std::optional<bool> model_changed;
  if (model) {
    PolicyStack* policy = targets_.policy;
    auto write = [policy, &model] {
      return make_model_current(policy->stores, *model);
    };
    Result<bool> changed = co_await policy->executor->run(std::move(write));
    if (!changed) {
      co_return make_error(changed.error().code, "authz: " + changed.error().message);
    }
    model_changed = *changed;
  }

  const std::vector<std::string> restart = restart_required_keys(started_, next, parts);
  if (!restart.empty()) {
    log_needs_restart(file, restart);
  }

  if (next.logging.level != logging_.level || next.logging.access_log != logging_.access_log) {
    log::init(next.logging);
    logging_ = next.logging;
  }
  bool metrics_token_changed = false;
  if (targets_.metrics_token) {
    const std::string digest =
        next.metrics_token.empty() ? std::string() : crypto::sha256(next.metrics_token);
    metrics_token_changed = digest != targets_.metrics_token->digest();
    targets_.metrics_token->set(next.metrics_token);
  }
  if (targets_.audit) {
    targets_.audit->set_full_arguments(next.audit.full_arguments);
  }
  const bool quotas_changed = next.quotas != quotas_;
  if (quotas_changed && targets_.quotas) {
    targets_.quotas->set_rules(next.quotas);
    quotas_ = next.quotas;
  }
  gateway::UpstreamChanges changes;
  if (targets_.gateway) {
    changes = co_await targets_.gateway->reconfigure(std::move(next.gateway));
  }
  log_applied(file,
              changes,
              targets_.gateway != nullptr,
              quotas_changed,
              model_changed,
              metrics_token_changed);
  co_return Status{};
}

}  // namespace mcpgate::app
