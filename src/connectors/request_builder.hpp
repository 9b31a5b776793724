#pragma once
// A tool call → the upstream HTTP request, without the token: the caller adds
// `Authorization: Bearer ...` (and `Idempotency-Key` when the tool declares support) and sends
// it. The URL is re-checked against the connector's hosts after templating, so no argument or
// connection variable can move the request elsewhere.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

// Per-connection values captured from the token response (OAuthDef::connection_vars), e.g.
// {"instance_url": "https://acme.my.salesforce.com"}.
using ConnectionVars = std::map<std::string, std::string>;

struct HttpRequest {
  std::string method;
  std::string url;  // absolute, query included
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when none; Content-Type is among the headers when set
};

// Query parameters and JSON body fields come out in name order (deterministic, so a request
// can be compared and hashed for an Idempotency-Key).
// Validates `arguments` against the tool's inputSchema (defaults applied), then fills the
// templates. Errors: kInvalidArgument for bad arguments (the message is safe to show the
// agent), kFailedPrecondition when a connection variable is missing or points off the
// allowed hosts.
Result<HttpRequest> build_request(const ToolDef& tool, const Json& arguments,
                                  const ConnectionVars& conn = {});

}  // namespace mcpgate::connectors
