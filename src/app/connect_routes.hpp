#pragma once
// The connect pages (issue 6 item 3), for users signed in to the gate (its own login page: a
// browser without a session is sent there and comes back):
//
//   GET  /connect/<id>                     start: state + PKCE, 302 to the provider
//   GET  /connect/callback                 state (single use, same gate session, same user),
//                                          RFC 9207 iss, provider errors shown; code exchange;
//                                          tokens into the vault; success page
//   GET  /connections                      the user's connections (HTML; JSON with
//                                          Accept: application/json)
//   POST /connections/<id>/disconnect      CSRF token + same-origin check; RFC 7009 revocation
//                                          at the provider (refresh token, then access token;
//                                          failures logged), then the vault row is deleted
//
// The protocol logic is connectors/connect_flow.*; this file is HTTP, pages and the vault.
// Codes, tokens, cookies and the client secret are never logged.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/connector_setup.hpp"
#include "http/router.hpp"
#include "oauth/authorization_server.hpp"

namespace mcpgate::app {

struct ConnectPagesDeps {
  std::vector<ConfiguredConnector> connectors;
  oauth::AuthorizationServer* auth = nullptr;  // the gate's login (browser sessions)
  vault::Vault* vault = nullptr;
  store::Executor* executor = nullptr;
  std::string public_url;  // redirect URI = public_url + "/connect/callback"
  // Connectors known only at run time (OAuth upstreams, app/oauth_upstreams): consulted when
  // `connectors` has no such id; the pointer must stay valid for the process's life.
  std::function<const ConfiguredConnector*(const std::string& id)> extra_connector;
  // Called after a connection was stored (the OAuth upstreams re-read their lists).
  std::function<void(const std::string& id, const std::string& user_id)> on_connected;
};

// Mounts the routes above. The dependencies must outlive the router.
void mount_connect_pages(http::Router& router, ConnectPagesDeps deps);

}  // namespace mcpgate::app
