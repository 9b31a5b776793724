#include "connectors/request_builder.hpp"

#include <set>

#include "connectors/mime_message.hpp"
#include "connectors/template.hpp"
#include "connectors/url.hpp"
#include "mcp/json_io.hpp"
#include "mcp/schema.hpp"

namespace mcpgate::connectors {
namespace {

Error argument_error(std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); }

// A scalar argument as text. (An out-parameter rather than Result<optional<string>>: g++ 12
// at -O3 reports that combination as maybe-uninitialized.)
Status scalar_text(const Json& v, const std::string& name, std::string& out) {
  if (v.is_string()) {
    out = v.get<std::string>();
  } else if (v.is_boolean()) {
    out = v.get<bool>() ? "true" : "false";
  } else if (v.is_number()) {
    out = mcp::dump_json(v);
  } else {
    return argument_error("argument '" + name + "' must be a string, number or boolean here");
  }
  return {};
}

const Json* arg(const Json& args, const std::string& name) {
  auto it = args.find(name);
  return it == args.end() || it->is_null() ? nullptr : &*it;
}

// Fills a multi-part template with scalar arguments into `out`; false when one of them is
// absent (the whole parameter is then left out rather than sent half-filled).
Result<bool> fill(const std::vector<TemplatePart>& parts, const Json& args,
                  std::set<std::string>& used, std::string& out) {
  out.clear();
  for (const auto& p : parts) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    used.insert(p.text);
    const Json* v = arg(args, p.text);
    if (v == nullptr) {
      return false;
    }
    std::string text;
    MCPGATE_TRY(scalar_text(*v, p.text, text));
    out += text;
  }
  return true;
}

Result<std::string> base_url(const std::string& var, const ToolDef& tool,
                             const ConnectionVars& conn) {
  auto it = conn.find(var);
  if (it == conn.end() || it->second.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the connection has no '" + var + "'; reconnect " + tool.connector_id);
  }
  std::string base = it->second;
  // The value came from the provider's token response: it gets the same host rule as a
  // literal URL, and may not carry a query that would merge with ours.
  auto parts = parse_url(base);
  if (!parts || !parts->query.empty() || base.find('?') != std::string::npos) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the connection's '" + var + "' is not a plain URL");
  }
  if (auto st = check_url_allowed(base, tool.api.hosts, tool.api.allow_loopback_http); !st) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the connection's '" + var + "' is refused: " + st.error().message);
  }
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base;
}

Result<std::string> build_url(const ToolDef& tool, const Json& args, const ConnectionVars& conn,
                              std::set<std::string>& used) {
  MCPGATE_ASSIGN_OR_RETURN(const auto parts, parse_template(tool.url));
  std::string url;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    if (!p.placeholder) {
      url += p.text;
      continue;
    }
    if (i == 0 && p.text.rfind("conn.", 0) == 0) {
      MCPGATE_ASSIGN_OR_RETURN(url, base_url(p.text.substr(5), tool, conn));
      continue;
    }
    used.insert(p.text);
    const Json* v = arg(args, p.text);
    if (v == nullptr) {
      return argument_error("missing path argument '" + p.text + "'");
    }
    std::string text;
    MCPGATE_TRY(scalar_text(*v, p.text, text));
    // Percent-encoding keeps '/', '?', '#' and '%' inside the segment; "." and ".." survive
    // encoding as themselves and would be dot-segments, so they are refused.
    if (text.empty() || text == "." || text == "..") {
      return argument_error("path argument '" + p.text + "' must not be empty, '.' or '..'");
    }
    url += percent_encode(text);
  }
  return url;
}

Result<std::string> build_query(const ToolDef& tool, const Json& args,
                                std::set<std::string>& used) {
  std::string q;
  auto add = [&q](const std::string& k, const std::string& v) {
    if (!q.empty()) {
      q += '&';
    }
    q += percent_encode(k);
    q += '=';
    q += percent_encode(v);
  };
  std::string text;
  for (const auto& [name, tmpl] : tool.query) {
    MCPGATE_ASSIGN_OR_RETURN(const auto parts, parse_template(tmpl));
    if (is_single_placeholder(parts)) {
      const std::string& a = parts[0].text;
      used.insert(a);
      const Json* v = arg(args, a);
      if (v == nullptr) {
        continue;
      }
      if (v->is_array()) {  // repeated key: ?label=a&label=b
        for (const auto& item : *v) {
          if (!item.is_null()) {
            MCPGATE_TRY(scalar_text(item, a, text));
            add(name, text);
          }
        }
        continue;
      }
      MCPGATE_TRY(scalar_text(*v, a, text));
      add(name, text);
      continue;
    }
    MCPGATE_ASSIGN_OR_RETURN(const bool present, fill(parts, args, used, text));
    if (present) {
      add(name, text);
    }
  }
  return q;
}

Status add_header(HttpRequest& req, const std::string& name, const std::string& value) {
  if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
    return argument_error("header '" + name + "' cannot contain line breaks");
  }
  req.headers.emplace_back(name, value);
  return {};
}

