#include "connectors/openapi_import.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "connectors/json_get.hpp"
#include "connectors/loader.hpp"
#include "connectors/semantic_checks.hpp"
#include "connectors/url.hpp"
#include "connectors/yaml_json.hpp"

namespace mcpgate::connectors {
namespace {

constexpr size_t kMaxRefDepth = 64;
constexpr size_t kMaxDescription = 4096;
constexpr size_t kTotalBudgetFactor = 20;

Error openapi_error(std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); }

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Inlines local $refs. A ref already being expanded on the current path is a cycle; the total
// number of nodes produced is capped so a "billion laughs" of refs stays small.
class RefResolver {
 public:
  // `total` counts across every operation of the document (a thousand operations each just
  // under the per-operation cap must not add up to gigabytes).
  RefResolver(const Json& root, size_t budget, size_t& total)
      : root_(root), budget_(budget), total_(total) {}

  Result<Json> resolve(const Json& node) {
    std::vector<std::string> stack;
    return walk(node, stack, 0);
  }

 private:
  Result<Json> walk(const Json& node, std::vector<std::string>& stack, size_t depth) {
    if (++nodes_ > budget_) {
      return openapi_error("schemas expand to more than " + std::to_string(budget_) + " nodes");
    }
    if (++total_ > budget_ * kTotalBudgetFactor) {
      return openapi_error("the document's schemas expand to more than " +
                 std::to_string(budget_ * kTotalBudgetFactor) + " nodes");
    }
    if (depth > kMaxRefDepth) {
      return openapi_error("schema nesting deeper than " + std::to_string(kMaxRefDepth));
    }
    if (node.is_array()) {
      Json out = Json::array();
      for (const auto& item : node) {
        MCPGATE_ASSIGN_OR_RETURN(Json v, walk(item, stack, depth + 1));
        out.push_back(std::move(v));
      }
      return out;
    }
    if (!node.is_object()) {
      return node;
    }
    if (auto r = node.find("$ref"); r != node.end() && r->is_string()) {
      const std::string ref = r->get<std::string>();
      if (ref.rfind("#/", 0) != 0) {
        return openapi_error("only local $refs (#/...) are supported: " + ref);
      }
      if (contains(stack, ref)) {
        std::string chain;
        for (const auto& s : stack) {
          chain += s + " -> ";
        }
        return openapi_error("cyclic $ref: " + chain + ref);
      }
      const Json* target = nullptr;
      try {
        const Json::json_pointer p(ref.substr(1));
        if (root_.contains(p)) {
          target = &root_.at(p);
        }
      } catch (const Json::exception&) {
      }
      if (target == nullptr) {
        return openapi_error("unresolvable $ref " + ref);
      }
      stack.push_back(ref);
      auto resolved = walk(*target, stack, depth + 1);
      stack.pop_back();
      if (!resolved) {
        return resolved;
      }
      Json out = std::move(resolved).value();
      // OpenAPI 3.1 allows siblings of $ref (description, ...): they refine the target.
      for (const auto& [k, v] : node.items()) {
        if (k != "$ref" && out.is_object()) {
          MCPGATE_ASSIGN_OR_RETURN(out[k], walk(v, stack, depth + 1));
        }
      }
      return out;
    }
    Json out = Json::object();
    for (const auto& [k, v] : node.items()) {
      // Examples are documentation and can be large; they are not part of validation.
      if (k == "example" || k == "examples" || k == "xml") {
        continue;
      }
      MCPGATE_ASSIGN_OR_RETURN(out[k], walk(v, stack, depth + 1));
    }
    return out;
  }

  const Json& root_;
  size_t budget_;
  size_t& total_;
  size_t nodes_ = 0;
};

// A template placeholder name for a parameter (letters, digits, '_').
std::string arg_name(const std::string& param) {
  std::string out;
  for (unsigned char c : param) {
    out += std::isalnum(c) != 0 || c == '_' ? static_cast<char>(c) : '_';
  }
  return out.empty() ? "arg" : out;
}

std::string generated_name(const std::string& method, const std::string& path) {
  std::string name = method;
  std::vector<std::string> by;
  size_t i = 0;
  while (i < path.size()) {
    const size_t j = path.find('/', i);
    const std::string seg = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      by.push_back(snake_case_name(seg.substr(1, seg.size() - 2)));
    } else if (!seg.empty()) {
      name += "_" + seg;
    }
    if (j == std::string::npos) {
      break;
    }
    i = j + 1;
  }
  for (size_t k = 0; k < by.size(); ++k) {
    name += (k == 0 ? "_by_" : "_and_") + by[k];
  }
  return snake_case_name(name);
}

