#include "policy/call_context.hpp"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

Error bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

// CEL identifiers are [_A-Za-z][_A-Za-z0-9]*; our names always start with "arg_", so only the
// rest needs mapping.
std::string identifier(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      c = '_';
    }
  }
  return out;
}

const Json* property_schema(const Json* schema, const std::string& key) {
  if (schema == nullptr || !schema->is_object()) {
    return nullptr;
  }
  auto props = schema->find("properties");
  if (props == schema->end() || !props->is_object()) {
    return nullptr;
  }
  auto it = props->find(key);
  return it != props->end() && it->is_object() ? &*it : nullptr;
}

// The schema's declared type; for a list of types, the first that is not "null".
std::string schema_type(const Json* schema) {
  if (schema == nullptr || !schema->is_object()) {
    return "";
  }
  auto t = schema->find("type");
  if (t == schema->end()) {
    return "";
  }
  if (t->is_string()) {
    return t->get<std::string>();
  }
  if (t->is_array()) {
    for (const auto& each : *t) {
      if (each.is_string() && each != "null") {
        return each.get<std::string>();
      }
    }
  }
  return "";
}

std::string json_type(const Json& value) {
  if (value.is_boolean()) {
    return "boolean";
  }
  if (value.is_number_integer()) {
    return "integer";
  }
  if (value.is_number()) {
    return "number";
  }
  if (value.is_string()) {
    return "string";
  }
  if (value.is_array()) {
    return "array";
  }
  if (value.is_object()) {
    return "object";
  }
  return "null";
}

bool integral(const Json& value) {
  if (value.is_number_integer()) {
    return true;
  }
  if (!value.is_number_float()) {
    return false;
  }
  const double d = value.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool scalar_matches(const std::string& type, const Json& value) {
  if (type == "integer") {
    return integral(value);
  }
  if (type == "number") {
    return value.is_number();
  }
  if (type == "boolean") {
    return value.is_boolean();
  }
  if (type == "string") {
    return value.is_string();
  }
  return false;
}

bool is_scalar_type(const std::string& type) {
  return type == "integer" || type == "number" || type == "boolean" || type == "string";
}

Status put(Json& out, const std::string& name, Json value) {
  if (out.contains(name)) {
    return bad("arguments collide on condition parameter " + name);
  }
  out[name] = std::move(value);
  return {};
}

Status flatten(const Json& value,
               const Json* schema,
               const std::string& name,
               Json& out,
               std::size_t depth,
               const ContextLimits& limits) {
  if (depth > limits.max_depth) {
    return bad("arguments nest deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  if (value.is_null()) {
    return {};  // absent for the policy: a condition that needs it fails as "missing"
  }
  std::string type = schema_type(schema);
  if (type.empty()) {
    type = json_type(value);
  }
  if (is_scalar_type(type)) {
    if (!scalar_matches(type, value)) {
      return bad(name + ": expected " + type + ", got " + json_type(value));
    }
    if (type == "integer" && !value.is_number_integer()) {
      return put(out, name, Json(static_cast<std::int64_t>(value.get<double>())));
    }
    return put(out, name, value);
  }
  if (type == "array") {
    if (!value.is_array()) {
      return bad(name + ": expected array, got " + json_type(value));
    }
    // Lists of one scalar type become list<T>; anything else is left out (a condition that
    // needs it is then missing a parameter, which denies).
    std::string item_type = schema != nullptr ? schema_type(schema->contains("items") ? &(*schema)["items"] : nullptr) : "";
    if (item_type.empty() && !value.empty()) {
      item_type = json_type(value.front());
    }
    if (!value.empty() && !is_scalar_type(item_type)) {
      return {};
    }
    for (const auto& item : value) {
      if (!scalar_matches(item_type, item)) {
        return {};
      }
    }
    return put(out, name, value);
  }
  if (type == "object") {
    if (!value.is_object()) {
      return bad(name + ": expected object, got " + json_type(value));
    }
    const bool has_properties = schema != nullptr && schema->contains("properties");
    const Json* additional = nullptr;
    if (schema != nullptr) {
      auto ap = schema->find("additionalProperties");
      if (ap != schema->end() && ap->is_object()) {
        additional = &*ap;
      }
    }
    if (!has_properties && additional != nullptr && is_scalar_type(schema_type(additional))) {
      // A map<T>: every value has the declared scalar type (the schema validated that already).
      const std::string vt = schema_type(additional);
      for (const auto& [k, v] : value.items()) {
        if (!scalar_matches(vt, v)) {
          return bad(name + "." + k + ": expected " + vt);
        }
      }
      return put(out, name, value);
    }
    for (const auto& [k, v] : value.items()) {
      const Json* sub = property_schema(schema, k);
      if (sub == nullptr) {
        sub = additional;
      }
      MCPGATE_TRY(flatten(v, sub, name + "_" + identifier(k), out, depth + 1, limits));
    }
    return {};
  }
  return {};  // an unknown schema type: not a parameter
}

// The serialized size, near enough (escapes are not counted), that stops counting once past
// `limit`: the context is built on every call, and serializing it just to measure it would
// double its cost.
std::size_t approximate_size(const Json& value, std::size_t limit) {
  std::size_t total = 8;
  if (value.is_string()) {
    return total + value.get_ref<const std::string&>().size();
  }
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) {
      total += k.size() + approximate_size(v, limit);
      if (total > limit) {
        return total;
      }
    }
  } else if (value.is_array()) {
    for (const auto& v : value) {
      total += approximate_size(v, limit);
      if (total > limit) {
        return total;
      }
    }
  } else {
    total += 24;  // numbers, booleans, null
  }
  return total;
}

}  // namespace

