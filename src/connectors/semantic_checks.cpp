#include "connectors/semantic_checks.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string_view>

#include "connectors/json_get.hpp"
#include "connectors/template.hpp"
#include "connectors/url.hpp"
#include "connectors/yaml_json.hpp"
#include "core/ascii.hpp"

namespace mcpgate::connectors {
namespace {

// Hand-written matchers for the name grammars below. Not std::regex: libstdc++'s matcher recurses
// once per input character, so a long name in a hostile definition could exhaust the stack.
bool is_lower_digit_underscore(char c) { return (c >= 'a' && c <= 'z') || ascii::is_digit(c) || c == '_'; }

// [a-z0-9_]+
bool is_tool_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_lower_digit_underscore);
}

// [a-z][a-z0-9_]*
bool is_variable_name(std::string_view s) {
  return !s.empty() && s[0] >= 'a' && s[0] <= 'z' && std::all_of(s.begin(), s.end(), is_lower_digit_underscore);
}

// [a-z0-9]([a-z0-9-]*[a-z0-9])?
bool is_host_label(std::string_view label) {
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || ascii::is_digit(c) || c == '-'; };
  return !label.empty() && label.front() != '-' && label.back() != '-' && std::all_of(label.begin(), label.end(), ok);
}


using Json = nlohmann::json;

