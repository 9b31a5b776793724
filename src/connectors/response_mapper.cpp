#include "connectors/response_mapper.hpp"

#include <algorithm>
#include <cctype>

#include "mcp/json_io.hpp"
#include "mcp/schema.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::connectors {
namespace {

constexpr size_t kMaxErrorDetail = 300;

bool is_json_type(std::string_view ct) {
  std::string t(ct.substr(0, ct.find(';')));
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!t.empty() && t.back() == ' ') {
    t.pop_back();
  }
  return t == "application/json" || (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0);
}

// Cut at a UTF-8 character boundary so the text stays valid.
std::string truncate_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) {
    return std::string(s);
  }
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(s.substr(0, end)) + "… (truncated)";
}

// Printable single-line text for an error message (an upstream body may hold anything).
std::string clean(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, kMaxErrorDetail)) {
    out += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
  }
  return mcp::is_valid_utf8(out) ? out : std::string("(binary)");
}

const Json* at_pointer(const Json& doc, const std::string& pointer) {
  try {
    const Json::json_pointer p(pointer);
    return doc.contains(p) ? &doc.at(p) : nullptr;
  } catch (const Json::exception&) {
    return nullptr;
  }
}

// A short human reason from common error shapes: {"message"}, {"error": "..."},
// {"error": {"message"}}, {"error_description"}, Salesforce's [{"message", "errorCode"}].
std::string error_detail(const Json& body) {
  const Json* root = &body;
  if (body.is_array() && !body.empty()) {
    root = &body[0];
  }
  if (!root->is_object()) {
    return "";
  }
  for (const char* key : {"error_description", "message"}) {
    if (auto it = root->find(key); it != root->end() && it->is_string()) {
      return clean(it->get<std::string>());
    }
  }
  if (auto it = root->find("error"); it != root->end()) {
    if (it->is_string()) {
      return clean(it->get<std::string>());
    }
    if (it->is_object()) {
      if (auto m = it->find("message"); m != it->end() && m->is_string()) {
        return clean(m->get<std::string>());
      }
    }
  }
  return "";
}

std::string status_reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace

Json map_response(const ToolDef& tool, const HttpResponse& response) {
  const std::string name = mcp_tool_name(tool);
  std::optional<Json> parsed;
  if (!response.body.empty() && is_json_type(response.content_type)) {
    if (auto j = mcp::parse_json(response.body)) {
      parsed = std::move(j).value();
    }
  }
  if (response.status < 200 || response.status > 299) {
    std::string msg = name + ": upstream returned HTTP " + std::to_string(response.status);
    if (const std::string r = status_reason(response.status); !r.empty()) {
      msg += " (" + r + ")";
    }
    if (parsed) {
      if (const std::string d = error_detail(*parsed); !d.empty()) {
        msg += ": " + d;
      }
    }
    return mcp::tool_error(msg);
  }
  if (!parsed) {
    if (response.body.empty()) {
      return mcp::tool_result_text(name + ": done (HTTP " + std::to_string(response.status) + ")");
    }
    if (is_json_type(response.content_type)) {
      return mcp::tool_error(name + ": upstream sent malformed JSON");
    }
    if (!mcp::is_valid_utf8(response.body)) {
      return mcp::tool_error(name + ": upstream sent a non-text body");
    }
    return mcp::tool_result_text(truncate_utf8(response.body, tool.response.max_text_bytes));
  }
  if (const auto& ew = tool.response.error_when) {
    const Json* flag = at_pointer(*parsed, ew->pointer);
    if (flag != nullptr && *flag == ew->equals) {
      std::string msg = name + ": upstream reported an error";
      if (const Json* m = at_pointer(*parsed, ew->message_pointer); m != nullptr && m->is_string()) {
        msg += ": " + clean(m->get<std::string>());
      }
      return mcp::tool_error(msg);
    }
  }
  const Json* selected = at_pointer(*parsed, tool.response.select);
  if (selected == nullptr) {
    return mcp::tool_error(name + ": the upstream response has no " + tool.response.select);
  }
  Json structured = selected->is_object() ? *selected : Json{{"result", *selected}};
  if (!tool.output_schema.is_null()) {
    if (auto st = mcp::validate_json_schema(tool.output_schema, structured); !st) {
      return mcp::tool_error(name + ": the upstream response does not match the tool's "
                             "outputSchema (" + st.error().message + ")");
    }
  }
  Json result = mcp::tool_result_text(
      truncate_utf8(mcp::dump_json(structured), tool.response.max_text_bytes));
  result["structuredContent"] = std::move(structured);
  return result;
}

}  // namespace mcpgate::connectors