struct Param {
  std::string name;  // on the wire
  std::string in;    // path | query | header
  std::string arg;   // the tool argument
  bool required = false;
  Json schema;
};

class Importer {
 public:
  Importer(const Json& spec, const OpenApiImportOptions& options)
      : spec_(spec), opt_(options) {}

  // On failure `error_pointer` names the part of the document at fault ("" = the whole).
  Result<OpenApiImport> run(std::string& error_pointer) {
    const std::string version = get_string(spec_, "openapi");
    if (version.rfind("3.0", 0) != 0 && version.rfind("3.1", 0) != 0) {
      error_pointer = "/openapi";
      return openapi_error("not an OpenAPI 3.0 or 3.1 document (openapi: '" + version + "')");
    }
    if (auto st = pick_server(); !st) {
      error_pointer = opt_.server_url.empty() ? "/servers" : "";
      return st.error();
    }
    collect_security_params();
    auto paths = spec_.find("paths");
    if (paths == spec_.end() || !paths->is_object()) {
      return openapi_error("the document has no paths");
    }
    for (const auto& [path, item] : paths->items()) {
      if (!item.is_object()) {
        continue;
      }
      for (const char* method : {"get", "put", "post", "delete", "patch", "head"}) {
        if (auto op = item.find(method); op != item.end() && op->is_object()) {
          current_pointer_ = "/paths/" + pointer_token(path) + "/" + method;
          if (auto st = operation(path, item, method, *op); !st) {
            error_pointer = current_pointer_;
            return st.error();
          }
        }
      }
    }
    return finish(error_pointer);
  }

 private:
  Status pick_server() {
    std::string url = opt_.server_url;
    if (url.empty()) {
      auto servers = spec_.find("servers");
      if (servers == spec_.end() || !servers->is_array() || servers->empty() ||
          !(*servers)[0].is_object()) {
        return openapi_error("the document has no servers[0]; pass a server URL");
      }
      const Json& s = (*servers)[0];
      url = get_string(s, "url");
      // Server variables take their defaults.
      if (auto vars = s.find("variables"); vars != s.end() && vars->is_object()) {
        for (const auto& [k, v] : vars->items()) {
          const std::string token = "{" + k + "}";
          const std::string value = v.is_object() ? get_string(v, "default") : "";
          for (size_t at = url.find(token); at != std::string::npos; at = url.find(token)) {
            url.replace(at, token.size(), value);
          }
        }
      }
    }
    while (!url.empty() && url.back() == '/') {
      url.pop_back();
    }
    auto parts = parse_url(url);
    if (!parts) {
      return openapi_error("server URL '" + url + "': " + parts.error().message +
                 " (a relative server URL needs an override)");
    }
    if (!parts->query.empty() || url.find_first_of("{}") != std::string::npos) {
      return openapi_error("server URL '" + url + "' has a query or an unresolved variable");
    }
    server_ = url;
    hosts_ = opt_.hosts.empty() ? std::vector<std::string>{parts->host} : opt_.hosts;
    return {};
  }

  // apiKey security schemes: their parameters are credentials, never tool arguments.
  void collect_security_params() {
    const Json* schemes = nullptr;
    try {
      const Json::json_pointer p("/components/securitySchemes");
      if (spec_.contains(p) && spec_.at(p).is_object()) {
        schemes = &spec_.at(p);
      }
    } catch (const Json::exception&) {
    }
    if (schemes == nullptr) {
      return;
    }
    for (const auto& [k, s] : schemes->items()) {
      if (s.is_object() && get_string(s, "type") == "apiKey") {
        security_params_.insert(get_string(s, "in") + ":" + get_string(s, "name"));
      }
    }
  }

