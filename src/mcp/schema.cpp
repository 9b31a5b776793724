#include "mcp/schema.hpp"

#include <cmath>

namespace mcpgate::mcp {

namespace {

constexpr int kMaxRefHops = 32;

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "unknown";
  }
}

bool is_integral(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

bool matches_type(const std::string& type, const Json& v) {
  if (type == "integer") {
    return is_integral(v);
  }
  if (type == "number") {
    return v.is_number();
  }
  if (type == "string") {
    return v.is_string();
  }
  if (type == "boolean") {
    return v.is_boolean();
  }
  if (type == "object") {
    return v.is_object();
  }
  if (type == "array") {
    return v.is_array();
  }
  if (type == "null") {
    return v.is_null();
  }
  return true;  // unknown type names do not constrain
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

// JSON equality where 1 and 1.0 are the same number.
bool json_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    return a.get<double>() == b.get<double>();
  }
  return a == b;
}

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char ch : token) {
    if (ch == '~') {
      out += "~0";
    } else if (ch == '/') {
      out += "~1";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string show(const std::string& path) {
  return path.empty() ? "(root)" : path;
}

class Validator {
 public:
  explicit Validator(const Json& root) : root_(root) {}

  Status validate(const Json& schema, const Json& v, const std::string& path, int hops) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) {
        return fail(path, "value is not allowed here");
      }
      return {};
    }
    if (!schema.is_object()) {
      return {};
    }
    if (auto it = schema.find("$ref"); it != schema.end() && it->is_string()) {
      if (hops >= kMaxRefHops) {
        return fail(path, "schema $ref chain too deep");
      }
      const Json* target = resolve(it->get<std::string>());
      if (target == nullptr) {
        return fail(path, "unresolvable schema reference " + it->get<std::string>());
      }
      MCPGATE_TRY(validate(*target, v, path, hops + 1));
    }
    MCPGATE_TRY(check_type(schema, v, path));
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      bool found = false;
      for (const auto& option : *it) {
        found = found || json_equal(option, v);
      }
      if (!found) {
        return fail(path, "must be one of " + dump_json(*it));
      }
    }
    if (auto it = schema.find("const"); it != schema.end() && !json_equal(*it, v)) {
      return fail(path, "must be " + dump_json(*it));
    }
    if (v.is_string()) {
      MCPGATE_TRY(check_string(schema, v, path));
    } else if (v.is_number()) {
      MCPGATE_TRY(check_number(schema, v, path));
    } else if (v.is_object()) {
      MCPGATE_TRY(check_object(schema, v, path, hops));
    } else if (v.is_array()) {
      MCPGATE_TRY(check_array(schema, v, path, hops));
    }
    return check_combinators(schema, v, path, hops);
  }

 private:
  static Status fail(const std::string& path, const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, show(path) + ": " + why);
  }

  const Json* resolve(const std::string& ref) const {
    if (ref == "#") {
      return &root_;
    }
    if (ref.rfind("#/", 0) != 0) {
      return nullptr;
    }
    try {
      const Json::json_pointer ptr(ref.substr(1));
      if (!root_.contains(ptr)) {
        return nullptr;
      }
      return &root_.at(ptr);
    } catch (const Json::exception&) {
      return nullptr;
    }
  }

  static Status check_type(const Json& schema, const Json& v, const std::string& path) {
    auto it = schema.find("type");
    if (it == schema.end()) {
      return {};
    }
    if (it->is_string()) {
      if (!matches_type(it->get<std::string>(), v)) {
        return fail(path, "expected " + it->get<std::string>() + ", got " + type_name(v));
      }
    } else if (it->is_array()) {
      std::string names;
      for (const auto& t : *it) {
        if (t.is_string()) {
          if (matches_type(t.get<std::string>(), v)) {
            return {};
          }
          names += (names.empty() ? "" : " or ") + t.get<std::string>();
        }
      }
      return fail(path, "expected " + names + ", got " + type_name(v));
    }
    return {};
  }

  static Status check_string(const Json& schema, const Json& v, const std::string& path) {
    const size_t len = code_points(v.get_ref<const std::string&>());
    if (auto it = schema.find("minLength");
        it != schema.end() && it->is_number() && static_cast<double>(len) < it->get<double>()) {
      return fail(path, "must be at least " + dump_json(*it) + " characters long");
    }
    if (auto it = schema.find("maxLength");
        it != schema.end() && it->is_number() && static_cast<double>(len) > it->get<double>()) {
      return fail(path, "must be at most " + dump_json(*it) + " characters long");
    }
    return {};
  }

  static Status check_number(const Json& schema, const Json& v, const std::string& path) {
    const double d = v.get<double>();
    if (auto it = schema.find("minimum");
        it != schema.end() && it->is_number() && d < it->get<double>()) {
      return fail(path, "must be >= " + dump_json(*it));
    }
    if (auto it = schema.find("maximum");
        it != schema.end() && it->is_number() && d > it->get<double>()) {
      return fail(path, "must be <= " + dump_json(*it));
    }
    if (auto it = schema.find("exclusiveMinimum");
        it != schema.end() && it->is_number() && d <= it->get<double>()) {
      return fail(path, "must be > " + dump_json(*it));
    }
    if (auto it = schema.find("exclusiveMaximum");
        it != schema.end() && it->is_number() && d >= it->get<double>()) {
      return fail(path, "must be < " + dump_json(*it));
    }
    if (auto it = schema.find("multipleOf");
        it != schema.end() && it->is_number() && it->get<double>() > 0) {
      const double q = d / it->get<double>();
      if (std::fabs(q - std::round(q)) > 1e-9) {
        return fail(path, "must be a multiple of " + dump_json(*it));
      }
    }
    return {};
  }

  Status check_object(const Json& schema, const Json& v, const std::string& path, int hops) {
    if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
      for (const auto& name : *it) {
        if (name.is_string() && !v.contains(name.get<std::string>())) {
          return fail(path, "missing required property '" + name.get<std::string>() + "'");
        }
      }
    }
    const auto props = schema.find("properties");
    const bool has_props = props != schema.end() && props->is_object();
    const auto additional = schema.find("additionalProperties");
    for (const auto& [key, value] : v.items()) {
      const std::string child = path + "/" + escape_pointer_token(key);
      if (has_props) {
        if (auto p = props->find(key); p != props->end()) {
          MCPGATE_TRY(validate(*p, value, child, hops));
          continue;
        }
      }
      if (additional != schema.end()) {
        if (additional->is_boolean() && !additional->get<bool>()) {
          return fail(path, "unexpected property '" + key + "'");
        }
        MCPGATE_TRY(validate(*additional, value, child, hops));
      }
    }
    if (auto it = schema.find("minProperties");
        it != schema.end() && it->is_number()
        && static_cast<double>(v.size()) < it->get<double>()) {
      return fail(path, "must have at least " + dump_json(*it) + " properties");
    }
    if (auto it = schema.find("maxProperties");
        it != schema.end() && it->is_number()
        && static_cast<double>(v.size()) > it->get<double>()) {
      return fail(path, "must have at most " + dump_json(*it) + " properties");
    }
    return {};
  }

  Status check_array(const Json& schema, const Json& v, const std::string& path, int hops) {
    if (auto it = schema.find("minItems"); it != schema.end() && it->is_number()
                                           && static_cast<double>(v.size()) < it->get<double>()) {
      return fail(path, "must have at least " + dump_json(*it) + " items");
    }
    if (auto it = schema.find("maxItems"); it != schema.end() && it->is_number()
                                           && static_cast<double>(v.size()) > it->get<double>()) {
      return fail(path, "must have at most " + dump_json(*it) + " items");
    }
    if (auto it = schema.find("items");
        it != schema.end() && (it->is_object() || it->is_boolean())) {
      for (size_t i = 0; i < v.size(); ++i) {
        MCPGATE_TRY(validate(*it, v[i], path + "/" + std::to_string(i), hops));
      }
    }
    if (auto it = schema.find("uniqueItems");
        it != schema.end() && it->is_boolean() && it->get<bool>()) {
      for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = i + 1; j < v.size(); ++j) {
          if (json_equal(v[i], v[j])) {
            return fail(path, "items must be unique");
          }
        }
      }
    }
    return {};
  }

  Status check_combinators(const Json& schema, const Json& v, const std::string& path, int hops) {
    if (auto it = schema.find("allOf"); it != schema.end() && it->is_array()) {
      for (const auto& sub : *it) {
        MCPGATE_TRY(validate(sub, v, path, hops));
      }
    }
    if (auto it = schema.find("anyOf"); it != schema.end() && it->is_array()) {
      bool any = false;
      for (const auto& sub : *it) {
        any = any || validate(sub, v, path, hops).ok();
      }
      if (!any) {
        return fail(path, "does not match any of the allowed schemas (anyOf)");
      }
    }
    if (auto it = schema.find("oneOf"); it != schema.end() && it->is_array()) {
      int matches = 0;
      for (const auto& sub : *it) {
        matches += validate(sub, v, path, hops).ok() ? 1 : 0;
      }
      if (matches != 1) {
        return fail(path, "must match exactly one of the allowed schemas (oneOf)");
      }
    }
    if (auto it = schema.find("not"); it != schema.end() && validate(*it, v, path, hops).ok()) {
      return fail(path, "matches a schema it must not match (not)");
    }
    if (auto it = schema.find("if"); it != schema.end()) {
      if (validate(*it, v, path, hops).ok()) {
        if (auto then = schema.find("then"); then != schema.end()) {
          MCPGATE_TRY(validate(*then, v, path, hops));
        }
      } else if (auto otherwise = schema.find("else"); otherwise != schema.end()) {
        MCPGATE_TRY(validate(*otherwise, v, path, hops));
      }
    }
    return {};
  }

  const Json& root_;
};

}  // namespace

