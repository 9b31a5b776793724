#include "console/pages.hpp"

#include <ctime>

#include "console/chart.hpp"
#include "oauth/login_pages.hpp"

namespace mcpgate::console {
namespace {

using oauth::html_escape;

constexpr std::string_view kConsoleStyle = R"(
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
header{background:#111827;color:#f9fafb;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#d1d5db;text-decoration:none}header a.active{color:#fff;font-weight:700}
header .who{margin-left:auto;font-size:.9rem;color:#9ca3af}
main{max-width:72rem;margin:1.2rem auto;padding:0 1.2rem}
section.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.1);padding:1rem 1.2rem;margin-bottom:1rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%}td,th{padding:.35rem .5rem;text-align:left;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{font-size:.85rem;color:#374151}
button{font:inherit;padding:.25rem .8rem;border-radius:6px;border:1px solid #d1d5db;background:#fff;cursor:pointer}
button.danger{border-color:#dc2626;color:#b91c1c}button.primary{background:#2563eb;border-color:#2563eb;color:#fff}
form.inline{display:inline}input[type=text]{font:inherit;padding:.3rem .5rem;border:1px solid #d1d5db;border-radius:6px}
.allow{color:#047857;font-weight:600}.deny{color:#b91c1c;font-weight:600}.conditional{color:#b45309;font-weight:600}.error{color:#6b7280;font-weight:600}
.muted{color:#6b7280;font-size:.88rem}.notice{background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:.5rem .75rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.stat{display:inline-block;margin-right:2rem}.stat b{font-size:1.4rem;display:block}
code{font-size:.88em;word-break:break-all}
#access td:first-child code{white-space:nowrap;word-break:normal}
#access td div.muted{overflow-wrap:anywhere}
)";

std::string h(std::string_view s) { return html_escape(s); }

// Any JSON value as display text ("" for null/absent).
std::string jtext(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return "";
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  return it->dump();
}

std::int64_t jint(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

bool jbool(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const Json& jarray(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  const auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

std::string strings_text(const Json& arr) {
  std::string out;
  for (const auto& v : arr) {
    if (!out.empty()) {
      out += ' ';
    }
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

std::vector<std::int64_t> series_of(const Json& row, const char* name) {
  std::vector<std::int64_t> out;
  const auto s = row.find("series");
  if (s == row.end() || !s->is_object()) {
    return out;
  }
  const auto it = s->find(name);
  if (it == s->end() || !it->is_array()) {
    return out;
  }
  for (const auto& v : *it) {
    out.push_back(v.is_number_integer() ? v.get<std::int64_t>() : 0);
  }
  return out;
}

std::string stats_chart(const Json& row, const std::string& title, int hours) {
  Chart c;
  c.title = title;
  c.series.push_back({"calls", "blue", series_of(row, "calls")});
  c.series.push_back({"denied", "red", series_of(row, "denied")});
  c.series.push_back({"errors", "amber", series_of(row, "errors")});
  c.first_label = std::to_string(hours) + " h ago";
  c.last_label = "now";
  return svg_line_chart(c);
}

std::string stats_rows(const Json& rows, const char* what, int hours, std::size_t charts) {
  std::string out = "<table class=\"stats\"><tr><th>" + std::string(what) +
                    "</th><th>calls</th><th>denied</th><th>errors</th></tr>";
  for (const auto& r : rows) {
    out += "<tr><td><code>" + h(jtext(r, "name")) + "</code></td><td>" +
           std::to_string(jint(r, "calls")) + "</td><td>" + std::to_string(jint(r, "denied")) +
           "</td><td>" + std::to_string(jint(r, "errors")) + "</td></tr>";
  }
  if (rows.empty()) {
    out += "<tr><td colspan=\"4\" class=\"muted\">No calls in this window.</td></tr>";
  }
  out += "</table><div class=\"charts\">";
  std::size_t n = 0;
  for (const auto& r : rows) {
    if (n++ >= charts) {
      break;
    }
    out += stats_chart(r, jtext(r, "name"), hours);
  }
  return out + "</div>";
}

std::string verdict_cell(const Json& check) {
  if (!check.is_object()) {
    return "<td class=\"muted\">not checked</td>";
  }
  const std::string result = jtext(check, "result");
  const std::string css = result == "allow" || result == "deny" || result == "conditional"
                              ? result
                              : std::string("error");
  return "<td><span class=\"" + css + "\">" + h(result) + "</span><div class=\"muted\">" +
         h(jtext(check, "detail")) + "</div></td>";
}

}  // namespace

std::string url_component(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                            (u >= '0' && u <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string path_segment(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == '+' ||
                       c == '=';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string time_text(std::int64_t t) {
  if (t <= 0) {
    return "-";
  }
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string post_button(const Viewer& viewer, std::string_view action, std::string_view label,
                        std::string_view css_class, std::string_view name,
                        std::string_view hidden_name, std::string_view hidden_value) {
  std::string extra;
  if (!hidden_name.empty()) {
    extra = "<input type=\"hidden\" name=\"" + h(hidden_name) + "\" value=\"" +
            h(hidden_value) + "\">";
  }
  return "<form class=\"inline\" method=\"post\" action=\"" + h(kBase) + h(action) +
         "\"><input type=\"hidden\" name=\"csrf\" value=\"" + h(viewer.csrf) + "\">" + extra +
         "<button type=\"submit\" class=\"" + h(css_class) + "\" name=\"" + h(name) +
         "\" value=\"1\">" + h(label) + "</button></form>";
}

std::string render_page(const Viewer& viewer, std::string_view active, std::string_view title,
                        std::string_view body) {
  struct NavItem {
    const char* key;
    const char* label;
    const char* path;
    const char* needs;  // the read operation behind the page ("" = always)
  };
  static const NavItem kNav[] = {
      {"overview", "Overview", "", ""},
      {"users", "Users", "/users", "listUsers"},
      {"sessions", "Sessions", "/sessions", "listSessions"},
      {"access", "Agent access", "/access", "getAgentAccess"},
      {"clients", "Clients", "/clients", "listClients"},
      {"audit", "Audit log", "/audit", "searchAudit"},
      {"tools", "Tools", "/tools", "listToolPins"},
      {"connectors", "Connectors", "/connectors", "listConnectors"},
  };
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                    "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
                    h(title) + " · mcpgate console</title><style>";
  out += kConsoleStyle;
  out += "</style></head><body><header><strong>mcpgate</strong>";
  for (const auto& item : kNav) {
    if (*item.needs != '\0' && !viewer.can(item.needs)) {
      continue;
    }
    out += "<a href=\"" + h(kBase) + item.path + "\"" +
           (active == item.key ? " class=\"active\"" : "") + " id=\"nav-" + item.key + "\">" +
           item.label + "</a>";
  }
  out += "<span class=\"who\">Signed in as <strong id=\"viewer\">" + h(viewer.username) +
         "</strong> · organization <code>" + h(viewer.org_id) + "</code>";
  if (!viewer.logout_url.empty()) {
    out += " · <a href=\"" + h(viewer.logout_url) + "\">Sign out</a>";
  }
  out += "</span></header>\n<main>";
  out += body;
  out += "</main></body></html>\n";
  return out;
}

std::string message_body(std::string_view title, std::string_view text) {
  return "<section class=\"card\"><h1>" + h(title) + "</h1><p id=\"message\">" + h(text) +
         "</p></section>";
}

std::string overview_body(const Viewer& viewer, const Json* stats, int hours) {
  std::string out = "<h1>Overview</h1>";
  if (stats == nullptr) {
    return out + "<section class=\"card\"><p class=\"notice\" id=\"no-stats\">Call statistics "
                 "come from the audit log; your role does not include reading it "
                 "(getCallStats needs can_read_audit).</p></section>";
  }
  (void)viewer;
  const Json& total = stats->contains("total") ? (*stats)["total"] : Json::object();
  out += "<section class=\"card\"><h2>Tool calls, last " + std::to_string(hours) + " hours</h2>";
  out += "<form method=\"get\" action=\"" + h(kBase) + "\">Window: ";
  for (const int w : {1, 6, 24, 72, 168}) {
    out += "<a href=\"" + h(kBase) + "?hours=" + std::to_string(w) + "\">" + std::to_string(w) +
           " h</a> ";
  }
  out += "</form><p><span class=\"stat\">calls<b id=\"total-calls\">" +
         std::to_string(jint(total, "calls")) + "</b></span><span class=\"stat\">denied<b id=\"total-denied\">" +
         std::to_string(jint(total, "denied")) + "</b></span><span class=\"stat\">errors<b id=\"total-errors\">" +
         std::to_string(jint(total, "errors")) + "</b></span></p>";
  out += stats_chart(total, "all tools", hours);
  if (!jbool(*stats, "complete")) {
    out += "<p class=\"muted\">Only the newest " + std::to_string(jint(*stats, "records_scanned")) +
           " audit records were read; the counts are a lower bound.</p>";
  }
  out += "</section><section class=\"card\" id=\"per-upstream\"><h2>Per upstream</h2>" +
         stats_rows(jarray(*stats, "by_upstream"), "upstream", hours, 4) + "</section>";
  out += "<section class=\"card\" id=\"per-tool\"><h2>Per tool</h2>" +
         stats_rows(jarray(*stats, "by_tool"), "tool", hours, 6) + "</section>";
  return out;
}

std::string users_body(const Viewer& viewer, const Json& users) {
  std::string out = "<h1>Users</h1><section class=\"card\"><table id=\"users\"><tr><th>Username</th>"
                    "<th>Id</th><th>Status</th><th>Created</th></tr>";
  for (const auto& u : jarray(users, "items")) {
    const std::string id = jtext(u, "id");
    out += "<tr class=\"user\" data-user=\"" + h(id) + "\"><td><a href=\"" + h(kBase) + "/users/" +
           h(path_segment(id)) + "\">" + h(jtext(u, "username")) + "</a></td><td><code>" + h(id) +
           "</code></td><td>" + (jbool(u, "disabled") ? "deactivated" : "active") + "</td><td>" +
           h(time_text(jint(u, "created_at"))) + "</td></tr>";
  }
  out += "</table>";
  const std::string next = jtext(users, "next_cursor");
  if (!next.empty()) {
    out += "<p><a id=\"next\" href=\"" + h(kBase) + "/users?cursor=" + h(url_component(next)) +
           "\">Next page</a></p>";
  }
  (void)viewer;
  return out + "</section>";
}

std::string user_body(const Viewer& viewer, const Json& user, const Json* grants) {
  const std::string id = jtext(user, "id");
  const std::string base = "/users/" + path_segment(id);
  const bool disabled = jbool(user, "disabled");
  std::string out = "<h1>User " + h(jtext(user, "username")) + "</h1><section class=\"card\">"
                    "<p>Id <code>" + h(id) + "</code> · " +
                    (disabled ? "<span class=\"deny\">deactivated</span>" : "active") +
                    " · created " + h(time_text(jint(user, "created_at"))) + "</p>";
  if (disabled && viewer.can("reactivateUser")) {
    out += post_button(viewer, base + "/reactivate", "Reactivate", "", "reactivate");
  }
  if (!disabled && viewer.can("deactivateUser") && id != viewer.user_id) {
    out += post_button(viewer, base + "/deactivate", "Deactivate (revokes every grant)", "danger",
                       "deactivate");
  }
  out += "</section><section class=\"card\"><h2>Agents (live grants)</h2>";
  if (grants == nullptr) {
    return out + "<p class=\"muted\">Your role does not include reading grants.</p></section>";
  }
  out += "<table id=\"grants\"><tr><th>Agent (client)</th><th>Scopes</th><th>Resources</th>"
         "<th>Since</th><th></th></tr>";
  const auto& items = jarray(*grants, "items");
  for (const auto& g : items) {
    const std::string gid = jtext(g, "id");
    const std::string client = jtext(g, "client_id");
    out += "<tr class=\"grant\" data-grant=\"" + h(gid) + "\" data-client=\"" + h(client) +
           "\"><td><code>" + h(client) + "</code>";
    if (viewer.can("getAgentAccess")) {
      out += "<div><a class=\"access\" href=\"" + h(kBase) + "/access?user_id=" +
             h(url_component(id)) + "&amp;client_id=" + h(url_component(client)) +
             "\">What can this agent do?</a></div>";
    }
    out += "</td><td>" + h(strings_text(jarray(g, "scopes"))) + "</td><td>" +
           h(strings_text(jarray(g, "resources"))) + "</td><td>" +
           h(time_text(jint(g, "created_at"))) + "</td><td>";
    if (viewer.can("revokeUserGrant")) {
      out += post_button(viewer, base + "/grants/" + path_segment(gid) + "/revoke", "Revoke",
                         "danger", "revoke");
    }
    out += "</td></tr>";
  }
  if (items.empty()) {
    out += "<tr><td colspan=\"5\" class=\"muted\">No live grants.</td></tr>";
  }
  return out + "</table></section>";
}

std::string clients_body(const Viewer& viewer, const Json& clients) {
  std::string out = "<h1>Clients</h1><section class=\"card\"><table id=\"clients\"><tr><th>Name</th>"
                    "<th>Client id</th><th>Kind</th><th>Status</th><th>Registered</th><th></th></tr>";
  for (const auto& c : jarray(clients, "items")) {
    const std::string id = jtext(c, "client_id");
    const bool disabled = jbool(c, "disabled");
    out += "<tr class=\"client\" data-client=\"" + h(id) + "\"><td>" +
           h(jtext(c, "client_name")) + "</td><td><code>" + h(id) +
           "</code></td><td>" + h(jtext(c, "kind")) + (jbool(c, "confidential") ? " (confidential)" : "") +
           "</td><td>" + (disabled ? "disabled" : "enabled") + "</td><td>" +
           h(time_text(jint(c, "created_at"))) + "</td><td>";
    if (disabled && viewer.can("enableClient")) {
      out += post_button(viewer, "/clients/enable", "Enable", "", "enable", "client_id", id);
    } else if (!disabled && viewer.can("disableClient")) {
      out += post_button(viewer, "/clients/disable", "Disable (revokes its grants)", "danger",
                         "disable", "client_id", id);
    }
    out += "</td></tr>";
  }
  out += "</table>";
  const std::string next = jtext(clients, "next_cursor");
  if (!next.empty()) {
    out += "<p><a id=\"next\" href=\"" + h(kBase) + "/clients?cursor=" + h(url_component(next)) +
           "\">Next page</a></p>";
  }
  return out + "</section>";
}

std::string sessions_body(const Viewer& viewer, const Json& sessions, std::string_view user_filter,
                          std::string_view client_filter) {
  std::string out =
      "<h1>Sessions</h1><section class=\"card\"><p class=\"muted\">A session is an agent's live "
      "grant: its refresh token family and access tokens. Revoking it cuts the agent off at its "
      "next call.</p><form id=\"sessions-filter\" method=\"get\" action=\"" + h(kBase) +
      "/sessions\">User id <input type=\"text\" name=\"user_id\" value=\"" + h(user_filter) +
      "\"> Client id <input type=\"text\" name=\"client_id\" size=\"40\" value=\"" +
      h(client_filter) + "\"> <button type=\"submit\">Filter</button></form></section>"
      "<section class=\"card\"><table id=\"sessions\"><tr><th>User</th><th>Agent (client)</th>"
      "<th>Scopes</th><th>Since</th><th>Last token</th><th>Refresh until</th><th></th></tr>";
  const auto& items = jarray(sessions, "items");
  for (const auto& s : items) {
    const std::string id = jtext(s, "id");
    const std::string user = jtext(s, "user_id");
    const std::string client = jtext(s, "client_id");
    const std::string name = jtext(s, "client_name");
    out += "<tr class=\"session\" data-session=\"" + h(id) + "\" data-user=\"" + h(user) +
           "\" data-client=\"" + h(client) + "\"><td><a href=\"" + h(kBase) + "/users/" +
           h(path_segment(user)) + "\">" + h(jtext(s, "username").empty() ? user : jtext(s, "username")) +
           "</a></td><td>" + h(name.empty() ? client : name) + "<div class=\"muted\"><code>" +
           h(client) + "</code></div>";
    if (viewer.can("getAgentAccess")) {
      out += "<div><a class=\"access\" href=\"" + h(kBase) + "/access?user_id=" +
             h(url_component(user)) + "&amp;client_id=" + h(url_component(client)) +
             "\">What can this agent do?</a></div>";
    }
    out += "</td><td>" + h(strings_text(jarray(s, "scopes"))) + "</td><td>" +
           h(time_text(jint(s, "created_at"))) + "</td><td>" + h(time_text(jint(s, "last_token_at"))) +
           "</td><td>" + h(time_text(jint(s, "refresh_expires_at"))) + "</td><td>";
    if (viewer.can("revokeSession") && jtext(s, "revoked_at").empty()) {
      out += post_button(viewer, "/sessions/" + path_segment(id) + "/revoke", "Revoke", "danger",
                         "revoke");
    }
    out += "</td></tr>";
  }
  if (items.empty()) {
    out += "<tr><td colspan=\"7\" class=\"muted\">No live sessions.</td></tr>";
  }
  out += "</table>";
  const std::string next = jtext(sessions, "next_cursor");
  if (!next.empty()) {
    out += "<p><a id=\"next\" href=\"" + h(kBase) + "/sessions?user_id=" +
           h(url_component(user_filter)) + "&amp;client_id=" + h(url_component(client_filter)) +
           "&amp;cursor=" + h(url_component(next)) + "\">Next page</a></p>";
  }
  return out + "</section>";
}

std::string audit_body(const Viewer& viewer, const Json* records, const Json* status,
                       const AuditFilters& f) {
  (void)viewer;
  std::string out = "<h1>Audit log</h1><section class=\"card\" id=\"audit-status\"><h2>Tamper "
                    "evidence</h2>";
  if (status == nullptr) {
    out += "<p class=\"muted\">The hash chain's status is checked by the gate's operators "
           "(getAuditStatus is gate-wide).</p>";
  } else if (jbool(*status, "ok")) {
    out += "<p><span class=\"allow\" id=\"chain-ok\">Chain verified</span>: " +
           std::to_string(jint(*status, "records")) + " records, from the first to seq " +
           std::to_string(jint(*status, "last_seq")) + " (last hash <code>" +
           h(jtext(*status, "last_hash")) + "</code>).</p>";
  } else {
    const Json problem = status->contains("problem") && (*status)["problem"].is_object()
                             ? (*status)["problem"]
                             : Json::object();
    out += "<p><span class=\"deny\" id=\"chain-broken\">Chain broken</span>: " +
           h(jtext(problem, "kind")) + " at seq " + h(jtext(*status, "first_bad_seq")) + " — " +
           h(jtext(problem, "reason")) + "</p>";
  }
  out += "</section>";
  if (records == nullptr) {
    return out;
  }
  out += "<section class=\"card\"><form id=\"audit-filter\" method=\"get\" action=\"" + h(kBase) +
         "/audit\">User <input type=\"text\" name=\"user_id\" value=\"" + h(f.user_id) +
         "\"> Client <input type=\"text\" name=\"client_id\" value=\"" + h(f.client_id) +
         "\"> Tool <input type=\"text\" name=\"tool\" value=\"" + h(f.tool) +
         "\"> Decision <select name=\"decision\">";
  for (const char* d : {"", "allow", "deny", "error"}) {
    out += "<option value=\"" + std::string(d) + "\"" + (f.decision == d ? " selected" : "") + ">" +
           (*d == '\0' ? "any" : d) + "</option>";
  }
  out += "</select> <button type=\"submit\">Filter</button></form>"
         "<table id=\"audit\"><tr><th>Seq</th><th>Time</th><th>User</th><th>Client</th><th>Tool</th>"
         "<th>Decision</th><th>Outcome</th><th>Reason</th></tr>";
  const auto& items = jarray(*records, "items");
  for (const auto& item : items) {
    const Json rec = item.contains("record") && item["record"].is_object() ? item["record"]
                                                                            : Json::object();
    const std::string decision = jtext(rec, "decision");
    const std::int64_t ms = jint(rec, "time_ms");
    out += "<tr class=\"record\" data-seq=\"" + std::to_string(jint(item, "seq")) + "\"><td>" +
           std::to_string(jint(item, "seq")) + "</td><td>" + h(time_text(ms / 1000)) + "</td><td>" +
           h(jtext(rec, "user")) + "</td><td><code>" + h(jtext(rec, "client_id")) +
           "</code></td><td><code>" + h(jtext(rec, "upstream")) + "/" + h(jtext(rec, "tool")) +
           "</code></td><td><span class=\"" + (decision == "allow" ? "allow" : "deny") + "\">" +
           h(decision) + "</span></td><td>" + h(jtext(rec, "upstream_status")) + "</td><td>" +
           h(jtext(rec, "reason")) + "</td></tr>";
  }
  if (items.empty()) {
    out += "<tr><td colspan=\"8\" class=\"muted\">No records match.</td></tr>";
  }
  out += "</table>";
  const std::string next = jtext(*records, "next_cursor");
  if (!next.empty()) {
    out += "<p><a id=\"next\" href=\"" + h(kBase) + "/audit?user_id=" + h(url_component(f.user_id)) +
           "&amp;client_id=" + h(url_component(f.client_id)) + "&amp;tool=" + h(url_component(f.tool)) +
           "&amp;decision=" + h(url_component(f.decision)) + "&amp;cursor=" +
           h(url_component(next)) + "\">Older records</a></p>";
  }
  return out + "</section>";
}

std::string tools_body(const Viewer& viewer, const Json* upstreams, const Json& pins) {
  std::string out = "<h1>Upstreams and tools</h1>";
  if (upstreams != nullptr) {
    out += "<section class=\"card\"><h2>Upstreams</h2><table id=\"upstreams\"><tr><th>Name</th>"
           "<th>Transport</th><th>Ready</th><th>Circuit</th><th>Tools</th><th>Withheld</th></tr>";
    for (const auto& u : jarray(*upstreams, "items")) {
      out += "<tr class=\"upstream\" data-upstream=\"" + h(jtext(u, "name")) + "\"><td><code>" +
             h(jtext(u, "name")) + "</code></td><td>" + h(jtext(u, "transport")) + "</td><td>" +
             (jbool(u, "ready") ? "<span class=\"allow\">ready</span>"
                                : "<span class=\"deny\">not ready</span>") +
             "</td><td>" + h(jtext(u, "circuit")) + "</td><td>" + h(jtext(u, "tools")) +
             "</td><td>" + h(jtext(u, "withheld_tools")) + "</td></tr>";
    }
    out += "</table></section>";
  }
  out += "<section class=\"card\"><h2>Pinned tool definitions</h2><p class=\"muted\">The gate "
         "pins each upstream tool's definition the first time it sees it; a changed definition "
         "is withheld from agents until approved here.</p><table id=\"pins\"><tr><th>Tool</th>"
         "<th>Approved</th><th>Changed definition</th><th></th></tr>";
  const auto& items = jarray(pins, "items");
  for (const auto& p : items) {
    const std::string upstream = jtext(p, "upstream");
    const std::string tool = jtext(p, "tool");
    const Json pending = p.contains("pending") && p["pending"].is_object() ? p["pending"]
                                                                           : Json();
    out += "<tr class=\"pin\" data-tool=\"" + h(upstream + "/" + tool) + "\" data-pending=\"" +
           (pending.is_object() ? "yes" : "no") + "\"><td><code>" + h(upstream) + "/" + h(tool) +
           "</code></td><td>" + h(jtext(p, "approved_by")) + " · " +
           h(time_text(jint(p, "approved_at"))) + "<div class=\"muted\"><code>" +
           h(jtext(p, "hash").substr(0, 16)) + "</code></div></td><td>";
    if (pending.is_object()) {
      out += "<span class=\"conditional\">waiting since " + h(time_text(jint(pending, "since"))) +
             "</span><div class=\"muted\">changed: " + h(strings_text(jarray(pending, "changed_fields"))) +
             "</div><details><summary>New definition</summary><pre>" +
             h(pending.contains("definition") ? pending["definition"].dump(2) : std::string()) +
             "</pre></details>";
    } else {
      out += "<span class=\"muted\">none</span>";
    }
    out += "</td><td>";
    if (pending.is_object() && viewer.can("approveToolPin")) {
      out += post_button(viewer, "/tools/" + path_segment(upstream) + "/" + path_segment(tool) +
                                     "/approve",
                         "Approve", "primary", "approve", "hash", jtext(pending, "hash"));
    }
    out += "</td></tr>";
  }
  if (items.empty()) {
    out += "<tr><td colspan=\"4\" class=\"muted\">No pinned tools.</td></tr>";
  }
  out += "</table>";
  const std::string next = jtext(pins, "next_cursor");
  if (!next.empty()) {
    out += "<p><a id=\"next\" href=\"" + h(kBase) + "/tools?cursor=" + h(url_component(next)) +
           "\">Next page</a></p>";
  }
  return out + "</section>";
}

std::string connectors_body(const Viewer& viewer, const Json* connectors,
                            const Json* connections) {
  std::string out = "<h1>Connectors and connections</h1>";
  if (connectors != nullptr) {
    out += "<section class=\"card\"><h2>Connectors</h2><table id=\"connectors\"><tr><th>Id</th>"
           "<th>Name</th><th>Kind</th><th>Tools</th></tr>";
    for (const auto& c : jarray(*connectors, "items")) {
      out += "<tr class=\"connector\" data-connector=\"" + h(jtext(c, "id")) + "\"><td><code>" +
             h(jtext(c, "id")) + "</code></td><td>" + h(jtext(c, "name")) + "</td><td>" +
             h(jtext(c, "kind")) + "</td><td>" + h(strings_text(jarray(c, "tools"))) + "</td></tr>";
    }
    out += "</table></section>";
  }
  if (connections != nullptr) {
    out += "<section class=\"card\"><h2>Connections</h2><p class=\"muted\">Users' connected "
           "accounts in the token vault (never the tokens).</p><table id=\"connections\"><tr>"
           "<th>User</th><th>Connector</th><th>Status</th><th>Scopes</th><th>Connected</th>"
           "<th></th></tr>";
    const auto& items = jarray(*connections, "items");
    for (const auto& c : items) {
      const std::string user = jtext(c, "user_id");
      const std::string connector = jtext(c, "connector");
      out += "<tr class=\"connection\" data-user=\"" + h(user) + "\" data-connector=\"" +
             h(connector) + "\"><td><a href=\"" + h(kBase) + "/users/" + h(path_segment(user)) +
             "\">" + h(user) + "</a></td><td><code>" + h(connector) + "</code></td><td>" +
             h(jtext(c, "status")) + "</td><td>" + h(strings_text(jarray(c, "scopes"))) +
             "</td><td>" + h(time_text(jint(c, "created_at"))) + "</td><td>";
      if (viewer.can("revokeConnection")) {
        out += post_button(viewer, "/connections/" + path_segment(user) + "/" +
                                       path_segment(connector) + "/revoke",
                           "Revoke", "danger", "revoke");
      }
      out += "</td></tr>";
    }
    if (items.empty()) {
      out += "<tr><td colspan=\"6\" class=\"muted\">No connections.</td></tr>";
    }
    out += "</table>";
    const std::string next = jtext(*connections, "next_cursor");
    if (!next.empty()) {
      out += "<p><a id=\"next\" href=\"" + h(kBase) + "/connectors?cursor=" +
             h(url_component(next)) + "\">Next page</a></p>";
    }
    out += "</section>";
  }
  return out;
}

std::string access_body(const Viewer& viewer, std::string_view user_id,
                        std::string_view client_id, const Json* access, std::string_view error) {
  (void)viewer;
  std::string out =
      "<h1>What can this agent do?</h1><section class=\"card\"><p class=\"muted\">Every tool the "
      "gate serves, with both checks a call runs: the user may invoke it (can_invoke) and the "
      "agent may be used for it (can_be_used_by_agent). Decided without a call's arguments: a "
      "condition on them shows as conditional.</p><form id=\"access-form\" method=\"get\" action=\"" +
      h(kBase) + "/access\">User id <input type=\"text\" name=\"user_id\" value=\"" + h(user_id) +
      "\"> Client id <input type=\"text\" name=\"client_id\" size=\"40\" value=\"" + h(client_id) +
      "\"> <button type=\"submit\" class=\"primary\">Show</button></form></section>";
  if (!error.empty()) {
    out += "<section class=\"card\"><p class=\"notice\" id=\"access-error\">" + h(error) +
           "</p></section>";
  }
  if (access == nullptr) {
    return out;
  }
  const Json& grants = jarray(*access, "grants");
  out += "<section class=\"card\" id=\"blast-radius\"><h2>User <code>" +
         h(jtext(*access, "user_id")) + "</code> through <code>" +
         h(client_id.empty() ? std::string("(no agent: the user's own checks)") : std::string(client_id)) +
         "</code></h2><p><span class=\"stat\">may call<b id=\"n-allowed\">" +
         std::to_string(jint(*access, "allowed")) +
         "</b></span><span class=\"stat\">conditional<b id=\"n-conditional\">" +
         std::to_string(jint(*access, "conditional")) +
         "</b></span><span class=\"stat\">denied<b id=\"n-denied\">" +
         std::to_string(jint(*access, "denied")) + "</b></span></p>";
  if (!client_id.empty()) {
    out += "<p class=\"muted\">" +
           (grants.empty() ? std::string("The pair has no live grant: the agent holds no token "
                                         "for this user now.")
                           : "Live grants: " + h(strings_text(grants))) +
           "</p>";
  }
  out += "<table id=\"access\"><tr><th>Tool</th><th>Verdict</th><th>User check</th>"
         "<th>Agent check</th><th>Granted scope</th></tr>";
  for (const auto& t : jarray(*access, "tools")) {
    const std::string verdict = jtext(t, "verdict");
    const auto scoped = t.find("in_granted_scopes");
    std::string scope_cell = "-";
    if (scoped != t.end() && scoped->is_boolean()) {
      scope_cell = scoped->get<bool>() ? "yes" : "no";
    }
    out += "<tr class=\"tool\" data-tool=\"" + h(jtext(t, "object")) + "\" data-verdict=\"" +
           h(verdict) + "\"><td><code>" + h(jtext(t, "object")) + "</code></td><td><span class=\"" +
           h(verdict) + "\">" + h(verdict) + "</span></td>" +
           verdict_cell(t.contains("user_check") ? t["user_check"] : Json()) +
           verdict_cell(t.contains("client_check") ? t["client_check"] : Json()) + "<td>" +
           scope_cell + "</td></tr>";
  }
  return out + "</table></section>";
}

}  // namespace mcpgate::console
