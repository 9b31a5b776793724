// Gateway::reconfigure (a configuration reload) and what it shares with create(): building an
// upstream's client, and taking a retired upstream's entries out of the registry.

#include <algorithm>

#include "core/log.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_internal.hpp"
#include "gateway/http_upstream.hpp"
#include "gateway/stdio_upstream.hpp"

namespace mcpgate::gateway {
namespace {

// How long a reload waits for a retired upstream's running sync to end before its successor
// starts (the successor would otherwise race it for the same names). A retired upstream is shut
// down, so its list requests end early; this bounds a streamable-http one still in flight.
constexpr std::chrono::milliseconds kRetireWait{20000};

const UpstreamOptions* find_named(const std::vector<UpstreamOptions>& list,
                                  const std::string& name) {
  for (const auto& o : list) {
    if (o.name == name) {
      return &o;
    }
  }
  return nullptr;
}

}  // namespace

UpstreamChanges diff_upstreams(const std::vector<UpstreamOptions>& running,
                               const std::vector<UpstreamOptions>& next) {
  UpstreamChanges c;
  for (const auto& o : next) {
    const UpstreamOptions* before = find_named(running, o.name);
    if (before == nullptr) {
      c.added.push_back(o.name);
    } else if (*before == o) {
      c.unchanged.push_back(o.name);
    } else {
      c.changed.push_back(o.name);
    }
  }
  for (const auto& o : running) {
    if (find_named(next, o.name) == nullptr) {
      c.removed.push_back(o.name);
    }
  }
  return c;
}

Result<std::shared_ptr<Gateway::UpstreamState>> Gateway::make_upstream(const UpstreamOptions& o) {
  auto state = std::make_shared<UpstreamState>();
  state->options = o;
  if (o.transport == Transport::kStreamableHttp) {
    HttpUpstreamOptions h;
    h.name = o.name;
    h.url = o.url;
    h.headers = o.headers;
    h.connect_timeout = o.connect_timeout;
    if (o.oauth.enabled) {
      if (!deps_.credentials) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "upstream " + o.name + ": auth: oauth needs the token vault");
      }
      h.shared_authorization = [credentials = deps_.credentials, name = o.name]() {
        return credentials->catalog_authorization(name);
      };
    }
    MCPGATE_ASSIGN_OR_RETURN(state->upstream, HttpUpstream::create(deps_.executor, h));
  } else {
    StdioUpstreamOptions s;
    s.name = o.name;
    s.spec.command = o.command;
    s.spec.args = o.args;
    s.spec.env = o.env;
    s.spec.inherit_env = o.inherit_env;
    s.spec.working_dir = o.working_dir;
    s.connect_timeout = o.connect_timeout;
    state->upstream = StdioUpstream::create(deps_.executor, std::move(s));
  }
  std::weak_ptr<Gateway> weak_gw = weak_from_this();
  std::weak_ptr<UpstreamState> weak_state = state;
  state->upstream->set_unsolicited_handler([weak_gw, weak_state](const Json& n) {
    if (auto g = weak_gw.lock()) {
      g->on_unsolicited(weak_state, n);
    }
  });
  return state;
}

void Gateway::unregister(UpstreamState& state) {
  std::set<std::string> tools;
  std::set<std::string> prompts;
  std::set<std::string> resources;
  std::set<std::string> templates;
  {
    std::lock_guard lock(state.mu);
    tools.swap(state.tools);
    prompts.swap(state.prompts);
    resources.swap(state.resources);
    templates.swap(state.templates);
  }
  // Each removal tells the sessions (notifications/*/list_changed).
  for (const auto& n : tools) {
    deps_.registry->remove_tool(n);
  }
  for (const auto& n : prompts) {
    deps_.registry->remove_prompt(n);
  }
  for (const auto& uri : resources) {
    deps_.registry->remove_resource(uri);
  }
  for (const auto& t : templates) {
    deps_.registry->remove_resource_template(t);
  }
}

asio::awaitable<UpstreamChanges> Gateway::reconfigure(GatewayOptions options) {
  std::vector<std::shared_ptr<UpstreamState>> retiring;
  UpstreamChanges changes;
  {
    std::lock_guard lock(upstreams_mu_);
    if (stopped_->load()) {
      co_return changes;
    }
    std::vector<UpstreamOptions> running;
    for (const auto& s : upstreams_) {
      running.push_back(s->options);
    }
    changes = diff_upstreams(running, options.upstreams);
    // Removed and changed upstreams leave the list now; unchanged ones stay where they are.
    std::vector<std::shared_ptr<UpstreamState>> kept;
    for (auto& s : upstreams_) {
      const bool stays =
          std::find(changes.unchanged.begin(), changes.unchanged.end(), s->options.name)
          != changes.unchanged.end();
      if (stays) {
        kept.push_back(std::move(s));
      } else {
        retiring.push_back(std::move(s));
      }
    }
    upstreams_ = std::move(kept);
  }

  for (auto& state : retiring) {
    bool syncing = false;
    {
      std::lock_guard lock(state->mu);
      state->retired = true;
      syncing = state->syncing;
    }
    const bool replaced =
        std::find(changes.changed.begin(), changes.changed.end(), state->options.name)
        != changes.changed.end();
    log::info(replaced ? "upstream_replaced" : "upstream_removed",
              {{"upstream", state->options.name}});
    state->upstream->shutdown();  // terminates a stdio child; its running calls fail
    if (!syncing) {
      unregister(*state);
    }
    // else: the running sync unregisters when it ends (Gateway::sync)
  }
  // A successor must not start while its predecessor's sync may still add the same names.
  asio::steady_timer pause(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + kRetireWait;
  for (auto& state : retiring) {
    for (;;) {
      bool syncing = false;
      {
        std::lock_guard lock(state->mu);
        syncing = state->syncing;
      }
      if (!syncing || std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      pause.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Added and replaced upstreams, in the order the new configuration lists them.
  for (const auto& o : options.upstreams) {
    const bool unchanged = std::find(changes.unchanged.begin(), changes.unchanged.end(), o.name)
                           != changes.unchanged.end();
    if (unchanged) {
      continue;
    }
    auto made = make_upstream(o);
    if (!made) {
      log::error("upstream_start_failed", {{"upstream", o.name}, {"error", made.error().message}});
      continue;
    }
    std::shared_ptr<UpstreamState> state = std::move(made).value();
    {
      std::lock_guard lock(upstreams_mu_);
      if (stopped_->load()) {
        state->upstream->shutdown();
        co_return changes;
      }
      upstreams_.push_back(state);
    }
    log::info("upstream_added", {{"upstream", o.name}});
    auto st = co_await sync(state);
    if (!st) {
      log::warn("upstream_unavailable", {{"upstream", o.name}, {"error", st.error().message}});
    }
    auto self = shared_from_this();
    auto supervise_it = [self, state]() -> asio::awaitable<void> {
      co_await self->supervise(state);
    };
    asio::co_spawn(deps_.executor, std::move(supervise_it), asio::detached);
  }
  co_return changes;
}

}  // namespace mcpgate::gateway