  bool selected(const std::string& op_id, const std::set<std::string>& tags) const {
    auto tagged = [&tags](const std::vector<std::string>& list) {
      return std::any_of(list.begin(), list.end(), [&tags](const auto& t) { return tags.count(t); });
    };
    if (contains(opt_.exclude_operations, op_id) || tagged(opt_.exclude_tags)) {
      return false;
    }
    if (opt_.include_operations.empty() && opt_.include_tags.empty()) {
      return true;
    }
    return contains(opt_.include_operations, op_id) || tagged(opt_.include_tags);
  }

  Status operation(const std::string& path, const Json& item, const std::string& method,
                   const Json& op) {
    const std::string op_id = get_string(op, "operationId");
    std::set<std::string> tags;
    if (auto t = op.find("tags"); t != op.end() && t->is_array()) {
      for (const auto& tag : *t) {
        if (tag.is_string()) {
          tags.insert(tag.get<std::string>());
        }
      }
    }
    if (!op_id.empty()) {
      operation_ids_.insert(op_id);
    }
    all_tags_.insert(tags.begin(), tags.end());
    if (!selected(op_id, tags)) {
      return {};
    }
    const std::string where = op_id.empty() ? method + " " + path : op_id;
    RefResolver refs(spec_, opt_.max_schema_nodes, total_nodes_);
    auto fail = [&where](const Error& e) { return openapi_error(where + ": " + e.message); };

    // Path-level parameters, then the operation's, which override by (in, name).
    std::map<std::string, Json> raw;
    std::vector<std::string> order;
    for (const Json* list : {item.contains("parameters") ? &item["parameters"] : nullptr,
                             op.contains("parameters") ? &op["parameters"] : nullptr}) {
      if (list == nullptr || !list->is_array()) {
        continue;
      }
      for (const auto& p : *list) {
        auto resolved = refs.resolve(p);
        if (!resolved) {
          return fail(resolved.error());
        }
        const Json& r = *resolved;
        if (!r.is_object()) {
          continue;
        }
        const std::string key = get_string(r, "in") + ":" + get_string(r, "name");
        if (!raw.count(key)) {
          order.push_back(key);
        }
        raw[key] = r;
      }
    }
    std::vector<Param> params;
    std::set<std::string> arg_names;
    for (const auto& key : order) {
      const Json& r = raw[key];
      Param p{get_string(r, "name"), get_string(r, "in"), "", get_bool(r, "required", false),
              (r.contains("schema") ? r["schema"] : Json::object())};
      if (p.in == "path") {
        p.required = true;
      }
      if (security_params_.count(key) || (p.in == "header" && (p.name == "Authorization" ||
                                                                p.name == "authorization"))) {
        continue;  // a credential: injected by the gateway
      }
      std::string why;
      if (p.in == "cookie" || (p.in == "header" && !header_name_allowed(p.name, why))) {
        if (p.required) {
          warnings_.push_back(where + ": skipped (required " + p.in + " parameter '" + p.name +
                              "' is not supported)");
          return {};
        }
        warnings_.push_back(where + ": parameter '" + p.name + "' (" + p.in + ") left out");
        continue;
      }
      if (p.in != "path" && p.in != "query" && p.in != "header") {
        continue;
      }
      if (r.contains("description") && r["description"].is_string() && p.schema.is_object()) {
        p.schema.emplace("description", r["description"]);
      }
      p.arg = arg_name(p.name);
      if (!arg_names.insert(p.arg).second) {
        p.arg += "_" + p.in;
        arg_names.insert(p.arg);
      }
      params.push_back(std::move(p));
    }

    Json tool = {{"description", description(op, where)}};
    Json properties = Json::object();
    Json required = Json::array();
    Json request = {{"method", upper(method)}};
    std::string url_path = path;
    for (const auto& p : params) {
      properties[p.arg] = p.schema;
      if (p.required) {
        required.push_back(p.arg);
      }
      if (p.in == "path") {
        const std::string token = "{" + p.name + "}";
        const size_t at = url_path.find(token);
        if (at == std::string::npos) {
          return openapi_error(where + ": path parameter '" + p.name + "' is not in the path");
        }
        url_path.replace(at, token.size(), "{" + p.arg + "}");
      } else if (p.in == "query") {
        request["query"][p.name] = "{" + p.arg + "}";
      } else {
        request["headers"][p.name] = "{" + p.arg + "}";
      }
    }
    request["url"] = server_ + url_path;

    if (auto rb = op.find("requestBody"); rb != op.end()) {
      auto resolved = refs.resolve(*rb);
      if (!resolved) {
        return fail(resolved.error());
      }
      if (!body(*resolved, where, arg_names, properties, required, request)) {
        return {};
      }
    }
    Json schema = {{"type", "object"}, {"properties", properties}};
    if (!required.empty()) {
      schema["required"] = required;
    }
    tool["input_schema"] = schema;
    tool["request"] = request;
    tool["annotations"] = annotations(method);
    tool["name"] = unique_name(op_id.empty() ? generated_name(method, path)
                                             : snake_case_name(op_id),
                               method, path);
    tools_.push_back(std::move(tool));
    tool_pointers_.push_back(current_pointer_);
    return {};
  }

