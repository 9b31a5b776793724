#include "gateway/client_sessions.hpp"

#include "core/log.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_internal.hpp"

namespace mcpgate::gateway {

namespace {

constexpr const char* kUpstreams = "upstreams";

class GatewaySessionHooks final : public mcp::SessionHooks {
 public:
  explicit GatewaySessionHooks(std::weak_ptr<Gateway> gateway) : gateway_(std::move(gateway)) {}

  asio::awaitable<Json> opened(mcp::SessionOpening opening) override {
    auto gateway = gateway_.lock();
    if (!gateway) {
      co_return Json::object();
    }
    co_return co_await gateway->open_client_sessions(std::move(opening.client_capabilities));
  }

  asio::awaitable<void> ended(Json attachments) override {
    auto gateway = gateway_.lock();
    if (gateway) {
      co_await gateway->close_client_sessions(std::move(attachments));
    }
  }

 private:
  std::weak_ptr<Gateway> gateway_;
};

}  // namespace

std::optional<OwnSession> own_session(const mcp::ToolContext& ctx, const std::string& upstream) {
  if (ctx.session_id().empty()) {
    return std::nullopt;
  }
  OwnSession own;
  own.key = ctx.session_id();
  own.client_capabilities = &ctx.client_capabilities();
  const Json& attachments = ctx.session_attachments();
  if (auto all = attachments.find(kUpstreams); all != attachments.end() && all->is_object()) {
    if (auto mine = all->find(upstream); mine != all->end() && mine->is_string()) {
      own.sealed = mine->get_ref<const std::string&>();
    }
  }
  return own;
}

asio::awaitable<Json> Gateway::open_client_sessions(Json client_capabilities) {
  std::vector<std::shared_ptr<UpstreamState>> upstreams;
  {
    std::lock_guard lock(upstreams_mu_);
    upstreams = upstreams_;
  }
  Json sessions = Json::object();
  for (const auto& state : upstreams) {
    if (state->options.transport != Transport::kStreamableHttp
        || state->upstream->initialize_result().is_null() || !state->breaker.allow()) {
      continue;  // stdio: one shared connection; not ready or failing: opened on first use
    }
    auto opened = co_await state->upstream->open_session(client_capabilities);
    if (!opened) {
      log::warn("upstream_client_session_failed",
                {{"upstream", state->options.name}, {"error", opened.error().message}});
      continue;
    }
    if (!opened->empty()) {
      sessions[state->options.name] = std::move(*opened);
    }
  }
  Json attachments = Json::object();
  if (!sessions.empty()) {
    attachments[kUpstreams] = std::move(sessions);
  }
  co_return attachments;
}

asio::awaitable<void> Gateway::close_client_sessions(Json attachments) {
  auto all = attachments.find(kUpstreams);
  if (all == attachments.end() || !all->is_object()) {
    co_return;
  }
  std::vector<std::shared_ptr<UpstreamState>> upstreams;
  {
    std::lock_guard lock(upstreams_mu_);
    upstreams = upstreams_;
  }
  for (const auto& state : upstreams) {
    auto mine = all->find(state->options.name);
    if (mine != all->end() && mine->is_string()) {
      co_await state->upstream->close_session(mine->get<std::string>());
    }
  }
}

std::shared_ptr<mcp::SessionHooks> Gateway::session_hooks() {
  return std::make_shared<GatewaySessionHooks>(weak_from_this());
}

}  // namespace mcpgate::gateway
