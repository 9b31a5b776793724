#pragma once
// The console's pages as HTML (issue 9 item 3): pure functions from the admin operations' JSON
// answers to markup, so they are unit-tested without a server. Every value that comes from the
// store, the policy or the request (usernames, client names, ids, reasons, tool names) goes
// through html_escape — in text and in attributes — or url_component in links.
//
// A page shows only what the viewer may do: Viewer::may lists the operations the runner
// authorizes for them (OperationRunner::authorize), and a button or link to an operation not in
// it is not rendered (the runner refuses it anyway when posted).
//
// Thread-safe (pure functions).

#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgate::console {

using Json = nlohmann::json;

inline constexpr std::string_view kBase = "/admin/console";

struct Viewer {
  std::string user_id;
  std::string username;
  std::string org_id;
  std::string csrf;              // the form token of this browser's sign-in
  std::set<std::string, std::less<>> may;  // operation ids the viewer may call
  std::string logout_url;        // the authorization server's /logout

  bool can(std::string_view operation_id) const { return may.find(operation_id) != may.end(); }
};

// Percent-encodes everything but RFC 3986 unreserved characters (query values, path segments).
std::string url_component(std::string_view value);
// A path segment: the identifier characters (admin::valid_id's set) as they are — the console's
// routes take ids unencoded, as the API does — and everything else percent-encoded (such a
// segment is never a valid id, so the operation refuses it).
std::string path_segment(std::string_view value);
// "2026-11-29 21:05 UTC" for unix seconds; "-" for 0 or less.
std::string time_text(std::int64_t unix_seconds);

// The whole document: header with the viewer and the navigation (only pages they may read),
// `body` (already markup) in main.
std::string render_page(const Viewer& viewer, std::string_view active, std::string_view title,
                        std::string_view body);

// Bodies. `data` is the operation's JSON answer.
std::string overview_body(const Viewer& viewer, const Json* stats, int hours);
std::string users_body(const Viewer& viewer, const Json& users);
std::string user_body(const Viewer& viewer, const Json& user, const Json* grants);
std::string clients_body(const Viewer& viewer, const Json& clients);
// The blast radius: a form (user, client) and, when asked, the answer of getAgentAccess.
std::string access_body(const Viewer& viewer, std::string_view user_id,
                        std::string_view client_id, const Json* access,
                        std::string_view error);
// The live sessions (listSessions) with Revoke buttons (revokeSession); `user_filter` and
// `client_filter` are the list's filters as asked.
std::string sessions_body(const Viewer& viewer, const Json& sessions, std::string_view user_filter,
                          std::string_view client_filter);

// The audit log's filters as the page's form carries them.
struct AuditFilters {
  std::string user_id;
  std::string client_id;
  std::string tool;
  std::string decision;  // "", "allow", "deny", "error"
};
// Audit records (searchAudit; null: the viewer may not read them) and the tamper-evidence status
// (getAuditStatus; null: not permitted for the viewer, e.g. outside the operator organization).
std::string audit_body(const Viewer& viewer, const Json* records, const Json* status,
                       const AuditFilters& filters);

// Upstreams (listUpstreams; null: not readable) and pinned tool definitions (listToolPins) with
// an Approve button for each changed definition (approveToolPin, bound to its hash).
std::string tools_body(const Viewer& viewer, const Json* upstreams, const Json& pins);
// Connectors (listConnectors) and the users' vault connections (listConnections) with Revoke
// buttons (revokeConnection); either may be null (not readable).
std::string connectors_body(const Viewer& viewer, const Json* connectors, const Json* connections);

// A page-sized notice (errors, refusals).
std::string message_body(std::string_view title, std::string_view text);

// Hidden csrf field + a submit button in a POST form to `action` (a path below kBase).
std::string post_button(const Viewer& viewer, std::string_view action, std::string_view label,
                        std::string_view css_class, std::string_view name,
                        std::string_view hidden_name = {}, std::string_view hidden_value = {});

}  // namespace mcpgate::console