  // False when the operation is skipped (a warning says why).
  bool body(const Json& rb, const std::string& where, const std::set<std::string>& arg_names,
            Json& properties, Json& required, Json& request) {
    const Json content = get_object(rb, "content");
    std::string format;
    Json schema;
    for (const auto& [type, media] : content.items()) {
      const std::string t = type.substr(0, type.find(';'));
      const bool json = t == "application/json" ||
                        (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0);
      if (json || (format.empty() && t == "application/x-www-form-urlencoded")) {
        format = json ? "json" : "form";
        schema = media.is_object() && media.contains("schema") ? media["schema"] : Json::object();
        if (json) {
          break;
        }
      }
    }
    if (format.empty()) {
      warnings_.push_back(where + ": skipped (no JSON or form request body)");
      return false;
    }
    const bool body_required = get_bool(rb, "required", false);
    // Flatten the body's properties into the arguments when every name is free and usable as
    // a placeholder; otherwise the body is one `body` argument.
    bool flat = schema.is_object() && get_string(schema, "type", "object") == "object" &&
                schema.contains("properties") && schema["properties"].is_object() &&
                !schema["properties"].empty() && !schema.contains("allOf") &&
                !schema.contains("oneOf") && !schema.contains("anyOf");
    if (flat) {
      for (const auto& [k, v] : schema["properties"].items()) {
        if (arg_names.count(k) || arg_name(k) != k) {
          flat = false;
        }
      }
    }
    Json b = {{"format", format}};
    if (flat) {
      std::set<std::string> body_required_names;
      if (auto r = schema.find("required"); r != schema.end() && r->is_array()) {
        for (const auto& n : *r) {
          if (n.is_string()) {
            body_required_names.insert(n.get<std::string>());
          }
        }
      }
      for (const auto& [k, v] : schema["properties"].items()) {
        properties[k] = v;
        b["fields"][k] = "{" + k + "}";
        if (body_required && body_required_names.count(k)) {
          required.push_back(k);
        }
      }
    } else {
      const std::string name = arg_names.count("body") ? "request_body" : "body";
      properties[name] = schema;
      b["from_arg"] = name;
      if (body_required) {
        required.push_back(name);
      }
    }
    request["body"] = b;
    return true;
  }

