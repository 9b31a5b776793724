#include "connectors/connect_required.hpp"

#include "crypto/random.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::connectors {

ConnectRequired connect_required(std::string_view public_base_url, std::string_view connector_id,
                                 std::string_view display_name, bool reconsent) {
  ConnectRequired out;
  out.connector_id = std::string(connector_id);
  std::string base(public_base_url);
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  out.url = base + "/connect/" + std::string(connector_id);
  const std::string name = display_name.empty() ? out.connector_id : std::string(display_name);
  out.message = reconsent ? name + " needs you to sign in again (access was revoked or expired): "
                                + "reconnect at " + out.url
                          : "Connect your " + name + " account to use this tool: open " + out.url;
  out.elicitation_id = crypto::random_token(16);
  out.reconsent = reconsent;
  return out;
}

Error connect_required_error(const ConnectRequired& required) {
  mcp::UrlElicitation elicitation;
  elicitation.elicitation_id = required.elicitation_id;
  elicitation.url = required.url;
  elicitation.message = required.message;
  return mcp::url_elicitation_required(required.message, {std::move(elicitation)});
}

}  // namespace mcpgate::connectors