// JSON body fields; a single-placeholder field keeps the argument's JSON type.
Result<Json> json_fields(const ToolDef& tool, const Json& args) {
  Json body = Json::object();
  std::set<std::string> ignored;
  for (const auto& [name, tmpl] : tool.body.fields) {
    MCPGATE_ASSIGN_OR_RETURN(const auto parts, parse_template(tmpl));
    if (is_single_placeholder(parts)) {
      if (const Json* v = arg(args, parts[0].text)) {
        body[name] = *v;
      }
      continue;
    }
    std::string text;
    MCPGATE_ASSIGN_OR_RETURN(const bool present, fill(parts, args, ignored, text));
    if (present) {
      body[name] = std::move(text);
    }
  }
  return body;
}

Result<std::string> form_body(const Json& fields) {
  std::string out;
  auto add = [&out](const std::string& k, const std::string& v) {
    if (!out.empty()) {
      out += '&';
    }
    out += form_encode(k);
    out += '=';
    out += form_encode(v);
  };
  for (const auto& [k, v] : fields.items()) {
    if (v.is_null()) {
      continue;
    }
    if (v.is_array()) {
      for (const auto& item : v) {
        add(k, item.is_string() ? item.get<std::string>() : mcp::dump_json(item));
      }
    } else {
      // Objects travel as JSON text: what form-only APIs (Slack's `blocks`) expect.
      add(k, v.is_string() ? v.get<std::string>() : mcp::dump_json(v));
    }
  }
  return out;
}

Status build_body(const ToolDef& tool, const Json& args, const std::set<std::string>& used,
                  HttpRequest& req) {
  const BodyDef& b = tool.body;
  if (b.format == BodyFormat::kNone) {
    return {};
  }
  Json fields;
  switch (b.source) {
    case BodySource::kNone:
      return {};
    case BodySource::kFields: {
      MCPGATE_ASSIGN_OR_RETURN(fields, json_fields(tool, args));
      break;
    }
    case BodySource::kRemainingArgs:
      fields = Json::object();
      for (const auto& [k, v] : args.items()) {
        if (!used.count(k)) {
          fields[k] = v;
        }
      }
      break;
    case BodySource::kFromArg: {
      const Json* v = arg(args, b.arg);
      if (v == nullptr) {
        return {};
      }
      fields = *v;
      break;
    }
    case BodySource::kMimeMessage: {
      MCPGATE_ASSIGN_OR_RETURN(const std::string msg, build_mime_message(args));
      fields = Json::object({{b.field, mcp::base64url_encode(msg)}});
      break;
    }
  }
  if (b.format == BodyFormat::kForm) {
    if (!fields.is_object()) {
      return argument_error("a form body needs an object");
    }
    MCPGATE_ASSIGN_OR_RETURN(req.body, form_body(fields));
    return add_header(req, "Content-Type", "application/x-www-form-urlencoded");
  }
  req.body = mcp::dump_json(fields);
  return add_header(req, "Content-Type", "application/json; charset=utf-8");
}

}  // namespace

Result<HttpRequest> build_request(const ToolDef& tool, const Json& arguments,
                                  const ConnectionVars& conn) {
  if (!arguments.is_object() && !arguments.is_null()) {
    return argument_error("arguments must be an object");
  }
  Json args = arguments.is_null() ? Json::object() : arguments;
  mcp::apply_schema_defaults(tool.input_schema, args);
  if (auto st = mcp::validate_json_schema(tool.input_schema, args); !st) {
    return argument_error("invalid arguments: " + st.error().message);
  }
  HttpRequest req;
  req.method = tool.method;
  std::set<std::string> used;
  MCPGATE_ASSIGN_OR_RETURN(req.url, build_url(tool, args, conn, used));
  MCPGATE_ASSIGN_OR_RETURN(const std::string query, build_query(tool, args, used));
  if (!query.empty()) {
    req.url += "?" + query;
  }
  // The last word on where the request goes: whatever the templates produced must still be an
  // https URL on an allowed host.
  if (auto st = check_url_allowed(req.url, tool.api.hosts, tool.api.allow_loopback_http); !st) {
    return make_error(ErrorCode::kFailedPrecondition, "request refused: " + st.error().message);
  }
  for (const auto& [name, value] : tool.api.headers) {
    MCPGATE_TRY(add_header(req, name, value));
  }
  for (const auto& [name, tmpl] : tool.headers) {
    MCPGATE_ASSIGN_OR_RETURN(const auto parts, parse_template(tmpl));
    std::string value;
    MCPGATE_ASSIGN_OR_RETURN(const bool present, fill(parts, args, used, value));
    if (present) {
      MCPGATE_TRY(add_header(req, name, value));
    }
  }
  MCPGATE_TRY(build_body(tool, args, used, req));
  return req;
}

}  // namespace mcpgate::connectors