  static std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
  }

  static std::string description(const Json& op, const std::string& where) {
    std::string d = get_string(op, "description");
    if (d.empty()) {
      d = get_string(op, "summary", where);
    }
    if (d.size() > kMaxDescription) {
      d.resize(kMaxDescription);
      while (!d.empty() && (static_cast<unsigned char>(d.back()) & 0xC0) == 0x80) {
        d.pop_back();
      }
      if (!d.empty() && static_cast<unsigned char>(d.back()) >= 0xC0) {
        d.pop_back();
      }
    }
    return d.empty() ? where : d;
  }

  // RFC 9110 semantics: GET/HEAD read; PUT/DELETE are idempotent; DELETE, PUT and PATCH may
  // overwrite or remove data; POST creates.
  static Json annotations(const std::string& method) {
    const bool read = method == "get" || method == "head";
    return {{"readOnlyHint", read},
            {"destructiveHint", method == "delete" || method == "put" || method == "patch"},
            {"idempotentHint", read || method == "put" || method == "delete"},
            {"openWorldHint", true}};
  }

  std::string unique_name(std::string name, const std::string& method, const std::string& path) {
    if (name.empty()) {
      name = generated_name(method, path);
    }
    if (name.empty()) {
      name = method;
    }
    const size_t room = 64 - std::min<size_t>(63, opt_.connector_id.size() + 1);
    std::string base = name.substr(0, room);
    std::string candidate = base;
    for (int n = 2; used_names_.count(candidate); ++n) {
      // Appended rather than `"_" + std::to_string(n)`: g++ 12 at -O3 reports a false
      // -Wrestrict on that operator+ (GCC PR 105651), an error under -Werror.
      std::string suffix(1, '_');
      suffix += std::to_string(n);
      candidate = base.substr(0, room - std::min(room, suffix.size())) + suffix;
    }
    used_names_.insert(candidate);
    return candidate;
  }

  Result<OpenApiImport> finish(std::string& error_pointer) {
    Json doc = {{"id", opt_.connector_id},
                {"api", {{"hosts", hosts_}, {"allow_loopback_http", opt_.allow_loopback_http}}},
                {"oauth", Json::object()},
                {"tools", tools_}};
    for (const auto& [k, v] : opt_.headers) {
      doc["api"]["headers"][k] = v;
    }
    std::vector<Problem> problems;
    for (size_t i = 0; i < tools_.size(); ++i) {
      check_tool(tools_[i], doc, "/tools/" + std::to_string(i), problems);
    }
    if (!problems.empty()) {
      const size_t index = std::stoul(problems[0].pointer.substr(7));
      error_pointer = tool_pointers_[index];
      return openapi_error(get_string(tools_[index], "name") + ": " + problems[0].message);
    }
    OpenApiImport out;
    if (!tools_.empty()) {
      out.tools = connector_from_json(doc).tools;
    }
    out.warnings = std::move(warnings_);
    out.operation_ids = std::move(operation_ids_);
    out.tags = std::move(all_tags_);
    return out;
  }

  const Json& spec_;
  const OpenApiImportOptions& opt_;
  std::string server_;
  std::vector<std::string> hosts_;
  std::set<std::string> security_params_;
  std::set<std::string> used_names_;
  size_t total_nodes_ = 0;
  Json tools_ = Json::array();
  std::vector<std::string> tool_pointers_;  // the operation of each tool, for error lines
  std::string current_pointer_;
  std::set<std::string> operation_ids_;
  std::set<std::string> all_tags_;
  std::vector<std::string> warnings_;
};

Result<OpenApiImport> import_openapi_at(const Json& spec, const OpenApiImportOptions& options,
                                        std::string& error_pointer) {
  if (!spec.is_object()) {
    return openapi_error("an OpenAPI document is an object");
  }
  return Importer(spec, options).run(error_pointer);
}

}  // namespace

std::string snake_case_name(std::string_view id) {
  std::string out;
  for (size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (std::isupper(c) != 0) {
      const bool after_lower =
          i > 0 && (std::islower(static_cast<unsigned char>(id[i - 1])) != 0 ||
                    std::isdigit(static_cast<unsigned char>(id[i - 1])) != 0);
      const bool before_lower =
          i > 0 && i + 1 < id.size() && std::isupper(static_cast<unsigned char>(id[i - 1])) != 0 &&
          std::islower(static_cast<unsigned char>(id[i + 1])) != 0;
      if (after_lower || before_lower) {
        out += '_';
      }
      out += static_cast<char>(std::tolower(c));
    } else if (std::islower(c) != 0 || std::isdigit(c) != 0) {
      out += static_cast<char>(c);
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') {
    out.pop_back();
  }
  size_t start = 0;
  while (start < out.size() && out[start] == '_') {
    ++start;
  }
  return out.substr(start);
}

Result<OpenApiImport> import_openapi(const Json& spec, const OpenApiImportOptions& options) {
  std::string unused;
  return import_openapi_at(spec, options, unused);
}

Result<OpenApiImport> import_openapi_text(std::string_view text, std::string_view source,
                                          const OpenApiImportOptions& options) {
  YamlLimits limits;
  limits.max_bytes = 8 * 1024 * 1024;
  limits.max_nodes = 500'000;
  MCPGATE_ASSIGN_OR_RETURN(const SourceJson doc, yaml_to_json(text, source, limits));
  std::string at;
  auto out = import_openapi_at(doc.value, options, at);
  if (!out) {
    return openapi_error(located(source, doc, at, out.error().message));
  }
  return out;
}

}  // namespace mcpgate::connectors
