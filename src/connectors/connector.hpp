#pragma once
// A connector: one SaaS provider's OAuth settings, the API hosts it may reach, and its tools as
// HTTP request templates. Loaded from YAML (loader.hpp) or imported from OpenAPI
// (openapi_import.hpp); both produce the same ToolDef, so the executor has one code path.
//
// The upstream token is never part of a definition: templates may only name tool arguments
// and, at the start of a URL, a per-connection variable (`{conn.instance_url}`); the caller of
// build_request() adds `Authorization` itself.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpgate::connectors {

using Json = nlohmann::json;

enum class ClientAuth { kClientSecretBasic, kClientSecretPost, kNone };
enum class Pkce { kRequired, kSupported, kUnsupported };

// Provider behaviours that differ from RFC 6749 and that the token manager must know about.
struct TokenQuirks {
  bool refresh_token_rotated = true;  // false: the refresh response keeps the old refresh token
  bool expires_in_missing = false;    // no expires_in: treat the token as long-lived, refresh on 401
  bool token_response_form = false;   // token endpoint answers form-encoded unless Accept: json
  std::string scope_separator = " ";
};

// A value taken from the token response and kept with the connection (Salesforce's
// instance_url). A `base_url` variable may open a URL template; its value is checked against
// the allowed hosts on every call, because it comes from the network.
struct ConnectionVar {
  std::string name;
  std::string from_token_response;  // top-level field of the token response
  bool base_url = false;
};

struct OAuthDef {
  std::string authorize_url;
  std::string token_url;
  std::string revoke_url;  // "" when the provider has no RFC 7009 endpoint
  std::vector<std::string> scopes;
  std::map<std::string, std::string> authorize_params;  // e.g. access_type=offline
  Pkce pkce = Pkce::kSupported;
  ClientAuth client_auth = ClientAuth::kClientSecretBasic;
  bool resource_indicator = false;  // RFC 8707 `resource` is accepted
  std::string issuer;               // RFC 9207: expected `iss` on the redirect ("" = not sent)
  TokenQuirks quirks;
  std::vector<ConnectionVar> connection_vars;
};

// Where each request may go. Shared by every tool of a connector (copied into each ToolDef so a
// ToolDef alone is enough to build a request).
struct ApiPolicy {
  // Exact host names, or "*.example.com" for any subdomain (not example.com itself).
  std::vector<std::string> hosts;
  // Test flag: http:// to 127.0.0.1 / ::1 / localhost is allowed (the fake provider).
  bool allow_loopback_http = false;
  std::vector<std::pair<std::string, std::string>> headers;  // sent on every request
};

enum class BodyFormat { kNone, kJson, kForm };
enum class BodySource {
  kNone,
  kFields,         // an object of name → template ("{arg}" keeps the argument's JSON type)
  kRemainingArgs,  // every argument not used by the URL, query or headers
  kFromArg,        // the body is one argument's value
  kMimeMessage,    // {"<field>": base64url(RFC 5322 message built from to/cc/bcc/subject/text)}
};

struct BodyDef {
  BodyFormat format = BodyFormat::kNone;
  BodySource source = BodySource::kNone;
  std::vector<std::pair<std::string, std::string>> fields;  // kFields
  std::string arg;                                         // kFromArg
  std::string field = "raw";                               // kMimeMessage
};

// A tool-level failure hidden in a 2xx body (Slack answers 200 {"ok": false, "error": ...}).
struct ErrorWhen {
  std::string pointer;  // JSON pointer of the flag
  Json equals;          // the value that means failure
  std::string message_pointer;
};

struct ResponseDef {
  std::string select;  // JSON pointer into the response body ("" = the whole body)
  std::optional<ErrorWhen> error_when;
  size_t max_text_bytes = 32 * 1024;
};

struct Annotations {
  bool read_only = false;
  bool destructive = true;  // MCP's default when omitted
  bool idempotent = false;
  bool open_world = true;
};

struct ToolDef {
  std::string connector_id;
  std::string name;  // without the connector prefix
  std::string title;
  std::string description;
  Json input_schema = Json::object();
  Json output_schema;  // null when absent
  Annotations annotations;
  bool idempotency_key = false;  // the provider honours an Idempotency-Key header

  std::string method;
  std::string url;  // template: "https://host/path/{arg}" or "{conn.var}/path/{arg}"
  std::vector<std::pair<std::string, std::string>> query;    // name → template
  std::vector<std::pair<std::string, std::string>> headers;  // name → template
  BodyDef body;
  ResponseDef response;
  ApiPolicy api;
};

// `openapi:` of a definition: tools imported from an OpenAPI 3.0/3.1 document (beside or
// instead of `tools:`), under the definition's OAuth settings and API hosts.
struct OpenApiSourceDef {
  std::string file;        // as written; relative to the definition's file
  std::string server_url;  // "" = the document's servers[0]
  std::vector<std::string> include;  // operationIds; empty (and no include_tags) = all
  std::vector<std::string> exclude;
  std::vector<std::string> include_tags;
  std::vector<std::string> exclude_tags;
};

struct ConnectorDef {
  std::string id;  // ^[a-z][a-z0-9_]{0,23}$, the tools' name prefix
  std::string display_name;
  std::string docs;
  OAuthDef oauth;
  ApiPolicy api;
  std::vector<ToolDef> tools;  // the hand-written ones, then the imported ones
  std::optional<OpenApiSourceDef> openapi;
  size_t imported_tools = 0;          // the last this many of `tools` came from `openapi`
  std::vector<std::string> warnings;  // operations or parameters the import left out, and why
};

// The name the gateway lists: "<connector id>_<tool name>".
std::string mcp_tool_name(const ToolDef& tool);

// The MCP Tool object: name, title?, description, inputSchema, outputSchema?, annotations.
Json tool_descriptor(const ToolDef& tool);

}  // namespace mcpgate::connectors
