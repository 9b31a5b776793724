// Gateway::upstream_status: what an operator sees of each upstream (the Admin API).
#include "gateway/gateway.hpp"
#include "gateway/gateway_internal.hpp"

namespace mcpgate::gateway {

std::vector<UpstreamStatus> Gateway::upstream_status() {
  std::vector<std::shared_ptr<UpstreamState>> states;
  {
    std::lock_guard lock(upstreams_mu_);
    states = upstreams_;
  }
  std::vector<UpstreamStatus> out;
  out.reserve(states.size());
  for (const auto& s : states) {
    UpstreamStatus u;
    u.name = s->options.name;
    u.transport = s->options.transport == Transport::kStdio ? "stdio" : "streamable-http";
    u.oauth = s->options.oauth.enabled;
    u.ready = s->upstream && !s->upstream->initialize_result().is_null();
    u.circuit = http::to_string(s->breaker.state());
    {
      std::lock_guard lock(s->mu);
      u.tools = s->tools.size();
      u.withheld = s->withheld.size();
      u.prompts = s->prompts.size();
      u.resources = s->resources.size() + s->templates.size();
    }
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace mcpgate::gateway
