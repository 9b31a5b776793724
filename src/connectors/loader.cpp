#include "connectors/loader.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "connectors/openapi_import.hpp"
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

OpenApiSourceDef openapi_source_from_json(const Json& o) {
  OpenApiSourceDef d;
  d.file = o.value("file", "");
  d.server_url = o.value("server_url", "");
  d.include = o.value("include", std::vector<std::string>{});
  d.exclude = o.value("exclude", std::vector<std::string>{});
  d.include_tags = o.value("include_tags", std::vector<std::string>{});
  d.exclude_tags = o.value("exclude_tags", std::vector<std::string>{});
  return d;
}

// A definition's `openapi:` document imported under its id, OAuth settings and API policy; the
// tools appended to the hand-written ones. Every error names a line of the definition (and,
// for problems inside the document, the document's own line).
Status add_openapi_tools(ConnectorDef& def, const SourceJson& doc, std::string_view source,
                         const OpenApiReader& read_openapi) {
  const OpenApiSourceDef& src = *def.openapi;
  auto fail = [&](const std::string& pointer, const std::string& message) {
    return make_error(ErrorCode::kInvalidArgument,
                      located(source, doc, pointer, pointer + ": " + message));
  };
  auto document = read_openapi(src.file);
  if (!document) {
    return fail("/openapi/file", document.error().message);
  }
  OpenApiImportOptions options;
  options.connector_id = def.id;
  options.server_url = src.server_url;
  options.include_operations = src.include;
  options.exclude_operations = src.exclude;
  options.include_tags = src.include_tags;
  options.exclude_tags = src.exclude_tags;
  options.hosts = def.api.hosts;
  options.allow_loopback_http = def.api.allow_loopback_http;
  options.headers = def.api.headers;
  auto imported = import_openapi_text(document->text, document->path, options);
  if (!imported) {
    return fail("/openapi/file", imported.error().message);
  }
  // A selector that matches nothing is a typo or a document that changed: say so rather than
  // quietly serving a different tool set.
  const std::pair<const char*, const std::vector<std::string>*> selectors[] = {
      {"include", &src.include}, {"exclude", &src.exclude},
      {"include_tags", &src.include_tags}, {"exclude_tags", &src.exclude_tags}};
  for (const auto& [key, list] : selectors) {
    const bool tags = std::string_view(key).ends_with("_tags");
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string& name = (*list)[i];
      if (!(tags ? imported->tags : imported->operation_ids).count(name)) {
        return fail("/openapi/" + std::string(key) + "/" + std::to_string(i),
                    document->path + " has no " + (tags ? "tag" : "operationId") + " '" + name +
                        "'");
      }
    }
  }
  if (imported->tools.empty()) {
    return fail("/openapi", document->path + ": no operation was imported" +
                                (imported->warnings.empty() ? std::string(" (check the selectors)")
                                                            : " (" + imported->warnings[0] + ")"));
  }
  std::set<std::string> names;
  for (const auto& t : def.tools) {
    names.insert(t.name);
  }
  for (auto& t : imported->tools) {
    if (!names.insert(t.name).second) {
      return fail("/openapi", "the imported tool '" + t.name +
                                  "' has the name of a tool in `tools:` (exclude the operation "
                                  "or rename the hand-written tool)");
    }
  }
  constexpr size_t kMaxTools = 500;  // the schema's cap on `tools:`
  if (def.tools.size() + imported->tools.size() > kMaxTools) {
    return fail("/openapi", "more than " + std::to_string(kMaxTools) +
                                " tools (narrow the import with include or exclude)");
  }
  def.imported_tools = imported->tools.size();
  for (auto& t : imported->tools) {
    def.tools.push_back(std::move(t));
  }
  for (auto& w : imported->warnings) {
    def.warnings.push_back(document->path + ": " + w);
  }
  return {};
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
  if (auto tools = doc.find("tools"); tools != doc.end()) {
    for (const auto& t : *tools) {
      c.tools.push_back(tool_from_json(t, c.id, c.api));
    }
  }
  if (auto o = doc.find("openapi"); o != doc.end()) {
    c.openapi = openapi_source_from_json(*o);
  }
  return c;
}

Result<ConnectorDef> parse_connector(std::string_view yaml_text, std::string_view source,
                                     const YamlLimits& limits, const OpenApiReader& read_openapi) {
  MCPGATE_ASSIGN_OR_RETURN(const SourceJson doc, yaml_to_json(yaml_text, source, limits));
  if (!doc.value.is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(source) + ": a connector definition is a YAML mapping");
  }
  if (!doc.value.contains("tools") && !doc.value.contains("openapi")) {
    return make_error(ErrorCode::kInvalidArgument,
                      located(source, doc, "", "a connector definition needs `tools:`, `openapi:` "
                                               "(tools imported from an OpenAPI document) or both"));
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
  ConnectorDef def = connector_from_json(doc.value);
  if (def.openapi && read_openapi) {
    MCPGATE_TRY(add_openapi_tools(def, doc, source, read_openapi));
  }
  return def;
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
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  const OpenApiReader read_openapi = [&folder](const std::string& file) -> Result<OpenApiDocument> {
    const std::filesystem::path p(file);
    OpenApiDocument doc;
    doc.path = (p.is_absolute() ? p : folder / p).lexically_normal().string();
    std::ifstream f(doc.path, std::ios::binary);
    if (!f) {
      return make_error(ErrorCode::kNotFound, "cannot open " + doc.path);
    }
    doc.text.assign(kMaxOpenApiBytes + 1, '\0');
    f.read(doc.text.data(), static_cast<std::streamsize>(doc.text.size()));
    doc.text.resize(static_cast<size_t>(f.gcount()));
    if (doc.text.size() > kMaxOpenApiBytes) {
      return make_error(ErrorCode::kInvalidArgument,
                        doc.path + " is larger than " + std::to_string(kMaxOpenApiBytes) + " bytes");
    }
    return doc;
  };
  return parse_connector(text, path, limits, read_openapi);
}

}  // namespace mcpgate::connectors
