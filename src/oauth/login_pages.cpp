#include "oauth/login_pages.hpp"

namespace mcpgate::oauth {
namespace {

constexpr std::string_view kStyle = R"(
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:28rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
h1{font-size:1.35rem;margin:0 0 1rem}
p{margin:.5rem 0}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem .7rem;border:1px solid #d1d5db;border-radius:8px;font:inherit}
button{font:inherit;padding:.55rem 1.2rem;border-radius:8px;border:1px solid #d1d5db;background:#fff;cursor:pointer}
button.primary{background:#2563eb;border-color:#2563eb;color:#fff}
.actions{display:flex;gap:.75rem;justify-content:flex-end;margin-top:1.5rem}
.error{background:#fef2f2;color:#991b1b;border:1px solid #fecaca;border-radius:8px;padding:.5rem .75rem}
.warn{background:#fffbeb;color:#92400e;border:1px solid #fde68a;border-radius:8px;padding:.5rem .75rem}
.muted{color:#6b7280;font-size:.9rem}
dl{margin:1rem 0}dt{font-weight:600;margin-top:.5rem}dd{margin:0;word-break:break-all}
ul{padding-left:1.2rem}code{font-size:.9em}
form.inline{display:inline}
a.sso{display:block;text-align:center;padding:.55rem 1.2rem;border-radius:8px;border:1px solid #2563eb;color:#2563eb;text-decoration:none;font-weight:600}
)";

std::string layout(std::string_view title, std::string_view body) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  out += "<meta name=\"referrer\" content=\"no-referrer\">";
  out += "<title>" + html_escape(title) + "</title><style>";
  out += kStyle;
  out += "</style></head><body><main>\n";
  out += body;
  out += "\n</main></body></html>\n";
  return out;
}

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" +
         html_escape(value) + "\">";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string render_login_page(const LoginPage& page) {
  std::string body;
  body += "<h1>Sign in</h1>\n";
  if (!page.client_name.empty()) {
    body += "<p>to continue to <strong>" + html_escape(page.client_name) + "</strong></p>\n";
  }
  if (!page.error.empty()) {
    body += "<p class=\"error\" role=\"alert\">" + html_escape(page.error) + "</p>\n";
  }
  for (const auto& choice : page.sso) {
    body += "<p><a class=\"sso\" href=\"" + html_escape(choice.href) + "\">Continue with " +
            html_escape(choice.display_name) + "</a></p>\n";
  }
  if (!page.sso.empty()) {
    body += "<p class=\"muted\">or sign in with your work email (you are sent to your company's "
            "sign-in when it has one) or a username and password:</p>\n";
  }
  body += "<form method=\"post\" action=\"" + html_escape(page.action) + "\">\n";
  body += hidden("flow", page.flow) + hidden("csrf", page.csrf) + "\n";
  body += page.sso.empty() ? "<label for=\"username\">Username</label>"
                           : "<label for=\"username\">Email or username</label>";
  body += "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
          "autocapitalize=\"none\" required autofocus value=\"" +
          html_escape(page.username) + "\">\n";
  body += "<label for=\"password\">Password</label>";
  body += "<input type=\"password\" id=\"password\" name=\"password\" "
          "autocomplete=\"current-password\"";
  body += page.sso.empty() ? " required>\n" : ">\n";
  body += "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Sign in</button></div>\n";
  body += "</form>";
  return layout("Sign in", body);
}

std::string render_consent_page(const ConsentPage& page) {
  std::string body;
  body += "<h1>Allow access?</h1>\n";
  body += "<p><strong>" + html_escape(page.client_name) + "</strong> wants to access the MCP server ";
  body += "on your behalf";
  if (!page.username.empty()) {
    body += " (signed in as <strong>" + html_escape(page.username) + "</strong>)";
  }
  body += ".</p>\n";
  if (page.unverified_client) {
    body += "<p class=\"muted\">This application registered itself; its name is not verified.</p>\n";
  }
  body += "<dl>\n";
  if (!page.client_id_host.empty()) {
    body += "<dt>Application published by</dt><dd>" + html_escape(page.client_id_host) + "</dd>\n";
  }
  body += "<dt>Client ID</dt><dd><code>" + html_escape(page.client_id) + "</code></dd>\n";
  body += "<dt>You will be sent back to</dt><dd>" + html_escape(page.redirect_host) + "</dd>\n";
  body += "<dt>Resource</dt><dd><code>" + html_escape(page.resource) + "</code></dd>\n";
  body += "</dl>\n";
  if (page.redirect_is_loopback) {
    body += "<p class=\"warn\">The application receives the result on this computer (" +
            html_escape(page.redirect_host) +
            "). Any program running here could be that application: only continue if you just "
            "started this sign-in yourself.</p>\n";
  }
  if (page.scopes.empty()) {
    body += "<p>No specific permissions are requested: the application can only use tools that "
            "need none.</p>\n";
  } else {
    body += "<p>Permissions requested:</p>\n<ul>\n";
    for (const auto& scope : page.scopes) {
      body += "<li><code>" + html_escape(scope.name) + "</code>";
      if (!scope.tools.empty()) {
        body += " &mdash; tools: ";
        for (std::size_t i = 0; i < scope.tools.size(); ++i) {
          body += (i == 0 ? "" : ", ") + html_escape(scope.tools[i]);
        }
      }
      body += "</li>\n";
    }
    body += "</ul>\n";
  }
  body += "<form method=\"post\" action=\"" + html_escape(page.action) + "\">\n";
  body += hidden("flow", page.flow) + hidden("csrf", page.csrf) + "\n";
  body += "<div class=\"actions\">";
  body += "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>";
  body += "<button type=\"submit\" name=\"decision\" value=\"approve\" class=\"primary\">Allow</button>";
  body += "</div>\n</form>\n";
  if (!page.logout_action.empty()) {
    body += "<div class=\"muted\">Not you? <form class=\"inline\" method=\"post\" action=\"" +
            html_escape(page.logout_action) +
            "\"><button type=\"submit\">Sign out</button></form></div>";
  }
  return layout("Allow access", body);
}

std::string render_logout_page(bool signed_in, std::string_view username, std::string_view action) {
  if (!signed_in) {
    return render_message_page("Signed out", "You are signed out.");
  }
  std::string body = "<h1>Sign out</h1>\n<p>Signed in as <strong>" + html_escape(username) +
                     "</strong>.</p>\n<form method=\"post\" action=\"" + html_escape(action) +
                     "\"><div class=\"actions\"><button type=\"submit\" class=\"primary\">Sign "
                     "out</button></div></form>";
  return layout("Sign out", body);
}

std::string render_message_page(std::string_view title, std::string_view message) {
  std::string body = "<h1>" + html_escape(title) + "</h1>\n<p>" + html_escape(message) + "</p>";
  return layout(title, body);
}

http::Response page_response(http::StatusCode status, std::string html,
                             std::string_view form_action_origin) {
  http::Response res = http::make_response(status, std::move(html), "text/html; charset=utf-8");
  std::string csp = "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'";
  if (!form_action_origin.empty()) {
    csp += " ";
    csp += form_action_origin;
  }
  csp += "; frame-ancestors 'none'";
  res.set("Content-Security-Policy", csp);
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::Field::cache_control, "no-store");
  res.set(http::Field::pragma, "no-cache");
  return res;
}

}  // namespace mcpgate::oauth