std::string lower_copy(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool valid_pointer(const std::string& p) { return p.empty() || p.front() == '/'; }

// The names a tool's templates may use, and what kind of value each argument holds.
struct ToolScope {
  const Json* properties = nullptr;
  std::set<std::string> required;
  std::set<std::string> used;
  std::set<std::string> base_url_vars;
};

std::string arg_type(const ToolScope& s, const std::string& name) {
  const Json& p = (*s.properties)[name];
  if (auto t = p.find("type"); t != p.end() && t->is_string()) {
    return t->get<std::string>();
  }
  return "";
}

class ToolChecker {
 public:
  ToolChecker(const Json& tool, const Json& doc, std::string at, std::vector<Problem>& out)
      : tool_(tool), doc_(doc), at_(std::move(at)), out_(out) {}

  void run() {
    const std::string name = tool_.value("name", "");
    if (!is_tool_name(name)) {
      add("/name", "tool names are lower-case letters, digits and '_'");
    }
    const std::string id = doc_.value("id", "");
    if (id.size() + 1 + name.size() > 64) {
      add("/name", "'" + id + "_" + name + "' is longer than 64 characters (some MCP clients refuse it)");
    }
    check_schemas();
    if (scope_.properties == nullptr) {
      return;
    }
    collect_conn_vars();
    const Json& req = tool_["request"];
    const std::string method = req.value("method", "GET");
    check_annotations(method);
    check_url(req.value("url", ""));
    if (auto q = req.find("query"); q != req.end()) {
      for (const auto& [k, v] : q->items()) {
        if (k.empty()) {
          add("/request/query", "empty query parameter name");
        }
        check_value_template(v.get<std::string>(), "/request/query/" + pointer_token(k), false);
      }
    }
    if (auto h = req.find("headers"); h != req.end()) {
      for (const auto& [k, v] : h->items()) {
        std::string why;
        if (!header_name_allowed(k, why)) {
          add("/request/headers/" + pointer_token(k), why);
        }
        check_value_template(v.get<std::string>(), "/request/headers/" + pointer_token(k), true);
      }
    }
    bool absorbs_all = false;
    if (auto b = req.find("body"); b != req.end()) {
      absorbs_all = check_body(*b, method);
    }
    if (auto r = tool_.find("response"); r != tool_.end()) {
      if (!valid_pointer(r->value("select", ""))) {
        add("/response/select", "must be a JSON pointer (\"\" or starting with '/')");
      }
      if (auto e = r->find("error_when"); e != r->end()) {
        if (!valid_pointer(e->value("pointer", "")) || !valid_pointer(e->value("message", ""))) {
          add("/response/error_when", "pointer and message must be JSON pointers");
        }
      }
    }
    if (!absorbs_all) {
      for (const auto& [k, v] : scope_.properties->items()) {
        if (!scope_.used.count(k)) {
          add("/input_schema/properties/" + pointer_token(k),
              "argument '" + k + "' is not used by the request (it would be silently dropped)");
        }
      }
    }
  }

 private:
  void add(const std::string& rel, std::string message) {
    out_.push_back({at_ + rel, std::move(message)});
  }

  void check_schemas() {
    const Json& in = tool_["input_schema"];
    if (get_string(in, "type") != "object") {
      add("/input_schema", "input_schema must have type: object");
      return;
    }
    if (auto p = in.find("properties"); p != in.end()) {
      if (!p->is_object()) {
        add("/input_schema/properties", "must be an object");
        return;
      }
      scope_.properties = &*p;
    } else {
      static const Json kEmpty = Json::object();
      scope_.properties = &kEmpty;
    }
    if (auto r = in.find("required"); r != in.end() && r->is_array()) {
      for (const auto& n : *r) {
        if (n.is_string()) {
          scope_.required.insert(n.get<std::string>());
        }
      }
    }
    for (const auto& [k, v] : scope_.properties->items()) {
      if (!v.is_object()) {
        add("/input_schema/properties/" + pointer_token(k), "must be a schema object");
      }
      if (is_credential_name(k)) {
        add("/input_schema/properties/" + pointer_token(k),
            "argument '" + k + "' looks like a credential: the gateway injects the token itself");
      }
    }
    if (auto o = tool_.find("output_schema"); o != tool_.end() && get_string(*o, "type") != "object") {
      add("/output_schema", "output_schema must have type: object (MCP structuredContent)");
    }
  }

  void collect_conn_vars() {
    const Json& oauth = doc_.contains("oauth") ? doc_["oauth"] : Json::object();
    if (auto cv = oauth.find("connection_vars"); cv != oauth.end()) {
      for (const auto& v : *cv) {
        if (v.value("base_url", false)) {
          scope_.base_url_vars.insert(v.value("name", ""));
        }
      }
    }
  }

  void check_annotations(const std::string& method) {
    const Json& a = tool_["annotations"];
    const bool ro = a.value("readOnlyHint", false);
    const bool destructive = a.value("destructiveHint", true);
    if (ro && destructive) {
      add("/annotations", "a tool cannot be both readOnlyHint and destructiveHint");
    }
    if (ro && method != "GET" && method != "HEAD") {
      add("/annotations/readOnlyHint", "readOnlyHint needs a GET or HEAD request");
    }
    if (method == "DELETE" && !destructive) {
      add("/annotations/destructiveHint", "a DELETE request is destructive");
    }
    if (tool_.value("idempotency_key", false) && method == "GET") {
      add("/idempotency_key", "Idempotency-Key only matters for non-idempotent methods");
    }
  }

  // A template placeholder that names a tool argument.
  bool check_arg(const std::string& name, const std::string& rel) {
    if (is_credential_name(name)) {
      add(rel, "placeholder '{" + name +
                   "}' names a credential: the token goes only into the Authorization header, "
                   "which the gateway sets");
      return false;
    }
    if (name.rfind("conn.", 0) == 0) {
      add(rel, "'{" + name + "}' may only open the URL template");
      return false;
    }
    if (!scope_.properties->contains(name)) {
      add(rel, "placeholder '{" + name + "}' is not a property of input_schema");
      return false;
    }
    scope_.used.insert(name);
    return true;
  }

  void check_value_template(const std::string& text, const std::string& rel, bool header) {
    auto parts = parse_template(text);
    if (!parts) {
      add(rel, parts.error().message);
      return;
    }
    if (header && text.find_first_of("\r\n") != std::string::npos) {
      add(rel, "header values cannot contain line breaks");
    }
    for (const auto& p : *parts) {
      if (p.placeholder) {
        check_arg(p.text, rel);
      }
    }
  }

  void check_url(const std::string& url) {
    const std::string rel = "/request/url";
    auto parts = parse_template(url);
    if (!parts) {
      add(rel, parts.error().message);
      return;
    }
    if (url.find('?') != std::string::npos || url.find('#') != std::string::npos) {
      add(rel, "put query parameters under request.query (the URL template has no '?' or '#')");
      return;
    }
    // The scheme and host must be literal, or one base-URL connection variable whose value is
    // checked against api.hosts on each call.
    std::string probe;  // the URL with placeholders filled by a harmless segment
    size_t first = 0;
    if (!parts->empty() && parts->front().placeholder) {
      const std::string& n = parts->front().text;
      if (n.rfind("conn.", 0) != 0) {
        add(rel, "the URL must start with https://host/ or a {conn.<var>} base URL");
        return;
      }
      if (!scope_.base_url_vars.count(n.substr(5))) {
        add(rel, "'{" + n + "}' is not a connection variable with base_url: true");
        return;
      }
      if (parts->size() < 2 || parts->at(1).placeholder || parts->at(1).text.front() != '/') {
        add(rel, "a '/' must follow the base URL variable");
        return;
      }
      first = 1;
      const auto& hosts = doc_["api"]["hosts"];
      probe = "https://" + (hosts.empty() ? std::string("x") : hosts[0].get<std::string>());
      if (probe.find("*.") != std::string::npos) {
        probe.replace(probe.find("*."), 2, "x.");
      }
    } else {
      const std::string& lit = parts->empty() ? std::string() : parts->front().text;
      const size_t scheme = lit.find("://");
      if (scheme == std::string::npos || lit.find('/', scheme + 3) == std::string::npos) {
        add(rel, "scheme and host must be literal: https://host/path/{arg}");
        return;
      }
    }
    for (size_t i = first; i < parts->size(); ++i) {
      const auto& p = (*parts)[i];
      if (!p.placeholder) {
        probe += p.text;
        continue;
      }
      if (!check_arg(p.text, rel)) {
        continue;
      }
      probe += "x";
      if (!scope_.required.count(p.text)) {
        add(rel, "path argument '" + p.text + "' must be listed in input_schema.required");
      }
      const std::string t = arg_type(scope_, p.text);
      if (t != "string" && t != "integer") {
        add(rel, "path argument '" + p.text + "' must have type string or integer");
      }
    }
    const Json& api = doc_["api"];
    std::vector<std::string> hosts;
    for (const auto& h : api["hosts"]) {
      hosts.push_back(h.get<std::string>());
    }
    if (auto st = check_url_allowed(probe, hosts, api.value("allow_loopback_http", false)); !st) {
      add(rel, st.error().message);
    }
  }

  // True when the body takes every argument not used elsewhere.
  bool check_body(const Json& b, const std::string& method) {
    const std::string rel = "/request/body";
    if (method == "GET" || method == "HEAD") {
      add(rel, method + " requests have no body");
    }
    const std::string format = b.value("format", "json");
    if (auto f = b.find("fields"); f != b.end()) {
      for (const auto& [k, v] : f->items()) {
        if (is_credential_name(k)) {
          add(rel + "/fields/" + pointer_token(k),
              "body field '" + k + "' looks like a credential: only the Authorization header "
              "carries the token");
        }
        check_value_template(v.get<std::string>(), rel + "/fields/" + pointer_token(k), false);
      }
      return false;
    }
    if (auto a = b.find("from_arg"); a != b.end()) {
      const std::string n = a->get<std::string>();
      if (check_arg(n, rel + "/from_arg")) {
        const std::string t = arg_type(scope_, n);
        if (format == "form" && t != "object") {
          add(rel + "/from_arg", "a form body needs an object argument");
        }
      }
      return false;
    }
    if (b.contains("mime_message")) {
      if (format != "json") {
        add(rel, "mime_message builds a JSON body");
      }
      for (const char* n : {"to", "subject", "text"}) {
        if (!scope_.properties->contains(n) || !scope_.required.count(n)) {
          add("/input_schema", std::string("mime_message needs a required argument '") + n + "'");
        }
      }
      for (const auto& [k, v] : scope_.properties->items()) {
        static const std::set<std::string> kMime = {"to", "cc", "bcc", "subject", "text", "in_reply_to"};
        if (!kMime.count(k) && !scope_.used.count(k)) {
          add("/input_schema/properties/" + pointer_token(k),
              "mime_message uses only to, cc, bcc, subject, text and in_reply_to");
        }
      }
      return true;
    }
    return true;  // remaining_args
  }

  const Json& tool_;
  const Json& doc_;
  std::string at_;
  std::vector<Problem>& out_;
  ToolScope scope_;
};

bool valid_host_entry(const std::string& host) {
  // (\*\.)?label(\.label)*
  std::string_view rest = host;
  if (rest.rfind("*.", 0) == 0) {
    rest.remove_prefix(2);
  }
  for (size_t start = 0;;) {
    const size_t dot = rest.find('.', start);
    if (!is_host_label(rest.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  // "*.com" would allow a whole top-level domain.
  return host.rfind("*.", 0) != 0 || std::count(host.begin(), host.end(), '.') >= 2;
}

void check_oauth_url(const Json& oauth, const char* key, bool loopback_ok,
                     std::vector<Problem>& out) {
  auto it = oauth.find(key);
  if (it == oauth.end()) {
    return;
  }
  const std::string rel = std::string("/oauth/") + key;
  auto parts = parse_url(it->get<std::string>());
  if (!parts) {
    out.push_back({rel, parts.error().message});
  } else if (parts->scheme != "https" && !(loopback_ok && is_loopback_host(parts->host))) {
    out.push_back({rel, "OAuth endpoints must use https"});
  }
}

}  // namespace

bool header_name_allowed(const std::string& name, std::string& why) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), ascii::is_tchar)) {
    why = "'" + name + "' is not a valid header name";
    return false;
  }
  static const std::set<std::string> kOwned = {
      "authorization", "proxy-authorization", "cookie",  "host",           "content-length",
      "transfer-encoding", "connection",      "te",      "upgrade",        "trailer",
      "keep-alive",     "proxy-connection",   "expect",  "idempotency-key", "content-type"};
  if (kOwned.count(lower_copy(name))) {
    why = "header '" + name + "' is set by the gateway, not by a template";
    return false;
  }
  if (is_credential_name(lower_copy(name)) || lower_copy(name).find("api-key") != std::string::npos ||
      lower_copy(name).find("token") != std::string::npos) {
    why = "header '" + name + "' looks like a credential: only Authorization carries the token";
    return false;
  }
  return true;
}