Status flatten_arguments(const Json& arguments,
                         const Json* input_schema,
                         Json& out,
                         const ContextLimits& limits) {
  if (!arguments.is_object()) {
    return bad("arguments must be an object");
  }
  if (!out.is_object()) {
    out = Json::object();
  }
  for (const auto& [k, v] : arguments.items()) {
    MCPGATE_TRY(flatten(v, property_schema(input_schema, k), "arg_" + identifier(k), out, 1, limits));
  }
  return {};
}

namespace {

// Writes `v` as exactly `width` decimal digits (v < 10^width).
char* put_digits(char* out, long long v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out + width;
}

}  // namespace

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since = time.time_since_epoch();
  const auto secs = floor<seconds>(since);
  const auto micros = duration_cast<microseconds>(since - secs).count();
  const std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  const long long year = static_cast<long long>(tm.tm_year) + 1900;
  if (year < 0 || year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", year, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  }
  // Every tools/call's context carries one: written by hand, it costs a tenth of fmt::format.
  char buf[27];
  char* p = put_digits(buf, year, 4);
  *p++ = '-';
  p = put_digits(p, tm.tm_mon + 1, 2);
  *p++ = '-';
  p = put_digits(p, tm.tm_mday, 2);
  *p++ = 'T';
  p = put_digits(p, tm.tm_hour, 2);
  *p++ = ':';
  p = put_digits(p, tm.tm_min, 2);
  *p++ = ':';
  p = put_digits(p, tm.tm_sec, 2);
  *p++ = '.';
  p = put_digits(p, micros, 6);
  *p++ = 'Z';
  return std::string(buf, static_cast<std::size_t>(p - buf));
}

Result<Json> build_call_context(const Json& arguments,
                                const Json* input_schema,
                                const RequestFacts& facts,
                                const ContextLimits& limits) {
  Json out = Json::object();
  out["user"] = std::string(facts.user);
  out["client_id"] = std::string(facts.client_id);
  out["client_kind"] = std::string(facts.client_kind);
  out["client_host"] = std::string(facts.client_host);
  out["scopes"] = facts.scopes != nullptr ? Json(*facts.scopes) : Json::array();
  out["request_time"] = rfc3339_utc(facts.time);
  if (!facts.source_ip.empty()) {
    out["source_ip"] = std::string(facts.source_ip);
  }
  MCPGATE_TRY(flatten_arguments(arguments, input_schema, out, limits));
  if (approximate_size(out, limits.max_bytes) > limits.max_bytes) {
    return bad("call context exceeds " + std::to_string(limits.max_bytes) + " bytes");
  }
  return out;
}

}  // namespace mcpgate::policy
