#pragma once
// The configuration file (YAML) as plain structs. Loading validates everything up front and
// reports every problem with file, line and key; `${VAR}` in any scalar is replaced from the
// environment (a missing variable is an error). Unknown keys are errors, so typos surface.

#include <string>
#include <string_view>
#include <vector>

#include "core/log.hpp"
#include "core/result.hpp"
#include "http/server_options.hpp"
#include "mcp/endpoint.hpp"
#include "oauth/options.hpp"

namespace mcpgate::app {

struct McpConfig {
  std::string path = "/mcp";
  std::vector<std::string> tool_sets;  // "demo", "conformance"
  mcp::EndpointOptions endpoint;
};

struct Config {
  std::string source;  // file the config came from
  http::ServerOptions server;
  bool insecure_http = false;  // allow plain HTTP on a non-loopback address
  std::string public_url;      // defaults to http(s)://listen
  McpConfig mcp;
  log::Options logging;
  std::string data_dir = "./data";
  // The `auth:` section: the OAuth authorization server and the bearer guard on the MCP path.
  // Absent or `enabled: false` = no authentication (only allowed on loopback binds).
  oauth::AuthOptions auth;
  // `auth: {enabled: false}` written in the file: the operator chose an unauthenticated MCP
  // endpoint (e.g. behind an authenticating proxy). Without it, only loopback binds may run
  // without authentication.
  bool auth_disabled_explicitly = false;
};

Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name);
Result<Config> load_config(const std::string& path);

// Fills what depends on other settings, after command-line overrides: public_url (from
// server.listen), auth.issuer (public_url) and auth.resources (public_url + mcp.path).
void finalize_config(Config& config);

// Parses "host:port", "[v6]:port" into the options.
Status parse_listen(std::string_view text, http::ServerOptions& out);

// The rules that hold whatever the file says (after command-line overrides): plain HTTP only on
// loopback unless insecure_http; known tool sets only; authentication on unless the gateway only
// listens on loopback; the auth options' own rules (oauth::validate_auth_options).
Status check_deployment(const Config& config);

}  // namespace mcpgate::app
