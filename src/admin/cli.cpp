#include "admin/cli.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "admin/operations.hpp"
#include "core/secret.hpp"
#include "http/client.hpp"
#include "mcp/json_io.hpp"
#include "oauth/form.hpp"

namespace mcpgate::admin {
namespace {

constexpr std::size_t kCliMaxPage = 1000;  // the server enforces its own, smaller cap

std::string option_name(std::string_view param) {
  std::string out = "--";
  for (const char c : param) {
    out += c == '_' ? '-' : c;
  }
  return out;
}

// One generated subcommand: the operation and the values its options received (as text).
struct Command {
  const Operation* op = nullptr;
  CLI::App* app = nullptr;
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;
};

Result<Json> typed_value(const Param& p, const std::string& text) {
  switch (p.type) {
    case ParamType::kInteger: {
      std::int64_t n = 0;
      const char* end = text.data() + text.size();
      const auto parsed = std::from_chars(text.data(), end, n);
      if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
        return make_error(ErrorCode::kInvalidArgument, option_name(p.name) + " must be an integer");
      }
      return Json(n);
    }
    case ParamType::kBoolean:
      if (text != "true" && text != "false") {
        return make_error(ErrorCode::kInvalidArgument,
                          option_name(p.name) + " must be true or false");
      }
      return Json(text == "true");
    case ParamType::kObject: {
      auto parsed = mcp::parse_json(text);
      if (!parsed || !parsed->is_object()) {
        return make_error(ErrorCode::kInvalidArgument,
                          option_name(p.name) + " must be a JSON object");
      }
      return std::move(parsed).value();
    }
    default:
      return Json(text);
  }
}

// The arguments the options gave, checked with the server's own validator.
Result<Json> arguments_of(const Command& c) {
  Json args = Json::object();
  for (const auto& p : c.op->params) {
    const std::string name(p.name);
    if (p.type == ParamType::kStringArray) {
      const auto it = c.lists.find(name);
      if (it != c.lists.end() && !it->second.empty()) {
        args[name] = it->second;
      }
      continue;
    }
    const auto it = c.values.find(name);
    if (it == c.values.end() || c.app->count(option_name(p.name)) == 0) {
      continue;
    }
    MCPGATE_ASSIGN_OR_RETURN(args[name], typed_value(p, it->second));
  }
  MCPGATE_TRY(check_arguments(*c.op, args, kCliMaxPage));
  return args;
}

std::string query_text(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// The request for the operation: ids in the path (valid_id() keeps them URL-safe), the rest in
// the query or the JSON body, as the operation declares.
http::ClientRequest request_of(const Operation& op, const Json& args, const std::string& base,
                               const std::string& token) {
  std::string path(op.path);
  for (const auto& p : op.params) {
    if (p.in == ParamIn::kPath) {
      const std::string hole = "{" + std::string(p.name) + "}";
      path.replace(path.find(hole), hole.size(), args.at(std::string(p.name)).get<std::string>());
    }
  }
  std::vector<std::pair<std::string, std::string>> query;
  Json body = Json::object();
  for (const auto& p : op.params) {
    const auto it = args.find(std::string(p.name));
    if (it == args.end()) {
      continue;
    }
    if (p.in == ParamIn::kQuery) {
      query.emplace_back(std::string(p.name), query_text(*it));
    } else if (p.in == ParamIn::kBody) {
      body[std::string(p.name)] = *it;
    }
  }
  http::ClientRequest req;
  req.method = op.method;
  req.url = base + std::string(kApiBase) + path;
  if (!query.empty()) {
    req.url += "?" + oauth::encode_form(query);
  }
  req.headers.emplace_back("Authorization", "Bearer " + token);
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  // The operator names the gate (often loopback or a private network): no address filter.
  req.options.address_policy = http::AddressPolicy::kAny;
  req.options.max_body_bytes = 64 * 1024 * 1024;
  return req;
}

}  // namespace

std::string kebab_case(std::string_view operation_id) {
  std::string out = snake_case(operation_id);
  for (char& c : out) {
    if (c == '_') {
      c = '-';
    }
  }
  return out;
}

struct AdminCommands::State {
  CLI::App* admin = nullptr;
  std::vector<std::unique_ptr<Command>> commands;
  std::string url;
  std::string token_file;
};

AdminCommands::AdminCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.admin = app.add_subcommand(
      "admin", "Call the running gate's Admin API (one command per operation; see --help)");
  s.admin->require_subcommand(1);
  for (const auto& op : operations()) {
    auto cmd = std::make_unique<Command>();
    cmd->op = &op;
    std::string help(op.summary);
    help += " [" + std::string(op.scope) + ", " + std::string(op.permission) + "]";
    cmd->app = s.admin->add_subcommand(kebab_case(op.operation_id), help);
    for (const auto& p : op.params) {
      const std::string name(p.name);
      CLI::Option* o = nullptr;
      if (p.type == ParamType::kStringArray) {
        o = cmd->app->add_option(option_name(p.name), cmd->lists[name], std::string(p.description));
      } else {
        o = cmd->app->add_option(option_name(p.name), cmd->values[name], std::string(p.description));
      }
      if (p.required) {
        o->required();
      }
    }
    cmd->app->add_option("--url", s.url,
                         "Base URL of the gate (default: MCPGATE_URL, else http://127.0.0.1:8080)");
    cmd->app->add_option("--token-file", s.token_file,
                         "File holding an admin access token (default: MCPGATE_ADMIN_TOKEN)");
    s.commands.push_back(std::move(cmd));
  }
}

AdminCommands::~AdminCommands() = default;

bool AdminCommands::parsed() const { return state_->admin->parsed(); }

int AdminCommands::run(std::ostream& out, std::ostream& err) const {
  const State& s = *state_;
  const Command* cmd = nullptr;
  for (const auto& c : s.commands) {
    if (c->app->parsed()) {
      cmd = c.get();
    }
  }
  if (cmd == nullptr) {
    err << "mcpgate admin: no command\n";
    return 2;
  }
  const std::string name = "mcpgate admin " + kebab_case(cmd->op->operation_id);
  auto args = arguments_of(*cmd);
  if (!args) {
    err << name << ": " << args.error().message << "\n";
    return 2;
  }
  std::string token;
  if (!s.token_file.empty()) {
    auto read = read_secret(s.token_file, "", "--token-file");
    if (!read) {
      err << name << ": " << read.error().message << "\n";
      return 2;
    }
    token = std::move(read).value();
  } else if (const char* env = std::getenv("MCPGATE_ADMIN_TOKEN"); env != nullptr) {
    token = env;
  }
  if (token.empty()) {
    err << name << ": no admin token (--token-file or MCPGATE_ADMIN_TOKEN)\n";
    return 2;
  }
  std::string base = s.url;
  if (base.empty()) {
    const char* env = std::getenv("MCPGATE_URL");
    base = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8080";
  }
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  auto res = http::fetch_blocking(request_of(*cmd->op, *args, base, token));
  if (!res) {
    err << name << ": " << base << ": " << res.error().message << "\n";
    return 2;
  }
  const unsigned status = res->status();
  auto body = mcp::parse_json(res->message.body());
  if (status < 200 || status >= 300) {
    err << name << ": HTTP " << status;
    if (body && body->is_object()) {
      err << " " << body->value("error", std::string()) << ": "
          << body->value("error_description", std::string());
    }
    err << "\n";
    return status == 401 ? 2 : 1;
  }
  if (!body) {
    err << name << ": the gate's answer is not JSON\n";
    return 1;
  }
  out << body->dump(2) << "\n";
  return 0;
}

}  // namespace mcpgate::admin
