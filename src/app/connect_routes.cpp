#include "app/connect_routes.hpp"

#include <chrono>
#include <ctime>
#include <map>

#include "connectors/connect_flow.hpp"
#include "core/log.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "http/client.hpp"
#include "oauth/form.hpp"
#include "oauth/http_util.hpp"
#include "oauth/login_pages.hpp"

namespace mcpgate::app {

using Json = nlohmann::json;

namespace {

using http::StatusCode;
namespace bhttp = boost::beast::http;

std::int64_t connect_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string connect_time_text(std::int64_t t) {
  if (t <= 0) {
    return "-";
  }
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

http::Response connect_message(StatusCode status, std::string_view title, std::string_view text) {
  return oauth::page_response(status, oauth::render_message_page(title, text));
}

http::Response connect_redirect(StatusCode status, std::string location) {
  http::Response res{status, 11};
  res.set(http::Field::location, std::move(location));
  res.set(http::Field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

// The hand-off to the provider: a page that navigates at once (meta refresh, with a link as the
// fallback), not a 302. The sign-in page's CSP allows forms to post only to the gate
// (form-action 'self'), and browsers hold the redirects that follow a form post to it, so a 302
// to the provider straight after signing in would be blocked.
http::Response connect_handoff(std::string_view url, std::string_view provider) {
  const std::string u = oauth::html_escape(url);
  std::string html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"referrer\" content=\"no-referrer\">"
                     "<meta http-equiv=\"refresh\" content=\"0;url=" + u + "\">"
                     "<title>Connecting</title></head><body><main><h1>Connecting</h1><p>Continue to <a id=\"continue\" href=\"" +
                     u + "\">" + oauth::html_escape(provider) + "</a>.</p></main></body></html>";
  return oauth::page_response(StatusCode::ok, std::move(html));
}

const char* connect_status_text(vault::ConnectionStatus s) {
  return s == vault::ConnectionStatus::kActive ? "connected" : "needs reconnecting";
}

class ConnectPages {
 public:
  explicit ConnectPages(ConnectPagesDeps deps)
      : deps_(std::move(deps)), csrf_key_(crypto::random_bytes(32)) {
    for (const auto& c : deps_.connectors) {
      by_id_[c.def->id] = &c;
    }
  }

  // /connect/<id> and /connect/callback.
  asio::awaitable<void> connect(http::Exchange& ex) {
    const std::string path(http::target_path(ex.request().target()));
    const std::string id = path.substr(std::string_view("/connect/").size());
    if (id == "callback") {
      co_await ex.respond(co_await callback(ex.request()));
    } else {
      co_await ex.respond(co_await start(ex.request(), id));
    }
  }

  // /connections and /connections/<id>/disconnect.
  asio::awaitable<void> connections(http::Exchange& ex) {
    const http::Request& req = ex.request();
    const std::string path(http::target_path(req.target()));
    if (path == "/connections") {
      co_await ex.respond(co_await list(req));
      co_return;
    }
    const std::string rest = path.substr(std::string_view("/connections/").size());
    const std::string suffix = "/disconnect";
    if (!rest.ends_with(suffix)) {
      co_await ex.respond(connect_message(StatusCode::not_found, "Not found", "No such page."));
      co_return;
    }
    co_await ex.respond(co_await disconnect(req, rest.substr(0, rest.size() - suffix.size())));
  }

 private:
  const ConfiguredConnector* find(const std::string& id) const {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      return it->second;
    }
    return deps_.extra_connector ? deps_.extra_connector(id) : nullptr;
  }
  std::string redirect_uri() const { return deps_.public_url + "/connect/callback"; }
  // A per-session form token, stateless: HMAC of the browser's session key.
  std::string csrf_for(const std::string& browser_key) const {
    return crypto::base64url_encode(crypto::hmac_sha256(csrf_key_, "connections:" + browser_key));
  }

  asio::awaitable<http::Response> start(const http::Request& req, const std::string& id) {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
      co_return connect_message(StatusCode::method_not_allowed, "Invalid request", "Use GET.");
    }
    const ConfiguredConnector* c = find(id);
    if (c == nullptr) {
      co_return connect_message(StatusCode::not_found, "Unknown connector",
                                "There is no connector named " + id + ".");
    }
    auto user = co_await deps_.auth->signed_in(req);
    if (!user) {
      co_return deps_.auth->sign_in_redirect(req, "/connect/" + id, "connect " + c->def->display_name);
    }
    connectors::PendingConnect pending;
    pending.connector = id;
    pending.user_id = user->user_id;
    pending.browser_key = user->browser_key;
    pending.code_verifier = connectors::new_code_verifier();
    const std::string challenge = connectors::s256_challenge(pending.code_verifier);
    const std::string state = states_.create(std::move(pending), connect_now());
    const std::string url = connectors::authorize_url(
        *c->def, c->client, {redirect_uri(), state, challenge, c->resource});
    log::info("connect_started", {{"connector", id}, {"user_id", user->user_id}});
    co_return connect_handoff(url, c->def->display_name);
  }

  asio::awaitable<http::Response> callback(const http::Request& req) {
    auto params = oauth::parse_form(oauth::query_of(req.target()));
    if (!params || params->value("state").empty()) {
      co_return connect_message(StatusCode::bad_request, "Connection failed",
                                "The provider's answer is incomplete (no state).");
    }
    auto user = co_await deps_.auth->signed_in(req);
    const std::string browser = user ? user->browser_key : std::string();
    auto pending = states_.take(params->value("state"), browser, connect_now());
    if (!pending || !user || pending->user_id != user->user_id) {
      log::warn("connect_state_refused",
                {{"reason", pending ? std::string("another user") : pending.error().message}});
      co_return connect_message(StatusCode::bad_request, "Connection failed",
                                "This connect request is unknown, expired, already used or was "
                                "started in another browser session. Start again from the "
                                "connect link.");
    }
    const ConfiguredConnector* c = find(pending->connector);
    if (c == nullptr) {
      co_return connect_message(StatusCode::bad_request, "Connection failed", "Unknown connector.");
    }
    const std::string id = c->def->id;
    if (auto iss_ok = connectors::check_issuer(*c->def, params->get("iss")); !iss_ok) {
      log::warn("connect_iss_refused", {{"connector", id}});
      co_return connect_message(StatusCode::bad_request, "Connection refused",
                                iss_ok.error().message);
    }
    if (params->has("error")) {
      log::info("connect_denied", {{"connector", id}, {"error", params->value("error")}});
      std::string text = "The provider answered: " + params->value("error");
      if (params->has("error_description")) {
        text += " (" + params->value("error_description") + ")";
      }
      co_return connect_message(StatusCode::bad_request, "Connection not made", text);
    }
    const std::string code = params->value("code");
    if (code.empty()) {
      co_return connect_message(StatusCode::bad_request, "Connection failed",
                                "The provider's answer has no authorization code.");
    }
    const connectors::HttpRequest token_req = connectors::token_request(
        *c->def, c->client, code, pending->code_verifier, redirect_uri(), c->resource);
    http::ClientRequest out;
    out.method = bhttp::verb::post;
    out.url = token_req.url;
    out.headers = token_req.headers;
    out.body = token_req.body;
    out.options.address_policy = connector_address_policy(*c->def);
    auto reply = co_await http::fetch(std::move(out));
    if (!reply) {
      log::warn("connect_token_failed", {{"connector", id}, {"error", reply.error().message}});
      co_return connect_message(StatusCode::bad_gateway, "Connection failed",
                                "The provider's token endpoint could not be reached.");
    }
    auto tokens = connectors::parse_token_response(
        *c->def, static_cast<int>(reply->status()),
        reply->header(http::Field::content_type), reply->message.body(), connect_now());
    if (!tokens) {
      log::warn("connect_token_failed", {{"connector", id}, {"error", tokens.error().message}});
      co_return connect_message(StatusCode::bad_gateway, "Connection failed",
                                tokens.error().message);
    }
    vault::TokenSet set{tokens->access_token, tokens->refresh_token, tokens->expires_at,
                        tokens->scopes,
                        connectors::encode_connection_vars(tokens->connection_vars)};
    const std::string user_id = user->user_id;
    const std::int64_t now = connect_now();
    auto stored = co_await deps_.executor->run(
        [&] { return deps_.vault->put_connection(kConnectTenant, user_id, id, set, now); });
    if (!stored) {
      log::error("connect_store_failed", {{"connector", id}, {"error", stored.error().message}});
      co_return connect_message(StatusCode::internal_server_error, "Connection failed",
                                "The connection could not be saved.");
    }
    log::info("connect_completed", {{"connector", id}, {"user_id", user_id}});
    if (deps_.on_connected) {
      deps_.on_connected(id, user_id);
    }
    co_return connect_message(StatusCode::ok, "Connected",
                              "Your " + c->def->display_name +
                                  " account is connected. You can close this page and go back "
                                  "to your agent.");
  }

  asio::awaitable<http::Response> list(const http::Request& req) {
    auto user = co_await deps_.auth->signed_in(req);
    if (!user) {
      co_return deps_.auth->sign_in_redirect(req, "/connections", "your connections");
    }
    const std::string user_id = user->user_id;
    auto rows = co_await deps_.executor->run(
        [&] { return deps_.vault->list_connections(kConnectTenant, user_id); });
    if (!rows) {
      log::error("connections_list_failed", {{"error", rows.error().message}});
      co_return connect_message(StatusCode::internal_server_error, "Error",
                                "Your connections could not be read.");
    }
    if (oauth::media_type_is(http::header(req, "Accept"), "application/json")) {
      Json items = Json::array();
      for (const auto& r : *rows) {
        items.push_back(Json{{"connector", r.connector},
                             {"status", connect_status_text(r.status)},
                             {"scopes", r.scopes},
                             {"connected_at", r.created_at}});
      }
      co_return oauth::json_response(StatusCode::ok, Json{{"connections", items}}, true);
    }
    co_return oauth::page_response(StatusCode::ok, render_list(*user, *rows));
  }

  std::string render_list(const oauth::AuthorizationServer::SignedIn& user,
                          const std::vector<vault::ConnectionInfo>& rows) const {
    using oauth::html_escape;
    const std::string csrf = csrf_for(user.browser_key);
    std::string body = "<h1>Your connections</h1>\n<p>Signed in as <strong>" +
                       html_escape(user.username) + "</strong>.</p>\n";
    if (rows.empty()) {
      body += "<p id=\"none\">No connected accounts.</p>\n";
    } else {
      body += "<table><tr><th>Connector</th><th>Status</th><th>Scopes</th><th>Connected since</th>"
              "<th></th></tr>\n";
      for (const auto& r : rows) {
        body += "<tr class=\"connection\" data-connector=\"" + html_escape(r.connector) + "\"><td>" +
                html_escape(r.connector) + "</td><td>" + connect_status_text(r.status) +
                "</td><td>" + html_escape(r.scopes) + "</td><td>" +
                connect_time_text(r.created_at) + "</td><td><form method=\"post\" action=\"/connections/" +
                html_escape(r.connector) + "/disconnect\"><input type=\"hidden\" name=\"csrf\" value=\"" +
                html_escape(csrf) + "\"><button type=\"submit\">Disconnect</button></form></td></tr>\n";
      }
      body += "</table>\n";
    }
    body += "<h2>Connect an account</h2>\n<ul>\n";
    for (const auto& c : deps_.connectors) {
      body += "<li><a href=\"/connect/" + html_escape(c.def->id) + "\">" +
              html_escape(c.def->display_name.empty() ? c.def->id : c.def->display_name) +
              "</a></li>\n";
    }
    body += "</ul>\n";
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Connections"
           "</title><style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 "
           "1rem}td,th{padding:.3rem .6rem;text-align:left}</style></head><body>\n" +
           body + "</body></html>\n";
  }

  asio::awaitable<http::Response> disconnect(const http::Request& req, const std::string& id) {
    if (req.method() != bhttp::verb::post) {
      co_return connect_message(StatusCode::method_not_allowed, "Invalid request", "Use POST.");
    }
    if (!oauth::form_origin_allowed(req, deps_.auth->origin())) {
      co_return connect_message(StatusCode::forbidden, "Invalid request",
                                "The form was submitted from another site.");
    }
    auto user = co_await deps_.auth->signed_in(req);
    if (!user) {
      co_return connect_message(StatusCode::unauthorized, "Not signed in",
                                "Sign in first: open /connections.");
    }
    auto form = oauth::parse_form(req.body());
    if (!form || !crypto::constant_time_equal(form->value("csrf"), csrf_for(user->browser_key))) {
      co_return connect_message(StatusCode::forbidden, "Invalid request",
                                "The form has expired. Reload the connections page.");
    }
    const ConfiguredConnector* c = find(id);
    if (c == nullptr) {
      co_return connect_message(StatusCode::not_found, "Unknown connector", "No such connector.");
    }
    const std::string user_id = user->user_id;
    auto secrets = co_await deps_.executor->run([&] {
      return deps_.vault->get_connection(kConnectTenant, user_id, id, vault::Vault::Read::kFromStore);
    });
    if (!secrets) {
      if (secrets.error().code == ErrorCode::kNotFound) {
        co_return connect_redirect(StatusCode::see_other, "/connections");
      }
      log::error("disconnect_failed", {{"connector", id}, {"error", secrets.error().message}});
      co_return connect_message(StatusCode::internal_server_error, "Error",
                                "The connection could not be read.");
    }
    // Revocation is best effort: the local connection goes either way (the user asked for it).
    for (const auto& r : connectors::revocation_requests(*c->def, c->client,
                                                         (*secrets)->refresh_token,
                                                         (*secrets)->access_token)) {
      http::ClientRequest out;
      out.method = bhttp::verb::post;
      out.url = r.url;
      out.headers = r.headers;
      out.body = r.body;
      out.options.timeout = std::chrono::seconds(5);
      out.options.address_policy = connector_address_policy(*c->def);
      auto reply = co_await http::fetch(std::move(out));
      if (!reply || reply->status() != 200) {
        std::string why = reply ? std::string("HTTP ") : reply.error().message;
        if (reply) {
          why += std::to_string(reply->status());
        }
        log::warn("connector_revocation_failed", {{"connector", id}, {"error", why}});
      }
    }
    auto deleted = co_await deps_.executor->run(
        [&] { return deps_.vault->delete_connection(kConnectTenant, user_id, id); });
    if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
      log::error("disconnect_failed", {{"connector", id}, {"error", deleted.error().message}});
      co_return connect_message(StatusCode::internal_server_error, "Error",
                                "The connection could not be deleted.");
    }
    log::info("connector_disconnected", {{"connector", id}, {"user_id", user_id}});
    co_return connect_redirect(StatusCode::see_other, "/connections");
  }

  ConnectPagesDeps deps_;
  std::map<std::string, const ConfiguredConnector*> by_id_;
  connectors::ConnectStates states_;
  const std::string csrf_key_;
};

}  // namespace

void mount_connect_pages(http::Router& router, ConnectPagesDeps deps) {
  auto pages = std::make_shared<ConnectPages>(std::move(deps));
  router.add_prefix("/connect/", [pages](http::Exchange& ex) { return pages->connect(ex); });
  router.add("/connections", [pages](http::Exchange& ex) { return pages->connections(ex); });
  router.add_prefix("/connections/", [pages](http::Exchange& ex) { return pages->connections(ex); });
}

}  // namespace mcpgate::app
