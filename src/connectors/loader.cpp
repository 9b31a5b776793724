#include "connectors/loader.hpp"

#include <fstream>
#include <sstream>

#include "connectors/semantic_checks.hpp"
#include "mcp/json_io.hpp"
#include "mcp/schema.hpp"

namespace mcpgate::connectors {
namespace {

constexpr const char* kSchemaText =
#include "connector_schema.inc"
    ;

std::vector<std::pair<std::string, std::string>> string_pairs(const Json& obj) {
  std::vector<std::pair<std::string, std::string>> out;
  if (obj.is_object()) {
    for (const auto& [k, v] : obj.items()) {
      out.emplace_back(k, v.get<std::string>());
    }
  }
  return out;
}

OAuthDef oauth_from_json(const Json& o) {
  OAuthDef d;
  d.authorize_url = o.value("authorize_url", "");
  d.token_url = o.value("token_url", "");
  d.revoke_url = o.value("revoke_url", "");
  d.issuer = o.value("issuer", "");
  d.scopes = o.value("scopes", std::vector<std::string>{});
  if (auto p = o.find("authorize_params"); p != o.end()) {
    for (const auto& [k, v] : p->items()) {
      d.authorize_params[k] = v.get<std::string>();
    }
  }
  const std::string pkce = o.value("pkce", "supported");
  d.pkce = pkce == "required" ? Pkce::kRequired : pkce == "unsupported" ? Pkce::kUnsupported
                                                                         : Pkce::kSupported;
  const std::string auth = o.value("client_auth", "client_secret_basic");
  d.client_auth = auth == "client_secret_post" ? ClientAuth::kClientSecretPost
                  : auth == "none"             ? ClientAuth::kNone
                                               : ClientAuth::kClientSecretBasic;
  d.resource_indicator = o.value("resource_indicator", false);
  if (auto q = o.find("quirks"); q != o.end()) {
    d.quirks.refresh_token_rotated = q->value("refresh_token_rotated", true);
    d.quirks.expires_in_missing = q->value("expires_in_missing", false);
    d.quirks.token_response_form = q->value("token_response_form", false);
    d.quirks.scope_separator = q->value("scope_separator", " ");
  }
  if (auto cv = o.find("connection_vars"); cv != o.end()) {
    for (const auto& v : *cv) {
      d.connection_vars.push_back({v.value("name", ""), v.value("from_token_response", ""),
                                   v.value("base_url", false)});
    }
  }
  return d;
}

BodyDef body_from_json(const Json& b) {
  BodyDef d;
  d.format = b.value("format", "json") == "form" ? BodyFormat::kForm : BodyFormat::kJson;
  if (auto f = b.find("fields"); f != b.end()) {
    d.source = BodySource::kFields;
    d.fields = string_pairs(*f);
  } else if (auto a = b.find("from_arg"); a != b.end()) {
    d.source = BodySource::kFromArg;
    d.arg = a->get<std::string>();
  } else if (auto m = b.find("mime_message"); m != b.end()) {
    d.source = BodySource::kMimeMessage;
    d.field = m->value("field", "raw");
  } else {
    d.source = BodySource::kRemainingArgs;
  }
  return d;
}

ToolDef tool_from_json(const Json& t, const std::string& connector_id, const ApiPolicy& api) {
  ToolDef d;
  d.connector_id = connector_id;
  d.name = t.value("name", "");
  d.title = t.value("title", "");
  d.description = t.value("description", "");
  d.input_schema = t.value("input_schema", Json::object());
  if (auto o = t.find("output_schema"); o != t.end()) {
    d.output_schema = *o;
  }
  const Json& a = t["annotations"];
  d.annotations.read_only = a.value("readOnlyHint", false);
  d.annotations.destructive = a.value("destructiveHint", true);
  d.annotations.idempotent = a.value("idempotentHint", false);
  d.annotations.open_world = a.value("openWorldHint", true);
  d.idempotency_key = t.value("idempotency_key", false);
  const Json& r = t["request"];
  d.method = r.value("method", "GET");
  d.url = r.value("url", "");
  d.query = string_pairs(r.value("query", Json::object()));
  d.headers = string_pairs(r.value("headers", Json::object()));
  if (auto b = r.find("body"); b != r.end()) {
    d.body = body_from_json(*b);
  }
  if (auto resp = t.find("response"); resp != t.end()) {
    d.response.select = resp->value("select", "");
    d.response.max_text_bytes = resp->value("max_text_bytes", d.response.max_text_bytes);
    if (auto e = resp->find("error_when"); e != resp->end()) {
      d.response.error_when = ErrorWhen{e->value("pointer", ""), e->value("equals", Json()),
                                        e->value("message", "")};
    }
  }
  d.api = api;
  return d;
}

}  // namespace

const Json& connector_schema() {
  // The text is ours and compiled in: a parse failure is a build defect, caught by the tests.
  static const Json schema = Json::parse(kSchemaText, nullptr, false);
  return schema;
}

ConnectorDef connector_from_json(const Json& doc) {
  ConnectorDef c;
  c.id = doc.value("id", "");
  c.display_name = doc.value("display_name", "");
  c.docs = doc.value("docs", "");
  c.oauth = oauth_from_json(doc.value("oauth", Json::object()));
  const Json& api = doc["api"];
  c.api.hosts = api.value("hosts", std::vector<std::string>{});
  c.api.allow_loopback_http = api.value("allow_loopback_http", false);
  c.api.headers = string_pairs(api.value("headers", Json::object()));
  for (const auto& t : doc["tools"]) {
    c.tools.push_back(tool_from_json(t, c.id, c.api));
  }
  return c;
}

Result<ConnectorDef> parse_connector(std::string_view yaml_text, std::string_view source,
                                     const YamlLimits& limits) {
  MCPGATE_ASSIGN_OR_RETURN(const SourceJson doc, yaml_to_json(yaml_text, source, limits));
  if (!doc.value.is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(source) + ": a connector definition is a YAML mapping");
  }
  if (auto st = mcp::validate_json_schema(connector_schema(), doc.value); !st) {
    // "<pointer>: why" from the validator; "(root)" is the document itself.
    const std::string& m = st.error().message;
    const size_t sep = m.find(": ");
    std::string pointer = sep == std::string::npos ? "" : m.substr(0, sep);
    if (pointer == "(root)") {
      pointer.clear();
    }
    return make_error(ErrorCode::kInvalidArgument, located(source, doc, pointer, m));
  }
  const auto problems = semantic_problems(doc.value);
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) {
      if (!all.empty()) {
        all += "\n";
      }
      all += located(source, doc, p.pointer, (p.pointer.empty() ? "" : p.pointer + ": ") + p.message);
    }
    return make_error(ErrorCode::kInvalidArgument, all);
  }
  return connector_from_json(doc.value);
}

Result<ConnectorDef> load_connector_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kNotFound, path + ": cannot open");
  }
  const YamlLimits limits;
  std::string text(limits.max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_connector(text, path, limits);
}

}  // namespace mcpgate::connectors
