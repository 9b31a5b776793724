// Request shapes of the shipped connectors (connectors/*.yaml): for each, read and destructive
// tools with sample arguments → the exact method, URL, headers and body the provider's public
// documentation describes. None of these can be tried live here, so this is their contract.

#include <gtest/gtest.h>

#include "connectors/request_builder.hpp"
#include "connectors/test_support.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::connectors {
namespace {

using testing::header;
using testing::load_shipped;
using testing::tool;

HttpRequest build(const ToolDef& t, const Json& args, const ConnectionVars& conn = {}) {
  auto r = build_request(t, args, conn);
  if (!r) {
    ADD_FAILURE() << mcp_tool_name(t) << ": " << r.error().message;
    return {};
  }
  return std::move(r).value();
}

TEST(GoogleCalendar, OAuthSettings) {
  const ConnectorDef c = load_shipped("google-calendar.yaml");
  EXPECT_EQ(c.oauth.authorize_url, "https://accounts.google.com/o/oauth2/v2/auth");
  EXPECT_EQ(c.oauth.token_url, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(c.oauth.revoke_url, "https://oauth2.googleapis.com/revoke");
  EXPECT_EQ(c.oauth.authorize_params.at("access_type"), "offline");
  EXPECT_FALSE(c.oauth.quirks.refresh_token_rotated);
  EXPECT_EQ(c.oauth.issuer, "https://accounts.google.com");
}

TEST(GoogleCalendar, ListEvents) {
  const ConnectorDef c = load_shipped("google-calendar.yaml");
  const HttpRequest r = build(tool(c, "list_events"),
                              {{"calendar_id", "team@group.calendar.google.com"},
                               {"time_min", "2025-03-01T00:00:00Z"},
                               {"time_max", "2025-03-08T00:00:00+01:00"}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "https://www.googleapis.com/calendar/v3/calendars/team%40group.calendar.google.com/"
            "events?maxResults=50&orderBy=startTime&singleEvents=true"
            "&timeMax=2025-03-08T00%3A00%3A00%2B01%3A00&timeMin=2025-03-01T00%3A00%3A00Z");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(header(r.headers, "Accept"), "application/json");
}

TEST(GoogleCalendar, CreateEvent) {
  const ConnectorDef c = load_shipped("google-calendar.yaml");
  const HttpRequest r = build(tool(c, "create_event"),
                              {{"summary", "Planning"},
                               {"start", {{"dateTime", "2025-03-03T10:00:00Z"}}},
                               {"end", {{"dateTime", "2025-03-03T11:00:00Z"}}},
                               {"attendees", {{{"email", "bob@example.com"}}}},
                               {"send_updates", "all"}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://www.googleapis.com/calendar/v3/calendars/primary/events?sendUpdates=all");
  EXPECT_EQ(r.body,
            R"({"attendees":[{"email":"bob@example.com"}],"end":{"dateTime":"2025-03-03T11:00:00Z"},)"
            R"("start":{"dateTime":"2025-03-03T10:00:00Z"},"summary":"Planning"})");
  EXPECT_EQ(header(r.headers, "Content-Type"), "application/json; charset=utf-8");
}

TEST(GoogleCalendar, DeleteEvent) {
  const ConnectorDef c = load_shipped("google-calendar.yaml");
  const ToolDef& t = tool(c, "delete_event");
  EXPECT_TRUE(t.annotations.destructive);
  const HttpRequest r = build(t, {{"event_id", "abc123"}});
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url,
            "https://www.googleapis.com/calendar/v3/calendars/primary/events/abc123?sendUpdates=none");
  EXPECT_EQ(r.body, "");
}

TEST(Gmail, ListAndGetMessages) {
  const ConnectorDef c = load_shipped("gmail.yaml");
  const HttpRequest list = build(tool(c, "list_messages"),
                                 {{"query", "from:alice is:unread"}, {"label_ids", {"INBOX", "IMPORTANT"}}});
  EXPECT_EQ(list.method, "GET");
  EXPECT_EQ(list.url,
            "https://gmail.googleapis.com/gmail/v1/users/me/messages?labelIds=INBOX"
            "&labelIds=IMPORTANT&maxResults=20&q=from%3Aalice%20is%3Aunread");
  const HttpRequest get = build(tool(c, "get_message"),
                                {{"id", "18c1f"}, {"format", "metadata"}, {"metadata_headers", {"From", "Subject"}}});
  EXPECT_EQ(get.url,
            "https://gmail.googleapis.com/gmail/v1/users/me/messages/18c1f?format=metadata"
            "&metadataHeaders=From&metadataHeaders=Subject");
}

TEST(Gmail, SendMessageIsABase64UrlRfc5322Message) {
  const ConnectorDef c = load_shipped("gmail.yaml");
  const HttpRequest r = build(tool(c, "send_message"),
                              {{"to", "bob@example.com"}, {"subject", "Hi"}, {"text", "See you?"}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://gmail.googleapis.com/gmail/v1/users/me/messages/send");
  const Json body = Json::parse(r.body);
  ASSERT_EQ(body.size(), 1u);
  const auto raw = mcp::base64url_decode(body["raw"].get<std::string>());
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw,
            "To: bob@example.com\r\nSubject: Hi\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "U2VlIHlvdT8=\r\n");
}

TEST(Gmail, TrashMessage) {
  const ConnectorDef c = load_shipped("gmail.yaml");
  const ToolDef& t = tool(c, "trash_message");
  EXPECT_TRUE(t.annotations.destructive);
  const HttpRequest r = build(t, {{"id", "18c1f"}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://gmail.googleapis.com/gmail/v1/users/me/messages/18c1f/trash");
  EXPECT_EQ(r.body, "");
}

TEST(Slack, ReadTools) {
  const ConnectorDef c = load_shipped("slack.yaml");
  EXPECT_EQ(c.oauth.token_url, "https://slack.com/api/oauth.v2.access");
  EXPECT_EQ(c.oauth.quirks.scope_separator, ",");
  const HttpRequest list = build(tool(c, "list_conversations"), Json::object());
  EXPECT_EQ(list.method, "GET");
  EXPECT_EQ(list.url,
            "https://slack.com/api/conversations.list?exclude_archived=true&limit=200"
            "&types=public_channel%2Cprivate_channel");
  const HttpRequest hist = build(tool(c, "conversation_history"),
                                 {{"channel", "C0123"}, {"oldest", "1700000000.000100"}});
  EXPECT_EQ(hist.url,
            "https://slack.com/api/conversations.history?channel=C0123&limit=100"
            "&oldest=1700000000.000100");
}

TEST(Slack, PostAndDeleteMessage) {
  const ConnectorDef c = load_shipped("slack.yaml");
  const HttpRequest post = build(tool(c, "post_message"),
                                 {{"channel", "C0123"}, {"text", "hello *world*"}, {"thread_ts", "1.2"}});
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.url, "https://slack.com/api/chat.postMessage");
  EXPECT_EQ(post.body, R"({"channel":"C0123","text":"hello *world*","thread_ts":"1.2"})");
  EXPECT_EQ(header(post.headers, "Content-Type"), "application/json; charset=utf-8");
  const ToolDef& del_tool = tool(c, "delete_message");
  EXPECT_TRUE(del_tool.annotations.destructive);
  const HttpRequest del = build(del_tool, {{"channel", "C0123"}, {"ts", "1700000000.000100"}});
  EXPECT_EQ(del.method, "POST");
  EXPECT_EQ(del.url, "https://slack.com/api/chat.delete");
  EXPECT_EQ(del.body, "channel=C0123&ts=1700000000.000100");
  EXPECT_EQ(header(del.headers, "Content-Type"), "application/x-www-form-urlencoded");
}

TEST(GitHub, ReadTools) {
  const ConnectorDef c = load_shipped("github.yaml");
  EXPECT_TRUE(c.oauth.quirks.token_response_form);
  const HttpRequest repos = build(tool(c, "list_repos"), {{"per_page", 100}, {"page", 2}});
  EXPECT_EQ(repos.method, "GET");
  EXPECT_EQ(repos.url,
            "https://api.github.com/user/repos?affiliation=owner%2Ccollaborator%2Corganization_member"
            "&page=2&per_page=100&sort=updated&visibility=all");
  EXPECT_EQ(header(repos.headers, "Accept"), "application/vnd.github+json");
  EXPECT_EQ(header(repos.headers, "X-GitHub-Api-Version"), "2022-11-28");
  const HttpRequest issue = build(tool(c, "get_issue"),
                                  {{"owner", "octo-org"}, {"repo", "hello.world"}, {"issue_number", 42}});
  EXPECT_EQ(issue.url, "https://api.github.com/repos/octo-org/hello.world/issues/42");
}

TEST(GitHub, CreateAndCloseIssue) {
  const ConnectorDef c = load_shipped("github.yaml");
  const HttpRequest create = build(tool(c, "create_issue"),
                                   {{"owner", "octo-org"}, {"repo", "app"}, {"title", "Crash on start"},
                                    {"body", "Steps..."}, {"labels", {"bug"}}});
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.url, "https://api.github.com/repos/octo-org/app/issues");
  EXPECT_EQ(create.body, R"({"body":"Steps...","labels":["bug"],"title":"Crash on start"})");
  const ToolDef& close_tool = tool(c, "close_issue");
  EXPECT_TRUE(close_tool.annotations.destructive);
  EXPECT_TRUE(close_tool.annotations.idempotent);
  const HttpRequest close = build(close_tool, {{"owner", "octo-org"}, {"repo", "app"}, {"issue_number", 7},
                                               {"reason", "not_planned"}});
  EXPECT_EQ(close.method, "PATCH");
  EXPECT_EQ(close.url, "https://api.github.com/repos/octo-org/app/issues/7");
  EXPECT_EQ(close.body, R"({"state":"closed","state_reason":"not_planned"})");
  // A repository name cannot climb to another endpoint.
  const HttpRequest escape = build(tool(c, "get_issue"),
                                   {{"owner", "octo-org"}, {"repo", "../../user"}, {"issue_number", 1}});
  EXPECT_EQ(escape.url, "https://api.github.com/repos/octo-org/..%2F..%2Fuser/issues/1");
}

TEST(Salesforce, InstanceUrlComesFromTheConnection) {
  const ConnectorDef c = load_shipped("salesforce.yaml");
  ASSERT_EQ(c.oauth.connection_vars.size(), 1u);
  EXPECT_EQ(c.oauth.connection_vars[0].from_token_response, "instance_url");
  EXPECT_TRUE(c.oauth.quirks.expires_in_missing);
  const ConnectionVars conn = {{"instance_url", "https://acme.my.salesforce.com"}};
  const HttpRequest q = build(tool(c, "soql_query"),
                              {{"soql", "SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%'"}}, conn);
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.url,
            "https://acme.my.salesforce.com/services/data/v62.0/query?q=SELECT%20Id%2C%20Name%20FROM"
            "%20Account%20WHERE%20Name%20LIKE%20%27Acme%25%27");
  const HttpRequest get = build(tool(c, "get_record"),
                                {{"sobject", "Account"}, {"record_id", "001xx000003DGb2AAG"},
                                 {"fields", "Name,Industry"}}, conn);
  EXPECT_EQ(get.url,
            "https://acme.my.salesforce.com/services/data/v62.0/sobjects/Account/001xx000003DGb2AAG"
            "?fields=Name%2CIndustry");
  // An instance_url off the allowed hosts is refused even though it came from the provider.
  auto evil = build_request(tool(c, "soql_query"), {{"soql", "SELECT Id FROM User"}},
                            {{"instance_url", "https://evil.example"}});
  ASSERT_FALSE(evil);
  EXPECT_EQ(evil.error().code, ErrorCode::kFailedPrecondition);
}

TEST(Salesforce, CreateAndDeleteRecord) {
  const ConnectorDef c = load_shipped("salesforce.yaml");
  const ConnectionVars conn = {{"instance_url", "https://acme.my.salesforce.com/"}};
  const HttpRequest create = build(tool(c, "create_record"),
                                   {{"sobject", "Contact"}, {"fields", {{"LastName", "Doe"}, {"Email", "j@d.example"}}}},
                                   conn);
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.url, "https://acme.my.salesforce.com/services/data/v62.0/sobjects/Contact");
  EXPECT_EQ(create.body, R"({"Email":"j@d.example","LastName":"Doe"})");
  const ToolDef& del_tool = tool(c, "delete_record");
  EXPECT_TRUE(del_tool.annotations.destructive);
  const HttpRequest del = build(del_tool, {{"sobject", "Contact"}, {"record_id", "003xx000004TmiQAAS"}}, conn);
  EXPECT_EQ(del.method, "DELETE");
  EXPECT_EQ(del.url,
            "https://acme.my.salesforce.com/services/data/v62.0/sobjects/Contact/003xx000004TmiQAAS");
  EXPECT_EQ(del.body, "");
}

}  // namespace
}  // namespace mcpgate::connectors
