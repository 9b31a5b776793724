#include "admin/operations.hpp"

#include "core/ascii.hpp"

namespace mcpgate::admin {

using http::bhttp::verb;

namespace {

// Every paged operation takes these two (the limit's maximum is the configured page size).
void add_paging(Operation& op) {
  Param limit;
  limit.name = "limit";
  limit.in = ParamIn::kQuery;
  limit.type = ParamType::kInteger;
  limit.min = 1;
  limit.max = 0;  // 0: the configured max_page_size
  limit.description = "Page size (default: the configured default page size)";
  op.params.push_back(limit);
  Param cursor;
  cursor.name = "cursor";
  cursor.in = ParamIn::kQuery;
  cursor.type = ParamType::kString;
  cursor.max_length = 512;
  cursor.description = "The previous page's next_cursor";
  op.params.push_back(cursor);
}

std::vector<Operation> build_operations() {
  // Permissions name what the call does, not who may do it: the model decides which roles
  // (admin, helpdesk, auditor, ...) carry each one (examples/demo-policy.fga).
  const Param user_id = path_param("user_id", "A user of the caller's organization");
  std::vector<Operation> ops = {
      {"listUsers", verb::get, "/users", kReadScope, "can_read_users",
       "List the users of the caller's organization", "UserList", {}, true, false},
      {"getUser", verb::get, "/users/{user_id}", kReadScope, "can_read_users",
       "One user of the caller's organization", "User", {user_id}, false, false},
      {"deactivateUser", verb::post, "/users/{user_id}/deactivate", kWriteScope,
       "can_manage_users",
       "Deactivate a user: sessions, grants and live tokens are revoked on every replica",
       "DeactivateResult", {user_id, reason_param()}, false, true},
      {"reactivateUser", verb::post, "/users/{user_id}/reactivate", kWriteScope,
       "can_manage_users",
       "Reactivate a user (revoked grants stay revoked: the user signs in again)",
       "ReactivateResult", {user_id, reason_param()}, false, false},
      {"listUserGrants", verb::get, "/users/{user_id}/grants", kReadScope, "can_read_grants",
       "The user's live grants (connected agents)", "GrantList", {user_id}, true, false},
      {"revokeUserGrant", verb::delete_, "/users/{user_id}/grants/{grant_id}", kWriteScope,
       "can_revoke_grants", "Revoke one grant with its refresh tokens and live access tokens",
       "RevokeResult", {user_id, path_param("grant_id", "One of the user's grants")}, false, true},
      {"listClients", verb::get, "/clients", kReadScope, "can_read_clients",
       "The registered OAuth clients (static, DCR, CIMD) and their metadata", "ClientList", {},
       true, false, true},
  };
  for (auto&& area : {policy_operations(), runtime_operations(), identity_operations(),
                      insight_operations()}) {
    ops.insert(ops.end(), area.begin(), area.end());
  }
  for (auto& op : ops) {
    if (op.paged) {
      add_paging(op);
    }
  }
  return ops;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// A string of at most max_length bytes without control characters; text (kText) may also span
// lines: tabs and line breaks are allowed there.
bool clean_string(const Json& v, std::size_t max_length, bool text = false) {
  if (!v.is_string()) {
    return false;
  }
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max_length) {
    return false;
  }
  for (const char c : s) {
    if (is_control(c) && !(text && (c == '\n' || c == '\r' || c == '\t'))) {
      return false;
    }
  }
  return true;
}

std::string describe_type(const Param& p, std::size_t max_page_size) {
  switch (p.type) {
    case ParamType::kId:
      return "an identifier (1 to 128 of A-Z a-z 0-9 -._~@+=)";
    case ParamType::kString:
      if (!p.one_of.empty()) {
        std::string out = "one of";
        for (const auto v : p.one_of) {
          out += ' ';
          out += v;
        }
        return out;
      }
      return "a string of at most " + std::to_string(p.max_length) + " bytes";
    case ParamType::kInteger:
      return "an integer from " + std::to_string(p.min) + " to " +
             std::to_string(p.max == 0 ? static_cast<std::int64_t>(max_page_size) : p.max);
    case ParamType::kBoolean:
      return "a boolean";
    case ParamType::kStringArray:
      return "an array of at most " + std::to_string(p.max_items) + " strings";
    case ParamType::kObject:
      return "a JSON object";
    case ParamType::kText:
      return "a text of at most " + std::to_string(p.max_length) + " bytes";
    case ParamType::kObjectArray:
      return "an array of at most " + std::to_string(p.max_items) + " JSON objects";
  }
  return "?";
}

bool value_fits(const Param& p, const Json& v, std::size_t max_page_size) {
  switch (p.type) {
    case ParamType::kId:
      return v.is_string() && valid_id(v.get_ref<const std::string&>());
    case ParamType::kString: {
      if (!clean_string(v, p.max_length)) {
        return false;
      }
      if (p.one_of.empty()) {
        return true;
      }
      for (const auto allowed : p.one_of) {
        if (v.get_ref<const std::string&>() == allowed) {
          return true;
        }
      }
      return false;
    }
    case ParamType::kInteger: {
      if (!v.is_number_integer()) {
        return false;
      }
      const auto n = v.get<std::int64_t>();
      const std::int64_t max = p.max == 0 ? static_cast<std::int64_t>(max_page_size) : p.max;
      return n >= p.min && n <= max;
    }
    case ParamType::kBoolean:
      return v.is_boolean();
    case ParamType::kStringArray: {
      if (!v.is_array() || v.size() > p.max_items) {
        return false;
      }
      for (const auto& item : v) {
        if (!clean_string(item, p.max_length)) {
          return false;
        }
      }
      return true;
    }
    case ParamType::kObject:
      return v.is_object() && v.dump().size() <= p.max_length;
    case ParamType::kText:
      return clean_string(v, p.max_length, true);
    case ParamType::kObjectArray: {
      if (!v.is_array() || v.size() > p.max_items) {
        return false;
      }
      for (const auto& item : v) {
        if (!item.is_object()) {
          return false;
        }
      }
      return v.dump().size() <= p.max_length;
    }
  }
  return false;
}

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') {
    return out;
  }
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return out;
    }
    path.remove_prefix(slash + 1);
  }
}

