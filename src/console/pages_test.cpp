// The console's pages with hostile values in every field the store, the policy or a request can
// fill: nothing reaches the markup unescaped (no element, no attribute break-out).
#include "console/pages.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mcpgate::console {
namespace {

const std::string kEvil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// No hostile element survived, and at least `fields` escaped copies are there.
void expect_escaped(const std::string& html, std::size_t fields) {
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("onerror=alert(2)>\""), std::string::npos);
  EXPECT_GE(count_of(html, "&lt;script&gt;"), fields) << html;
}

Viewer evil_viewer() {
  Viewer v;
  v.user_id = kEvil;
  v.username = kEvil;
  v.org_id = kEvil;
  v.csrf = kEvil;
  v.logout_url = kEvil;
  for (const char* op : {"listUsers", "getUser", "listUserGrants", "revokeUserGrant",
                         "deactivateUser", "reactivateUser", "listClients", "getAgentAccess",
                         "getCallStats"}) {
    v.may.insert(op);
  }
  return v;
}

TEST(ConsolePages, TheLayoutEscapesTheViewerAndTheTitle) {
  const Viewer v = evil_viewer();
  const std::string html = render_page(v, "users", kEvil, "<p>body</p>");
  expect_escaped(html, 3);  // title, username, organization (the logout link is an attribute)
  EXPECT_NE(html.find("href=\"&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<p>body</p>"), std::string::npos);
}

TEST(ConsolePages, UsersAndUserPagesEscapeNamesIdsAndGrants) {
  const Viewer v = evil_viewer();
  const Json users = {{"items", Json::array({Json{{"id", kEvil}, {"username", kEvil},
                                                   {"disabled", false}, {"created_at", 5}}})},
                      {"next_cursor", kEvil}};
  expect_escaped(users_body(v, users), 3);  // data-user, id cell, username
  Viewer admin = v;
  admin.user_id = "someone-else";  // so the deactivate button shows
  const Json user = {{"id", kEvil}, {"username", kEvil}, {"disabled", false}, {"created_at", 5}};
  const Json grants = {{"items", Json::array({Json{{"id", kEvil},
                                                    {"client_id", kEvil},
                                                    {"scopes", Json::array({kEvil})},
                                                    {"resources", Json::array({kEvil})},
                                                    {"created_at", 5}}})}};
  const std::string html = user_body(admin, user, &grants);
  expect_escaped(html, 6);
  // Ids inside URLs are percent-encoded, then escaped: no quote or angle bracket left raw.
  EXPECT_NE(html.find("/users/%3Cscript%3E"), std::string::npos) << html;
  EXPECT_NE(html.find("client_id=%3Cscript%3E"), std::string::npos);
  // The form token is an attribute value: escaped too.
  EXPECT_NE(html.find("name=\"csrf\" value=\"&lt;script&gt;"), std::string::npos);
}

TEST(ConsolePages, ClientsOverviewAndAccessPagesEscapeEveryValue) {
  const Viewer v = evil_viewer();
  const Json clients = {{"items", Json::array({Json{{"client_id", kEvil},
                                                    {"client_name", kEvil},
                                                    {"kind", kEvil},
                                                    {"created_at", 5}}})},
                        {"next_cursor", nullptr}};
  expect_escaped(clients_body(v, clients), 4);
  const Json row = {{"name", kEvil},
                    {"calls", 3},
                    {"denied", 1},
                    {"errors", 0},
                    {"series", {{"calls", {1, 2}}, {"denied", {0, 1}}, {"errors", {0, 0}}}}};
  const Json stats = {{"total", row},           {"by_tool", Json::array({row})},
                      {"by_upstream", Json::array({row})}, {"complete", true},
                      {"records_scanned", 2}};
  expect_escaped(overview_body(v, &stats, 24), 4);  // table cells and chart titles
  const Json check = {{"result", kEvil}, {"detail", kEvil}};
  const Json access = {{"user_id", kEvil},
                       {"client_id", kEvil},
                       {"grants", Json::array({kEvil})},
                       {"tools", Json::array({Json{{"object", kEvil},
                                                   {"verdict", kEvil},
                                                   {"user_check", check},
                                                   {"client_check", check},
                                                   {"in_granted_scopes", true}}})},
                       {"allowed", 0},
                       {"conditional", 0},
                       {"denied", 1}};
  expect_escaped(access_body(v, kEvil, kEvil, &access, kEvil), 10);
  expect_escaped(message_body(kEvil, kEvil), 2);
}

