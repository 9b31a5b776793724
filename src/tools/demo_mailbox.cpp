// Mailbox tools of the demo set: search_messages, read_message, send_message, delete_message.

#include <string>
#include <utility>

#include <fmt/format.h>

#include "tools/demo_store.hpp"
#include "tools/demo_support.hpp"

namespace mcpgate::tools::demo {

namespace {

constexpr size_t kSnippetChars = 120;

// One message as listed by search_messages and delete_message (no body).
constexpr std::string_view kSummarySchema = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string", "description": "Message id, used by read_message and delete_message."},
    "folder": {"type": "string", "enum": ["inbox", "sent"]},
    "from": {"type": "string", "format": "email"},
    "to": {"type": "array", "items": {"type": "string", "format": "email"}},
    "subject": {"type": "string"},
    "snippet": {"type": "string", "description": "Start of the body, whitespace collapsed."},
    "date": {"type": "string", "format": "date-time"}
  },
  "required": ["id", "folder", "from", "to", "subject", "snippet", "date"],
  "additionalProperties": false
})json";

// One whole message, as returned by read_message and send_message.
constexpr std::string_view kMessageSchema = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "folder": {"type": "string", "enum": ["inbox", "sent"]},
    "from": {"type": "string", "format": "email"},
    "to": {"type": "array", "items": {"type": "string", "format": "email"}},
    "subject": {"type": "string"},
    "body": {"type": "string"},
    "date": {"type": "string", "format": "date-time"}
  },
  "required": ["id", "folder", "from", "to", "subject", "body", "date"],
  "additionalProperties": false
})json";

std::string expand(std::string_view schema) {
  return expand_schema(expand_schema(schema, "$SUMMARY", kSummarySchema), "$MESSAGE",
                       kMessageSchema);
}

std::string snippet(std::string_view body) {
  std::string collapsed;
  bool space = false;
  for (const char c : body) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !collapsed.empty();
      continue;
    }
    if (space) {
      collapsed += ' ';
      space = false;
    }
    collapsed += c;
  }
  return utf8_truncate(collapsed, kSnippetChars);
}

Json summary_json(const MailMessage& m) {
  Json j = Json::object();
  j["id"] = m.id;
  j["folder"] = m.folder;
  j["from"] = m.from;
  j["to"] = m.to;
  j["subject"] = m.subject;
  j["snippet"] = snippet(m.body);
  j["date"] = format_date_time(m.date);
  return j;
}

Json message_json(const MailMessage& m) {
  Json j = Json::object();
  j["id"] = m.id;
  j["folder"] = m.folder;
  j["from"] = m.from;
  j["to"] = m.to;
  j["subject"] = m.subject;
  j["body"] = m.body;
  j["date"] = format_date_time(m.date);
  return j;
}

std::string headline(const MailMessage& m) {
  return fmt::format("{} [{}, {}] {} \u2192 {}: {}", format_date_time(m.date), m.id, m.folder,
                     m.from, fmt::join(m.to, ", "), m.subject);
}


Error not_found(const std::string& id) {
  return make_error(ErrorCode::kNotFound,
                    fmt::format("No message with id '{}'. Use search_messages to find message ids.",
                                utf8_truncate(id, 64)));
}

// ---- search_messages ----

constexpr std::string_view kSearchInput = R"json({
  "type": "object",
  "properties": {
    "query": {"type": "string", "maxLength": 200,
              "description": "Text to look for in subject, body and sender, case-insensitively. An empty string matches every message."},
    "folder": {"type": "string", "enum": ["inbox", "sent"],
               "description": "Folder to search. Default: all folders."},
    "max_results": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10,
                    "description": "Maximum number of messages to return (newest first)."}
  },
  "required": ["query"],
  "additionalProperties": false
})json";

constexpr std::string_view kSearchOutput = R"json({
  "type": "object",
  "properties": {
    "messages": {"type": "array", "items": "$SUMMARY", "description": "Newest first."},
    "total": {"type": "integer", "minimum": 0,
              "description": "Number of matching messages before max_results was applied."}
  },
  "required": ["messages", "total"],
  "additionalProperties": false
})json";

Result<Json> search_messages(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"query", "folder", "max_results"}));
  MCPGATE_ASSIGN_OR_RETURN(std::string query, a.required_string("query", 0, 200));
  MCPGATE_ASSIGN_OR_RETURN(auto folder, a.optional_string("folder", 16));
  if (folder && *folder != "inbox" && *folder != "sent") {
    return invalid_argument(fmt::format("`folder` must be \"inbox\" or \"sent\", got '{}'", *folder));
  }
  MCPGATE_ASSIGN_OR_RETURN(auto max_results, a.optional_int("max_results", 1, 100));
  const auto page =
      store.search_messages(query, folder, static_cast<size_t>(max_results.value_or(10)));

  Json structured = Json::object();
  structured["messages"] = Json::array();
  for (const auto& m : page.items) {
    structured["messages"].push_back(summary_json(m));
  }
  structured["total"] = page.total;

  const std::string where = folder ? " in " + *folder : "";
  const std::string what = query.empty() ? "" : fmt::format(" matching \"{}\"", query);
  std::string summary;
  if (page.items.empty()) {
    summary = fmt::format("No messages{}{}.", where, what);
  } else {
    summary = fmt::format("{} message{}{}{}", page.total, page.total == 1 ? "" : "s", where, what);
    if (page.items.size() < page.total) {
      summary += fmt::format(" (showing the newest {})", page.items.size());
    }
    summary += ":";
    for (const auto& m : page.items) {
      summary += "\n- " + headline(m);
    }
  }
  return tool_success(std::move(summary), std::move(structured));
}