std::string_view method_name(verb m) {
  switch (m) {
    case verb::get:
      return "GET";
    case verb::post:
      return "POST";
    case verb::put:
      return "PUT";
    case verb::patch:
      return "PATCH";
    case verb::delete_:
      return "DELETE";
    default:
      return "?";
  }
}

}  // namespace

bool Operation::has_body() const {
  for (const auto& p : params) {
    if (p.in == ParamIn::kBody) {
      return true;
    }
  }
  return false;
}

Param path_param(std::string_view name, std::string_view description) {
  Param p;
  p.name = name;
  p.in = ParamIn::kPath;
  p.type = ParamType::kId;
  p.required = true;
  p.description = description;
  return p;
}

Param query_param(std::string_view name, ParamType type, std::size_t max_length,
                  std::string_view description) {
  Param p;
  p.name = name;
  p.in = ParamIn::kQuery;
  p.type = type;
  p.max_length = max_length;
  p.description = description;
  return p;
}

Param body_param(std::string_view name, ParamType type, std::size_t max_length, bool required,
                 std::string_view description) {
  Param p = query_param(name, type, max_length, description);
  p.in = ParamIn::kBody;
  p.required = required;
  return p;
}

Param reason_param() {
  Param p;
  p.name = "reason";
  p.in = ParamIn::kBody;
  p.type = ParamType::kString;
  p.max_length = 256;
  p.description = "Why: recorded with the call in the admin_call log line";
  return p;
}

const std::vector<Operation>& operations() {
  static const std::vector<Operation> kOps = build_operations();
  return kOps;
}

const Operation* find_operation(std::string_view operation_id) {
  for (const auto& op : operations()) {
    if (op.operation_id == operation_id) {
      return &op;
    }
  }
  return nullptr;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") {
    return false;
  }
  for (const char c : id) {
    const bool ok = ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '.' ||
                    c == '_' || c == '~' || c == '@' || c == '+' || c == '=';
    if (!ok) {
      return false;
    }
  }
  return true;
}

