#pragma once
// What the layer behind the endpoint (the gateway) does when a client opens or ends a session
// (session era). EndpointOptions::session_hooks; null = nothing.

#include <string>

#include <nlohmann/json.hpp>

#include "http/asio.hpp"

namespace mcpgate::mcp {

struct SessionOpening {
  std::string subject;  // the session's binding: "<sub>\n<client_id>", "" when anonymous
  std::string protocol_version;
  nlohmann::json client_capabilities = nlohmann::json::object();
};

class SessionHooks {
 public:
  virtual ~SessionHooks() = default;

  // A client is opening a session (initialize). Returns the session's attachments (a JSON
  // object), which the session keeps, tools read (ToolContext::session_attachments) and a
  // sealed session id carries to other processes. Cannot fail: what cannot be done now is done
  // on first use.
  virtual asio::awaitable<nlohmann::json> opened(SessionOpening opening) = 0;

  // The client ended the session (DELETE). Not called when a process merely forgets an idle
  // session: with sealed ids it may go on in another process.
  virtual asio::awaitable<void> ended(nlohmann::json attachments) = 0;
};

}  // namespace mcpgate::mcp