Status validate_json_schema(const Json& schema, const Json& instance) {
  Validator validator(schema);
  return validator.validate(schema, instance, "", 0);
}

void apply_schema_defaults(const Json& schema, Json& instance) {
  if (!schema.is_object() || !instance.is_object()) {
    return;
  }
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) {
    return;
  }
  for (const auto& [key, sub] : props->items()) {
    if (!instance.contains(key) && sub.is_object()) {
      if (auto d = sub.find("default"); d != sub.end()) {
        instance[key] = *d;
      }
    }
  }
}

bool schema_accepts_any_object(const Json& schema) {
  if (schema.is_boolean()) {
    return schema.get<bool>();
  }
  if (!schema.is_object()) {
    return false;
  }
  for (const auto& [key, value] : schema.items()) {
    if (key == "type") {
      bool object = value == "object";
      if (value.is_array()) {
        for (const auto& t : value) {
          object = object || t == "object";
        }
      }
      if (!object) {
        return false;
      }
    } else if (key == "properties") {
      if (!value.is_object() || !value.empty()) {
        return false;
      }
    } else if (key == "required") {
      if (!value.is_array() || !value.empty()) {
        return false;
      }
    } else if (key == "additionalProperties") {
      if (value != true && value != Json::object()) {
        return false;
      }
    } else if (key != "$schema" && key != "$id" && key != "$comment" && key != "title"
               && key != "description" && key != "examples" && key != "$defs"
               && key != "definitions" && key.rfind("x-", 0) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace mcpgate::mcp
