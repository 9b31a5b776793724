#pragma once
// "You are not connected to <connector>": what a tool call returns when the caller has no
// usable connection (none yet, or the provider refused the refresh token and the user must
// consent again). It travels as an Error carrying an mcp::UrlElicitationRequired detail: the MCP
// endpoint answers a client that declared `elicitation.url` with the URL-mode elicitation
// (JSON-RPC error -32042, protocol 2025-11-25), any other client with a tool error whose text
// is the message, which names the link.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mcpgate::connectors {

struct ConnectRequired {
  std::string connector_id;
  std::string url;             // <public base URL>/connect/<connector id>
  std::string message;         // for the user
  std::string elicitation_id;  // random, for correlating the completion notification
  bool reconsent = false;      // true: a connection exists but needs consent again
};

ConnectRequired connect_required(std::string_view public_base_url, std::string_view connector_id,
                                 std::string_view display_name, bool reconsent);

// kFailedPrecondition with mcp::url_elicitation_required()'s detail (one URL-mode elicitation:
// the link, the message, the elicitation id); the message names the connector and the link.
Error connect_required_error(const ConnectRequired& required);

}  // namespace mcpgate::connectors