void check_tool(const Json& tool, const Json& doc, const std::string& at,
                std::vector<Problem>& out) {
  ToolChecker(tool, doc, at, out).run();
}

std::vector<Problem> semantic_problems(const Json& doc) {
  std::vector<Problem> out;
  const Json& api = doc["api"];
  const bool loopback = api.value("allow_loopback_http", false);
  for (size_t i = 0; i < api["hosts"].size(); ++i) {
    const std::string h = api["hosts"][i].get<std::string>();
    if (!valid_host_entry(h)) {
      out.push_back({"/api/hosts/" + std::to_string(i),
                     "'" + h + "' is not a lower-case host name or *.domain.tld"});
    } else if (is_loopback_host(h) && !loopback) {
      out.push_back({"/api/hosts/" + std::to_string(i),
                     "loopback hosts need api.allow_loopback_http: true (tests only)"});
    }
  }
  if (auto h = api.find("headers"); h != api.end()) {
    for (const auto& [k, v] : h->items()) {
      std::string why;
      if (!header_name_allowed(k, why)) {
        out.push_back({"/api/headers/" + pointer_token(k), why});
      }
      if (v.get<std::string>().find_first_of("{}\r\n") != std::string::npos) {
        out.push_back({"/api/headers/" + pointer_token(k),
                       "api.headers are constants (no placeholders, no line breaks)"});
      }
    }
  }
  const Json& oauth = doc["oauth"];
  for (const char* k : {"authorize_url", "token_url", "revoke_url", "issuer"}) {
    check_oauth_url(oauth, k, loopback, out);
  }
  for (size_t i = 0; i < oauth["scopes"].size(); ++i) {
    const std::string s = oauth["scopes"][i].get<std::string>();
    if (s.find_first_of(" \t\r\n\",") != std::string::npos) {
      out.push_back({"/oauth/scopes/" + std::to_string(i), "a scope has no spaces, commas or quotes"});
    }
  }
  if (auto p = oauth.find("authorize_params"); p != oauth.end()) {
    static const std::set<std::string> kFlow = {
        "client_id", "client_secret", "redirect_uri", "state", "code_challenge",
        "code_challenge_method", "response_type", "scope", "resource", "nonce"};
    for (const auto& [k, v] : p->items()) {
      if (kFlow.count(k)) {
        out.push_back({"/oauth/authorize_params/" + pointer_token(k),
                       "'" + k + "' is set by the connect flow, not by the definition"});
      }
    }
  }
  if (auto cv = oauth.find("connection_vars"); cv != oauth.end()) {
    std::set<std::string> seen;
    for (size_t i = 0; i < cv->size(); ++i) {
      const Json& v = (*cv)[i];
      const std::string at = "/oauth/connection_vars/" + std::to_string(i);
      const std::string name = v.value("name", "");
      const std::string from = v.value("from_token_response", "");
      if (!is_variable_name(name) || !seen.insert(name).second) {
        out.push_back({at + "/name", "connection variable names are unique, [a-z][a-z0-9_]*"});
      }
      if (is_credential_name(name) || is_credential_name(from) || from == "expires_in" ||
          from == "scope" || from == "token_type") {
        out.push_back({at, "a connection variable cannot hold a token or token metadata"});
      }
    }
  }
  if (auto o = doc.find("openapi"); o != doc.end() && o->contains("server_url")) {
    const auto hosts = api["hosts"].get<std::vector<std::string>>();
    if (auto st = check_url_allowed((*o)["server_url"].get<std::string>(), hosts, loopback); !st) {
      out.push_back({"/openapi/server_url", st.error().message});
    }
  }
  const auto tools = doc.find("tools");  // optional beside `openapi:`
  std::set<std::string> names;
  for (size_t i = 0; tools != doc.end() && i < tools->size(); ++i) {
    const Json& tool = (*tools)[i];
    const std::string at = "/tools/" + std::to_string(i);
    if (!names.insert(tool.value("name", "")).second) {
      out.push_back({at + "/name", "duplicate tool name '" + tool.value("name", "") + "'"});
    }
    check_tool(tool, doc, at, out);
  }
  return out;
}

}  // namespace mcpgate::connectors
