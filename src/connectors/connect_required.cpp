#include "connectors/connect_required.hpp"

#include "crypto/random.hpp"

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
  return make_error(ErrorCode::kFailedPrecondition, required.message);
}

nlohmann::json connect_required_rpc_data(const ConnectRequired& required) {
  nlohmann::json item = nlohmann::json::object();
  item["mode"] = "url";
  item["url"] = required.url;
  item["message"] = required.message;
  item["elicitationId"] = required.elicitation_id;
  nlohmann::json out = nlohmann::json::object();
  out["elicitations"] = nlohmann::json::array({item});
  return out;
}

}  // namespace mcpgate::connectors