TEST(ConsolePages, SessionsAndAuditPagesEscapeEveryValue) {
  Viewer v = evil_viewer();
  v.may.insert("listSessions");
  v.may.insert("revokeSession");
  v.may.insert("disableClient");
  const Json sessions = {{"items", Json::array({Json{{"id", kEvil},
                                                      {"user_id", kEvil},
                                                      {"username", kEvil},
                                                      {"client_id", kEvil},
                                                      {"client_name", kEvil},
                                                      {"scopes", Json::array({kEvil})},
                                                      {"revoked_at", nullptr}}})},
                         {"next_cursor", kEvil}};
  const std::string s = sessions_body(v, sessions, kEvil, kEvil);
  expect_escaped(s, 8);
  EXPECT_NE(s.find("/sessions/%3Cscript%3E"), std::string::npos);  // the revoke action
  const Json records = {{"items", Json::array({Json{{"seq", 7},
                                                     {"hash", kEvil},
                                                     {"record", Json{{"user", kEvil},
                                                                     {"client_id", kEvil},
                                                                     {"upstream", kEvil},
                                                                     {"tool", kEvil},
                                                                     {"decision", kEvil},
                                                                     {"upstream_status", kEvil},
                                                                     {"reason", kEvil},
                                                                     {"time_ms", 1000}}}}})},
                        {"next_cursor", kEvil}};
  const Json broken = {{"ok", false},
                       {"first_bad_seq", kEvil},
                       {"problem", Json{{"kind", kEvil}, {"reason", kEvil}}}};
  const AuditFilters f{kEvil, kEvil, kEvil, kEvil};
  expect_escaped(audit_body(v, &records, &broken, f), 13);
  const Json fine = {{"ok", true}, {"records", 3}, {"last_seq", 3}, {"last_hash", kEvil}};
  const std::string ok = audit_body(v, nullptr, &fine, f);
  expect_escaped(ok, 1);
  EXPECT_NE(ok.find("chain-ok"), std::string::npos);
  const Json clients = {{"items", Json::array({Json{{"client_id", kEvil}, {"disabled", false}}})}};
  const std::string c = clients_body(v, clients);
  EXPECT_NE(c.find("name=\"client_id\" value=\"&lt;script&gt;"), std::string::npos) << c;
}

TEST(ConsolePages, ToolPinAndConnectorPagesEscapeEveryValue) {
  Viewer v = evil_viewer();
  v.may.insert("approveToolPin");
  v.may.insert("revokeConnection");
  const Json upstreams = {{"items", Json::array({Json{{"name", kEvil},
                                                       {"transport", kEvil},
                                                       {"ready", true},
                                                       {"circuit", kEvil}}})}};
  const Json pins = {{"items", Json::array({Json{{"upstream", kEvil},
                                                  {"tool", kEvil},
                                                  {"hash", kEvil},
                                                  {"approved_by", kEvil},
                                                  {"pending", Json{{"hash", kEvil},
                                                                   {"changed_fields", Json::array({kEvil})},
                                                                   {"definition", Json{{"description", kEvil}}}}}}})}};
  const std::string t = tools_body(v, &upstreams, pins);
  expect_escaped(t, 8);
  EXPECT_NE(t.find("name=\"hash\" value=\"&lt;script&gt;"), std::string::npos);  // bound to its hash
  EXPECT_NE(t.find("/tools/%3Cscript%3E"), std::string::npos);
  const Json connectors = {{"items", Json::array({Json{{"id", kEvil}, {"name", kEvil}, {"kind", kEvil},
                                                        {"tools", Json::array({kEvil})}}})}};
  const Json connections = {{"items", Json::array({Json{{"user_id", kEvil}, {"connector", kEvil},
                                                         {"status", kEvil},
                                                         {"scopes", Json::array({kEvil})}}})}};
  const std::string c = connectors_body(v, &connectors, &connections);
  expect_escaped(c, 10);
  EXPECT_NE(c.find("/connections/%3Cscript%3E"), std::string::npos);
}

TEST(ConsolePages, ActionsAppearOnlyForOperationsTheViewerMay) {
  Viewer auditor;
  auditor.username = "audrey";
  auditor.may = {"listUsers", "getUser", "listUserGrants", "listClients", "getAgentAccess"};
  const Json user = {{"id", "bob"}, {"username", "bob"}, {"disabled", false}};
  const Json grants = {{"items", Json::array({Json{{"id", "g1"}, {"client_id", "c1"}}})}};
  const std::string read_only = user_body(auditor, user, &grants);
  EXPECT_EQ(read_only.find("<form"), std::string::npos) << read_only;
  EXPECT_NE(read_only.find("What can this agent do?"), std::string::npos);
  Viewer helpdesk = auditor;
  helpdesk.may.insert("revokeUserGrant");
  const std::string revoke_only = user_body(helpdesk, user, &grants);
  EXPECT_EQ(count_of(revoke_only, "<form"), 1u);
  EXPECT_NE(revoke_only.find("/users/bob/grants/g1/revoke"), std::string::npos);
  EXPECT_EQ(revoke_only.find("deactivate"), std::string::npos);
  // The navigation lists only readable pages.
  Viewer nobody;
  const std::string nav = render_page(nobody, "overview", "x", "");
  EXPECT_EQ(nav.find("nav-users"), std::string::npos);
  EXPECT_NE(nav.find("nav-overview"), std::string::npos);
  // Administrators never get a button to deactivate themselves.
  Viewer self = auditor;
  self.user_id = "bob";
  self.may.insert("deactivateUser");
  EXPECT_EQ(user_body(self, user, &grants).find("deactivate"), std::string::npos);
}

TEST(ConsolePages, UrlComponentEncodesAllButUnreserved) {
  EXPECT_EQ(url_component("a-Z_0.~"), "a-Z_0.~");
  EXPECT_EQ(url_component("https://x/y?z=1&w"), "https%3A%2F%2Fx%2Fy%3Fz%3D1%26w");
  EXPECT_EQ(url_component(std::string("\x00\xff", 2)), "%00%FF");
  // Path segments keep the identifier characters (the routes take ids unencoded).
  EXPECT_EQ(path_segment("alice@example.com+x=1~"), "alice@example.com+x=1~");
  EXPECT_EQ(path_segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
  EXPECT_EQ(time_text(0), "-");
  EXPECT_EQ(time_text(86400), "1970-01-02 00:00 UTC");
}

}  // namespace
}  // namespace mcpgate::console
