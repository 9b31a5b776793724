#include "gateway/messages.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "gateway/upstream.hpp"
#include "mcp/json_writer.hpp"

namespace mcpgate::gateway {

Json rpc_request(const Json& id, const std::string& method, Json params) {
  Json m = Json::object();
  m["jsonrpc"] = "2.0";
  m["id"] = id;
  m["method"] = method;
  m["params"] = std::move(params);
  return m;
}

Json rpc_notification(const std::string& method, Json params) {
  Json m = Json::object();
  m["jsonrpc"] = "2.0";
  m["method"] = method;
  if (!params.is_null() && !params.empty()) {
    m["params"] = std::move(params);
  }
  return m;
}

Json rpc_result_reply(const Json& id, Json result) {
  Json m = Json::object();
  m["jsonrpc"] = "2.0";
  m["id"] = id;
  m["result"] = std::move(result);
  return m;
}

Json rpc_error_reply(const Json& id, int code, const std::string& message) {
  Json m = Json::object();
  m["jsonrpc"] = "2.0";
  m["id"] = id;
  m["error"] = Json{{"code", code}, {"message", message}};
  return m;
}

Json initialize_params(Json capabilities) {
  return Json{{"protocolVersion", kUpstreamProtocolVersion},
              {"capabilities", std::move(capabilities)},
              {"clientInfo", {{"name", "mcpgate-gateway"}, {"version", "0.1"}}}};
}

Json tool_call_params(const std::string& name, Json arguments, const std::string& progress_token) {
  Json p = Json::object();
  p["name"] = name;
  p["arguments"] = std::move(arguments);
  p["_meta"] = Json{{"progressToken", progress_token}};
  return p;
}

std::string tool_call_params_text(const std::string& name,
                                  const Json& arguments,
                                  const std::string& progress_token) {
  // The members in the order nlohmann writes them (sorted): the text tool_call_params() dumps to,
  // written by the MCP layer's writer (nlohmann's dump byte for byte, without its serializer).
  std::string text;
  text.reserve(64 + progress_token.size() + name.size());
  text += "{\"_meta\":{\"progressToken\":";
  mcp::write_json(text, Json(progress_token));
  text += "},\"arguments\":";
  mcp::write_json(text, arguments);
  text += ",\"name\":";
  mcp::write_json(text, Json(name));
  text += '}';
  return text;
}

Json prompt_get_params(const std::string& name, Json arguments) {
  Json p = Json::object();
  p["name"] = name;
  p["arguments"] = std::move(arguments);
  return p;
}

Json uri_params(const std::string& uri) {
  Json p = Json::object();
  p["uri"] = uri;
  return p;
}

Json completion_params(const std::string& ref_type,
                       const std::string& ref_key,
                       const std::string& ref_value,
                       Json argument,
                       Json context) {
  Json p = Json::object();
  p["ref"] = Json{{"type", ref_type}, {ref_key, ref_value}};
  p["argument"] = std::move(argument);
  if (!context.is_null()) {
    p["context"] = std::move(context);
  }
  return p;
}

Json cancelled_params(const Json& request_id, const std::string& reason) {
  Json p = Json::object();
  p["requestId"] = request_id;
  p["reason"] = reason;
  return p;
}

void set_head_field(HeadFields& fields, std::string_view name, std::string_view value) {
  for (auto& f : fields) {
    if (ascii::iequals(f.name, name)) {
      f.value = value;
      return;
    }
  }
  fields.push_back({name, value});
}

namespace {

// One pass over each byte (string_view::find_first_of calls memchr on its set once per byte:
// that was most of the head's cost on every forwarded call).
bool breaks_line(char c) {
  return c == '\r' || c == '\n' || c == '\0';
}

bool bad_field_name(std::string_view name) {
  return name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
           return breaks_line(c) || c == ':' || c == ' ' || c == '\t';
         });
}

bool bad_field_value(std::string_view value) {
  return std::any_of(value.begin(), value.end(), breaks_line);
}

}  // namespace

Result<std::string> request_head(std::string_view method,
                                 std::string_view target,
                                 const HeadFields& fields,
                                 std::size_t content_length,
                                 bool with_body) {
  std::size_t size = method.size() + target.size() + 40;
  for (const auto& f : fields) {
    if (bad_field_name(f.name) || bad_field_value(f.value)) {
      return make_error(ErrorCode::kInternal,
                        "refusing to send header " + std::string(f.name.substr(0, 64))
                            + ": its name or value holds a line break or separator");
    }
    size += f.name.size() + f.value.size() + 4;
  }
  std::string head;
  head.reserve(size);
  head += method;
  head += ' ';
  head += target;
  head += " HTTP/1.1\r\n";
  for (const auto& f : fields) {
    head += f.name;
    head += ": ";
    head += f.value;
    head += "\r\n";
  }
  if (with_body) {
    head += "Content-Length: ";
    head += std::to_string(content_length);
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

std::string string_member(const Json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) {
    return fallback;
  }
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool true_member(const Json& j, const char* key) {
  if (!j.is_object()) {
    return false;
  }
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

Json definition_diff(const Json& before, const Json& after) {
  Json diff = Json::object();
  for (const auto& [k, v] : after.items()) {
    if (before.value(k, Json()) != v) {
      diff[k] = Json{{"before", before.value(k, Json())}, {"after", v}};
    }
  }
  for (const auto& [k, v] : before.items()) {
    if (!after.contains(k)) {
      diff[k] = Json{{"before", v}, {"after", nullptr}};
    }
  }
  return diff;
}

}  // namespace mcpgate::gateway
