#include "policy/tuple_json.hpp"

#include <algorithm>
#include <string>

#include "mcp/json_io.hpp"

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

Error tuple_json_invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// An optional string member: absent or null leaves `out` empty.
Status tuple_json_string(const Json& obj, const char* key, std::string& out,
                         std::string_view where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return Status();
  }
  if (!it->is_string()) {
    return tuple_json_invalid(std::string(where) + "." + key + " must be a string");
  }
  out = it->get<std::string>();
  return Status();
}

}  // namespace

bool tuple_text_has_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  });
}

bool valid_tuple_relation(std::string_view s) {
  return !s.empty() && s.size() <= 50 && !tuple_text_has_space(s) &&
         s.find_first_of(":#@") == std::string_view::npos;
}

Status parse_tuple_key(const Json& v, authz::TupleRecord& out, const TupleKeyRules& rules,
                       std::size_t max_context_bytes, std::string_view where) {
  if (!v.is_object()) {
    return tuple_json_invalid(std::string(where) + " must be a JSON object");
  }
  for (const char* key : {"user", "relation", "object"}) {
    std::string value;
    MCPGATE_TRY(tuple_json_string(v, key, value, where));
    const bool required = key[0] == 'u'   ? rules.user_required
                          : key[0] == 'r' ? rules.relation_required
                                          : rules.object_required;
    if (value.empty()) {
      if (required) {
        return tuple_json_invalid(std::string(where) + "." + key + " is required");
      }
      continue;
    }
    const std::size_t max = key[0] == 'u' ? 512 : key[0] == 'r' ? 50 : 256;
    if (value.size() > max) {
      return tuple_json_invalid(std::string(where) + "." + key + " is longer than " +
                                std::to_string(max) + " bytes");
    }
    if (tuple_text_has_space(value)) {
      return tuple_json_invalid(std::string(where) + "." + key + " must not contain whitespace");
    }
    if (key[0] == 'r' && !valid_tuple_relation(value)) {
      return tuple_json_invalid(std::string(where) + ".relation must not contain ':', '#' or '@'");
    }
    (key[0] == 'u' ? out.user : key[0] == 'r' ? out.relation : out.object) = std::move(value);
  }
  const auto cond = v.find("condition");
  if (cond == v.end() || cond->is_null()) {
    return Status();
  }
  const std::string at = std::string(where) + ".condition";
  if (!rules.allow_condition) {
    return tuple_json_invalid(at + " is not allowed here");
  }
  if (!cond->is_object()) {
    return tuple_json_invalid(at + " must be a JSON object");
  }
  MCPGATE_TRY(tuple_json_string(*cond, "name", out.condition_name, at));
  if (out.condition_name.empty() || out.condition_name.size() > 256 ||
      tuple_text_has_space(out.condition_name)) {
    return tuple_json_invalid(at + ".name must be 1..256 bytes without whitespace");
  }
  const auto ctx = cond->find("context");
  if (ctx == cond->end() || ctx->is_null()) {
    out.condition_context = Json();
    return Status();
  }
  if (!ctx->is_object()) {
    return tuple_json_invalid(at + ".context must be a JSON object");
  }
  if (mcp::dump_json(*ctx).size() > max_context_bytes) {
    return tuple_json_invalid(at + ".context exceeds " + std::to_string(max_context_bytes) +
                              " bytes");
  }
  out.condition_context = *ctx;
  return Status();
}

Json tuple_key_to_json(const authz::TupleRecord& t) {
  Json key = {{"user", t.user}, {"relation", t.relation}, {"object", t.object}};
  if (!t.condition_name.empty()) {
    Json cond = {{"name", t.condition_name}};
    if (t.condition_context.is_object()) {
      cond["context"] = t.condition_context;
    }
    key["condition"] = std::move(cond);
  }
  return key;
}

}  // namespace mcpgate::policy
