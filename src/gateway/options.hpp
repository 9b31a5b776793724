#pragma once
// The `gateway:` section of the configuration (parsed by src/app/config.cpp): the upstream MCP
// servers fronted by /mcp.
//
//   gateway:
//     separator: "__"                # <prefix><separator><tool>; prefix defaults to the name
//     call_timeout_ms: 60000
//     pin_tools: true                # tool pinning (rug-pull protection)
//     upstreams:
//       - name: everything
//         transport: stdio
//         command: npx
//         args: ["-y", "@modelcontextprotocol/server-everything"]
//         env: { LOG_LEVEL: info }
//         working_dir: /srv/everything
//         exclude: ["trigger*"]
//       - name: crm
//         transport: streamable-http
//         url: http://10.0.0.7:9000/mcp
//         headers: { X-Api-Key: { env: CRM_API_KEY } }   # or { file: /run/secrets/crm }
//         prefix: ""                  # no namespace (names must not collide)

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <string_view>

namespace mcpgate::gateway {

enum class Transport { kStreamableHttp, kStdio };

// `auth: oauth` on a streamable-http upstream (issue 6 item 4): the upstream is an OAuth-protected
// MCP server; each user connects their own account there (/connect/<name>) and the gateway sends
// that user's upstream access token with their calls. The gateway itself holds no token: the
// app supplies them (Gateway::Deps::credentials).
struct UpstreamOAuth {
  bool enabled = false;
  std::string client_id;  // pre-registered at the upstream's authorization server ("" = register)
  std::string client_secret;
  std::vector<std::string> scopes;  // empty = what the upstream's metadata lists
  std::string registration = "auto";  // auto | cimd | dcr
  bool allow_loopback_http = false;   // tests: metadata and endpoints over http on loopback

  bool operator==(const UpstreamOAuth&) const = default;
};

struct UpstreamOptions {
  std::string name;  // [a-z0-9_-], unique; the authorization server name (`tool:{name}/{tool}`)
  Transport transport = Transport::kStreamableHttp;
  // streamable-http
  std::string url;
  // Header values resolved at load time from the environment or a file: secrets never sit in
  // the configuration file and are never logged.
  std::vector<std::pair<std::string, std::string>> headers;
  // stdio
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool inherit_env = false;
  std::string working_dir;
  // federation
  std::string prefix;  // tools/prompts are listed as <prefix><separator><name>; "" = as is
  bool has_prefix = true;
  std::vector<std::string> include;  // tool name patterns ('*' wildcard); empty = all
  std::vector<std::string> exclude;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds call_timeout{60000};
  UpstreamOAuth oauth;

  // Field by field: a configuration reload replaces an upstream whose options differ.
  bool operator==(const UpstreamOptions&) const = default;
};

struct GatewayOptions {
  bool enabled = false;  // a `gateway:` section with at least one upstream
  std::string separator = "__";
  bool pin_tools = true;
  // Lists are re-read this often (and whenever an upstream says they changed); this is also
  // how approvals made by `mcpgate tools approve` reach a running gateway.
  std::chrono::milliseconds refresh_interval{30000};
  std::vector<UpstreamOptions> upstreams;
};

// '*' matches any run of characters; everything else literally.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace mcpgate::gateway
