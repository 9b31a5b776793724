#include "authz/tuple.hpp"

#include <algorithm>

namespace mcpgate::authz {

namespace {

constexpr std::size_t kMaxTypeLength = 254;
constexpr std::size_t kMaxIdLength = 256;
constexpr std::size_t kMaxRelationLength = 50;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool valid_type_name(std::string_view t) {
  if (t.empty() || t.size() > kMaxTypeLength) {
    return false;
  }
  return std::none_of(t.begin(), t.end(), [](char c) { return c == ':' || c == '#' || c == '@' || is_space(c); });
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || id == "*") {
    return false;
  }
  return std::none_of(id.begin(), id.end(), [](char c) { return c == '#' || c == ':' || is_space(c); });
}

Error bad(std::string_view what, std::string_view value) {
  return make_error(ErrorCode::kInvalidArgument, std::string(what) + " '" + std::string(value) + "'");
}

}  // namespace

ErrorCode to_error_code(FgaErrorCode code) {
  switch (code) {
    case FgaErrorCode::kNone:
      return ErrorCode::kInternal;  // callers do not map success
    case FgaErrorCode::kResolutionTooComplex:
    case FgaErrorCode::kExceededEntityLimit:
    case FgaErrorCode::kContextTooLarge:
      return ErrorCode::kResourceExhausted;
    case FgaErrorCode::kModelNotFound:
      return ErrorCode::kNotFound;
    case FgaErrorCode::kInternal:
      return ErrorCode::kInternal;
    default:
      return ErrorCode::kInvalidArgument;
  }
}

std::string to_string(const TupleRecord& t) {
  // Appends rather than operator+ chains: g++ 12 -O3 reports a false -Wrestrict on those.
  std::string s;
  s.append(t.object).append("#").append(t.relation).append("@").append(t.user);
  if (!t.condition_name.empty()) {
    s.append("[").append(t.condition_name);
    if (t.condition_context.is_object() && !t.condition_context.empty()) {
      s.append(":").append(t.condition_context.dump());
    }
    s.append("]");
  }
  return s;
}

bool valid_relation_name(std::string_view r) {
  if (r.empty() || r.size() > kMaxRelationLength) {
    return false;
  }
  return std::none_of(r.begin(), r.end(), [](char c) { return c == ':' || c == '#' || c == '@' || c == '*' || is_space(c); });
}

Result<ParsedObject> parse_object(std::string_view object) {
  const auto colon = object.find(':');
  if (colon == std::string_view::npos) {
    return bad("invalid object, want type:id:", object);
  }
  ParsedObject p{object.substr(0, colon), object.substr(colon + 1)};
  if (!valid_type_name(p.type) || !valid_id(p.id)) {
    return bad("invalid object, want type:id:", object);
  }
  return p;
}

Result<ParsedUser> parse_user(std::string_view user) {
  const auto colon = user.find(':');
  if (colon == std::string_view::npos) {
    return bad("invalid user, want type:id, type:* or type:id#relation:", user);
  }
  ParsedUser p;
  p.type = user.substr(0, colon);
  std::string_view rest = user.substr(colon + 1);
  const auto hash = rest.find('#');
  if (hash != std::string_view::npos) {
    p.relation = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    if (!valid_relation_name(p.relation)) {
      return bad("invalid user, want type:id, type:* or type:id#relation:", user);
    }
  }
  p.id = rest;
  if (!valid_type_name(p.type)) {
    return bad("invalid user, want type:id, type:* or type:id#relation:", user);
  }
  if (rest == "*") {
    if (!p.relation.empty()) {
      return bad("invalid user, a wildcard cannot have a relation:", user);
    }
    p.wildcard = true;
    return p;
  }
  if (!valid_id(rest)) {
    return bad("invalid user, want type:id, type:* or type:id#relation:", user);
  }
  return p;
}

}  // namespace mcpgate::authz
