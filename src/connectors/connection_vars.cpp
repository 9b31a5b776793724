#include "connectors/connection_vars.hpp"

#include "connectors/url.hpp"

namespace mcpgate::connectors {

Status check_connection_var(const ConnectorDef& def, const ConnectionVar& var,
                            std::string_view value) {
  const std::string what = "the token response's '" + var.from_token_response + "'";
  if (value.empty() || value.size() > kMaxConnectionVarBytes) {
    return make_error(ErrorCode::kInvalidArgument, what + " is empty or too long");
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return make_error(ErrorCode::kInvalidArgument, what + " holds control characters");
    }
  }
  if (!var.base_url) {
    return {};
  }
  const auto parts = parse_url(value);
  if (!parts || !parts->query.empty() || value.find_first_of("?#") != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, what + " is not a plain URL");
  }
  if (auto st = check_url_allowed(value, def.api.hosts, def.api.allow_loopback_http); !st) {
    return make_error(ErrorCode::kInvalidArgument, what + " is refused: " + st.error().message);
  }
  return {};
}

Result<ConnectionVars> capture_connection_vars(const ConnectorDef& def, const Json& response,
                                               bool require_all) {
  ConnectionVars out;
  for (const ConnectionVar& var : def.oauth.connection_vars) {
    const auto it = response.is_object() ? response.find(var.from_token_response) : response.end();
    if (!response.is_object() || it == response.end() || it->is_null()) {
      if (require_all) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the token response has no '" + var.from_token_response + "'");
      }
      continue;
    }
    if (!it->is_string()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the token response's '" + var.from_token_response + "' is not a string");
    }
    const std::string& value = it->get_ref<const std::string&>();
    MCPGATE_TRY(check_connection_var(def, var, value));
    out[var.name] = value;
  }
  return out;
}

std::string encode_connection_vars(const ConnectionVars& vars) {
  if (vars.empty()) {
    return "";
  }
  Json doc = Json::object();
  for (const auto& [name, value] : vars) {
    doc[name] = value;
  }
  return doc.dump();
}

Result<ConnectionVars> decode_connection_vars(std::string_view text) {
  ConnectionVars out;
  if (text.empty()) {
    return out;
  }
  const Json doc = Json::parse(text, nullptr, false);
  if (!doc.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "stored connection variables are unreadable");
  }
  for (const auto& [name, value] : doc.items()) {
    if (!value.is_string()) {
      return make_error(ErrorCode::kInvalidArgument, "stored connection variables are unreadable");
    }
    out[name] = value.get<std::string>();
  }
  return out;
}

}  // namespace mcpgate::connectors