RouteMatch match_route(verb method, std::string_view path) {
  RouteMatch out;
  const auto segments = split_segments(path);
  if (segments.empty()) {
    return out;
  }
  for (const auto& op : operations()) {
    const auto pattern = split_segments(op.path);
    if (pattern.size() != segments.size()) {
      continue;
    }
    std::vector<std::string> params;
    bool same = true;
    for (std::size_t i = 0; i < pattern.size() && same; ++i) {
      if (!pattern[i].empty() && pattern[i].front() == '{') {
        // Any segment matches here; check_arguments refuses a malformed id (400, not 404).
        params.emplace_back(segments[i]);
      } else {
        same = pattern[i] == segments[i];
      }
    }
    if (!same) {
      continue;
    }
    out.path_known = true;
    if (!out.allow.empty()) {
      out.allow += ", ";
    }
    out.allow += method_name(op.method);
    if (op.method == method && out.op == nullptr) {
      out.op = &op;
      out.params = std::move(params);
    }
  }
  return out;
}

Status check_arguments(const Operation& op, const Json& args, std::size_t max_page_size) {
  if (!args.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "the arguments must be a JSON object");
  }
  for (const auto& [name, value] : args.items()) {
    const Param* declared = nullptr;
    for (const auto& p : op.params) {
      if (p.name == name) {
        declared = &p;
        break;
      }
    }
    if (declared == nullptr) {
      // The name may be anything a caller sent: not echoed unless it is a plain identifier.
      return make_error(ErrorCode::kInvalidArgument,
                        valid_id(name) && name.size() <= 64
                            ? "unknown argument " + name
                            : std::string("unknown argument"));
    }
    if (!value_fits(*declared, value, max_page_size)) {
      return make_error(ErrorCode::kInvalidArgument,
                        std::string(declared->name) + " must be " +
                            describe_type(*declared, max_page_size));
    }
  }
  for (const auto& p : op.params) {
    if (p.required && !args.contains(std::string(p.name))) {
      return make_error(ErrorCode::kInvalidArgument, std::string(p.name) + " is required");
    }
  }
  return Status();
}

Json parameter_schema(const Param& p, std::size_t max_page_size) {
  Json s = Json::object();
  switch (p.type) {
    case ParamType::kId:
      s["type"] = "string";
      s["pattern"] = "^[A-Za-z0-9._~@+=-]{1,128}$";
      break;
    case ParamType::kString:
      s["type"] = "string";
      s["maxLength"] = p.max_length;
      if (!p.one_of.empty()) {
        Json values = Json::array();
        for (const auto v : p.one_of) {
          values.push_back(std::string(v));
        }
        s["enum"] = values;
      }
      break;
    case ParamType::kInteger:
      s["type"] = "integer";
      s["minimum"] = p.min;
      s["maximum"] = p.max == 0 ? static_cast<std::int64_t>(max_page_size) : p.max;
      break;
    case ParamType::kBoolean:
      s["type"] = "boolean";
      break;
    case ParamType::kStringArray: {
      s["type"] = "array";
      s["maxItems"] = p.max_items;
      Json items = {{"type", "string"}};
      items["maxLength"] = p.max_length;
      s["items"] = items;
      break;
    }
    case ParamType::kObject:
      s["type"] = "object";
      break;
    case ParamType::kText:
      s["type"] = "string";
      s["maxLength"] = p.max_length;
      break;
    case ParamType::kObjectArray: {
      s["type"] = "array";
      s["maxItems"] = p.max_items;
      s["items"] = Json{{"type", "object"}};
      break;
    }
  }
  if (!p.description.empty()) {
    s["description"] = std::string(p.description);
  }
  return s;
}

namespace {

// The object schema of the parameters `take` selects.
template <class Take>
Json params_object_schema(const Operation& op, std::size_t max_page_size, Take take) {
  Json props = Json::object();
  Json required = Json::array();
  for (const auto& p : op.params) {
    if (!take(p)) {
      continue;
    }
    props[std::string(p.name)] = parameter_schema(p, max_page_size);
    if (p.required) {
      required.push_back(std::string(p.name));
    }
  }
  Json s = {{"type", "object"}};
  s["properties"] = props;
  if (!required.empty()) {
    s["required"] = required;
  }
  s["additionalProperties"] = false;
  return s;
}

}  // namespace

Json arguments_schema(const Operation& op, std::size_t max_page_size) {
  return params_object_schema(op, max_page_size, [](const Param&) { return true; });
}

Json body_schema(const Operation& op) {
  return params_object_schema(op, 0, [](const Param& p) { return p.in == ParamIn::kBody; });
}

std::string snake_case(std::string_view operation_id) {
  std::string out;
  for (const char c : operation_id) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += ascii::lower(c);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace mcpgate::admin
