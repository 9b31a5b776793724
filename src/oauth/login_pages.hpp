#pragma once
// The server-rendered pages of the authorization server: login, consent, error and signed-out.
// Plain HTML with inline CSS, no script, no third-party resources (RFC 9700 §4.16, §4.2.4).
//
// Every page response carries (contract "Pages"; ATTACKS row 14):
//   X-Frame-Options: DENY
//   Content-Security-Policy: default-src 'none'; style-src 'self' 'unsafe-inline';
//                            form-action 'self' <redirect origin>; frame-ancestors 'none'
//   Referrer-Policy: no-referrer
//   Cache-Control: no-store
// The redirect origin is in form-action because browsers apply form-action to the redirect
// that follows a form POST (the consent POST ends in a 303 to the client).
//
// Every value interpolated into a page is HTML-escaped here.
//
// Thread-safe (pure functions).

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mcpgate::oauth {

std::string html_escape(std::string_view text);

// A "Continue with <IdP>" link of the login page.
struct SsoChoice {
  std::string display_name;
  std::string href;  // /sso/start?flow=...&org=...
};

struct LoginPage {
  std::string action;       // where the form posts (path)
  std::string flow;         // hidden field
  std::string csrf;         // hidden field
  std::string client_name;  // "Sign in to continue to <client_name>"
  std::string error;        // shown above the form when set
  std::string username;     // prefilled after a failed attempt
  // Organizations that sign in through their IdP. With any, the identifier field also takes
  // an email address (home-realm discovery) and the password may be left empty for it.
  std::vector<SsoChoice> sso;
};

struct ConsentScope {
  std::string name;
  std::vector<std::string> tools;  // tools the scope allows (through implied scopes too)
};

struct ConsentPage {
  std::string action;
  std::string flow;
  std::string csrf;
  std::string client_name;
  std::string client_id;
  std::string client_id_host;  // CIMD: host of the client_id URL ("" otherwise)
  bool unverified_client = false;  // DCR/CIMD: registered by the client itself
  std::string redirect_host;
  bool redirect_is_loopback = false;
  std::string resource;
  std::vector<ConsentScope> scopes;
  std::string username;
  std::string logout_action;
};

std::string render_login_page(const LoginPage& page);
std::string render_consent_page(const ConsentPage& page);
// The /logout page: a sign-out button when signed in, a confirmation otherwise.
std::string render_logout_page(bool signed_in, std::string_view username, std::string_view action);
// A page with a title and a message (errors, "signed out").
std::string render_message_page(std::string_view title, std::string_view message);

// An HTML response with the page security headers. `form_action_origin` is added to the CSP
// form-action directive when not empty.
http::Response page_response(http::StatusCode status, std::string html,
                             std::string_view form_action_origin = {});

}  // namespace mcpgate::oauth