// ---- read_message ----

constexpr std::string_view kMessageIdInput = R"json({
  "type": "object",
  "properties": {
    "message_id": {"type": "string", "minLength": 1, "maxLength": 64,
                   "description": "Id of the message, as returned by search_messages (e.g. msg_2)."}
  },
  "required": ["message_id"],
  "additionalProperties": false
})json";

constexpr std::string_view kMessageOutput = R"json({
  "type": "object",
  "properties": {"message": "$MESSAGE"},
  "required": ["message"],
  "additionalProperties": false
})json";

std::string full_text(const MailMessage& m) {
  return fmt::format("From: {}\nTo: {}\nDate: {}\nSubject: {}\nFolder: {}  Id: {}\n\n{}", m.from,
                     fmt::join(m.to, ", "), format_date_time(m.date), m.subject, m.folder, m.id,
                     m.body);
}

Result<Json> read_message(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"message_id"}));
  MCPGATE_ASSIGN_OR_RETURN(std::string id, a.required_string("message_id", 1, 64));
  const auto message = store.find_message(id);
  if (!message) {
    return not_found(id);
  }
  Json structured = Json::object();
  structured["message"] = message_json(*message);
  return tool_success(full_text(*message), std::move(structured));
}

// ---- send_message ----

constexpr std::string_view kSendInput = R"json({
  "type": "object",
  "properties": {
    "to": {"type": "array", "minItems": 1, "maxItems": 50,
           "items": {"type": "string", "format": "email"},
           "description": "Recipient e-mail addresses (plain addresses, no display names)."},
    "subject": {"type": "string", "minLength": 1, "maxLength": 200,
                "description": "Subject line (one line)."},
    "body": {"type": "string", "maxLength": 20000, "description": "Plain-text body."}
  },
  "required": ["to", "subject", "body"],
  "additionalProperties": false
})json";

Result<Json> send_message(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"to", "subject", "body"}));
  MCPGATE_ASSIGN_OR_RETURN(auto to, a.email_list("to", 1, 50));
  MCPGATE_ASSIGN_OR_RETURN(std::string subject, a.required_string("subject", 1, 200));
  // A line break in a subject would let the text forge further mail headers.
  if (has_control_chars(subject, false)) {
    return invalid_argument("`subject` must be a single line without control characters");
  }
  MCPGATE_ASSIGN_OR_RETURN(std::string body, a.required_string("body", 0, 20000));
  if (has_control_chars(body, true)) {
    return invalid_argument("`body` must not contain control characters other than tab and line breaks");
  }
  const MailMessage sent = store.send_message(std::move(to), std::move(subject), std::move(body));
  Json structured = Json::object();
  structured["message"] = message_json(sent);
  return tool_success(fmt::format("Sent message {} to {}: {}", sent.id, fmt::join(sent.to, ", "),
                                  sent.subject),
                      std::move(structured));
}

// ---- delete_message ----

constexpr std::string_view kDeleteOutput = R"json({
  "type": "object",
  "properties": {
    "deleted": {"type": "boolean", "const": true},
    "message": "$SUMMARY"
  },
  "required": ["deleted", "message"],
  "additionalProperties": false
})json";

Result<Json> delete_message(DemoStore& store, const Json& args) {
  const Args a(args);
  MCPGATE_TRY(a.only({"message_id"}));
  MCPGATE_ASSIGN_OR_RETURN(std::string id, a.required_string("message_id", 1, 64));
  const auto removed = store.delete_message(id);
  if (!removed) {
    return not_found(id);
  }
  Json structured = Json::object();
  structured["deleted"] = true;
  structured["message"] = summary_json(*removed);
  return tool_success("Deleted message " + headline(*removed), std::move(structured));
}

}  // namespace

void add_mailbox_tools(mcp::Registry& registry, const std::shared_ptr<DemoStore>& store) {
  const auto bind = [&store](Result<Json> (*fn)(DemoStore&, const Json&)) {
    return make_handler([store, fn](const Json& args) { return fn(*store, args); });
  };
  add_tool(registry, "mail",
      tool_descriptor("search_messages", "Search mail",
                      "Searches the user's mailbox (inbox and sent) for messages whose subject, "
                      "body or sender contains the query, newest first.",
                      kSearchInput, expand(kSearchOutput),
                      Hints{.read_only = true, .destructive = false, .idempotent = true,
                            .open_world = false}),
      bind(&search_messages));
  add_tool(registry, "mail",
      tool_descriptor("read_message", "Read mail message",
                      "Returns one message of the user's mailbox in full: headers and body.",
                      kMessageIdInput, expand(kMessageOutput),
                      Hints{.read_only = true, .destructive = false, .idempotent = true,
                            .open_world = false}),
      bind(&read_message));
  add_tool(registry, "mail",
      tool_descriptor("send_message", "Send mail",
                      "Sends a plain-text message from the user's address to the given "
                      "recipients and files it in the \"sent\" folder.",
                      kSendInput, expand(kMessageOutput),
                      Hints{.read_only = false, .destructive = false, .idempotent = false,
                            .open_world = true}),
      bind(&send_message));
  add_tool(registry, "mail",
      tool_descriptor("delete_message", "Delete mail message",
                      "Permanently removes one message from the user's mailbox.", kMessageIdInput,
                      expand(kDeleteOutput),
                      Hints{.read_only = false, .destructive = true, .idempotent = true,
                            .open_world = false}),
      bind(&delete_message));
}

}  // namespace mcpgate::tools::demo
