#pragma once
// "You are not connected to <connector>": what a tool call returns when the caller has no
// usable connection (none yet, or the provider refused the refresh token and the user must
// consent again). Today it travels as an Error (kFailedPrecondition) whose message carries the
// link, so every client sees it. connect_required_rpc_data() is the payload of the MCP URL-mode
// elicitation (JSON-RPC error -32042, protocol 2025-11-25) for clients that declared
// `elicitation.url`: the MCP layer can send it once tool errors may carry JSON-RPC data.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::connectors {

inline constexpr int kUrlElicitationRequiredCode = -32042;

struct ConnectRequired {
  std::string connector_id;
  std::string url;             // <public base URL>/connect/<connector id>
  std::string message;         // for the user
  std::string elicitation_id;  // random, for correlating the completion notification
  bool reconsent = false;      // true: a connection exists but needs consent again
};

ConnectRequired connect_required(std::string_view public_base_url, std::string_view connector_id,
                                 std::string_view display_name, bool reconsent);

// kFailedPrecondition; the message names the connector and the link.
Error connect_required_error(const ConnectRequired& required);

// {"elicitations":[{"mode":"url","url":...,"message":...,"elicitationId":...}]}
nlohmann::json connect_required_rpc_data(const ConnectRequired& required);

}  // namespace mcpgate::connectors
