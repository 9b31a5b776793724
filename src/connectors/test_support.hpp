#pragma once
// Helpers shared by the connector tests.

#include <gtest/gtest.h>

#include <string>

#include "connectors/loader.hpp"

namespace mcpgate::connectors::testing {

inline std::string repo_path(const std::string& rel) {
  return std::string(MCPGATE_SOURCE_DIR) + "/" + rel;
}

inline ConnectorDef load_shipped(const std::string& file) {
  auto def = load_connector_file(repo_path("connectors/" + file));
  if (!def) {
    ADD_FAILURE() << def.error().message;
    return {};
  }
  return std::move(def).value();
}

inline const ToolDef& tool(const ConnectorDef& c, const std::string& name) {
  for (const auto& t : c.tools) {
    if (t.name == name) {
      return t;
    }
  }
  ADD_FAILURE() << "no tool " << name << " in " << c.id;
  static const ToolDef kNone;
  return kNone;
}

inline std::string header(const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k == name) {
      return v;
    }
  }
  return "<absent>";
}

// A minimal valid definition; tests splice a tool into it.
inline std::string definition_with_tool(const std::string& tool_yaml,
                                        const std::string& api_extra = "") {
  return "schema: mcpgate.connector/v1\n"
         "id: acme\n"
         "display_name: Acme\n"
         "oauth:\n"
         "  authorize_url: https://auth.acme.example/authorize\n"
         "  token_url: https://auth.acme.example/token\n"
         "  scopes: [read]\n"
         "  pkce: required\n"
         "  client_auth: none\n"
         "  connection_vars:\n"
         "    - {name: base, from_token_response: instance_url, base_url: true}\n"
         "api:\n"
         "  hosts: [api.acme.example, \"*.tenant.acme.example\"]\n" +
         api_extra + "tools:\n" + tool_yaml;
}

}  // namespace mcpgate::connectors::testing
