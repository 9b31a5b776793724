// Parameter types: OpenFGA's ConditionParamTypeRef JSON and the DSL spelling.
//
// Facts this follows (openfga/api TypeName enum, openfga/language grammar, OpenFGA's decoder):
//  * JSON names are TYPE_NAME_{ANY,BOOL,STRING,INT,UINT,DOUBLE,DURATION,TIMESTAMP,MAP,LIST,
//    IPADDRESS}. There is no BYTES (kBytes exists only as an expression type) and UNSPECIFIED is
//    rejected as unknown.
//  * map and list need exactly one generic type, every other type none.
//  * The DSL spells a parameter type as one of the scalar keywords or `list<T>` / `map<T>` with a
//    scalar T and no blanks; `any` is not a DSL keyword.

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "cel/cel.hpp"

namespace mcpgate::cel {
namespace {

struct TypeName {
  TypeKind kind;
  std::string_view json;
  std::string_view dsl;
};

constexpr std::array<TypeName, 11> kTypeNames = {{
    {TypeKind::kAny, "TYPE_NAME_ANY", "any"},
    {TypeKind::kBool, "TYPE_NAME_BOOL", "bool"},
    {TypeKind::kString, "TYPE_NAME_STRING", "string"},
    {TypeKind::kInt, "TYPE_NAME_INT", "int"},
    {TypeKind::kUint, "TYPE_NAME_UINT", "uint"},
    {TypeKind::kDouble, "TYPE_NAME_DOUBLE", "double"},
    {TypeKind::kDuration, "TYPE_NAME_DURATION", "duration"},
    {TypeKind::kTimestamp, "TYPE_NAME_TIMESTAMP", "timestamp"},
    {TypeKind::kIpAddress, "TYPE_NAME_IPADDRESS", "ipaddress"},
    {TypeKind::kList, "TYPE_NAME_LIST", "list"},
    {TypeKind::kMap, "TYPE_NAME_MAP", "map"},
}};

// Generic types nest only through JSON; a bound keeps a hostile model from recursing deeply.
constexpr int kMaxTypeDepth = 8;

bool is_generic(TypeKind kind) {
  return kind == TypeKind::kList || kind == TypeKind::kMap;
}

Error type_error(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

Result<Type> type_from_json_at(const nlohmann::json& parameter, int depth) {
  if (depth > kMaxTypeDepth) {
    return type_error("condition parameter type is nested too deeply");
  }
  if (!parameter.is_object()) {
    return type_error("condition parameter type must be an object");
  }
  auto name_it = parameter.find("type_name");
  if (name_it == parameter.end() || !name_it->is_string()) {
    return type_error("condition parameter type needs a string 'type_name'");
  }
  const auto& name = name_it->get_ref<const std::string&>();
  const TypeName* found = nullptr;
  for (const auto& entry : kTypeNames) {
    if (entry.json == name) {
      found = &entry;
      break;
    }
  }
  if (found == nullptr) {
    return type_error("unknown condition parameter type '" + name + "'");
  }
  Type type;
  type.kind = found->kind;
  std::size_t generic_count = 0;
  auto generic_it = parameter.find("generic_types");
  if (generic_it != parameter.end() && !generic_it->is_null()) {
    if (!generic_it->is_array()) {
      return type_error("'generic_types' of condition parameter type must be an array");
    }
    generic_count = generic_it->size();
  }
  const std::size_t wanted = is_generic(type.kind) ? 1 : 0;
  if (generic_count != wanted) {
    return type_error("condition parameter type '" + name + "' requires " + std::to_string(wanted)
                      + " generic types; found " + std::to_string(generic_count));
  }
  if (wanted == 1) {
    auto element = type_from_json_at((*generic_it)[0], depth + 1);
    if (!element) {
      return element.error();
    }
    type.generic.push_back(std::move(element).value());
  }
  return type;
}

}  // namespace

Result<Type> type_from_json(const nlohmann::json& parameter) {
  return type_from_json_at(parameter, 0);
}

nlohmann::json type_to_json(const Type& type) {
  nlohmann::json out = nlohmann::json::object();
  std::string_view name = "TYPE_NAME_UNSPECIFIED";  // kBytes has no JSON name
  for (const auto& entry : kTypeNames) {
    if (entry.kind == type.kind) {
      name = entry.json;
      break;
    }
  }
  out["type_name"] = std::string(name);
  if (!type.generic.empty()) {
    nlohmann::json generics = nlohmann::json::array();
    for (const auto& generic : type.generic) {
      generics.push_back(type_to_json(generic));
    }
    out["generic_types"] = std::move(generics);
  }
  return out;
}

Result<Type> type_from_dsl(std::string_view spelling) {
  auto scalar = [](std::string_view word) -> const TypeName* {
    for (const auto& entry : kTypeNames) {
      if (entry.dsl == word && entry.kind != TypeKind::kAny && !is_generic(entry.kind)) {
        return &entry;
      }
    }
    return nullptr;
  };
  if (const TypeName* entry = scalar(spelling)) {
    return Type{entry->kind, {}};
  }
  const auto open = spelling.find('<');
  if (open != std::string_view::npos && spelling.back() == '>') {
    const auto container = spelling.substr(0, open);
    const auto inner = spelling.substr(open + 1, spelling.size() - open - 2);
    const TypeName* element = scalar(inner);
    if ((container == "list" || container == "map") && element != nullptr) {
      Type type;
      type.kind = container == "list" ? TypeKind::kList : TypeKind::kMap;
      type.generic.push_back(Type{element->kind, {}});
      return type;
    }
  }
  return type_error("unknown condition parameter type '" + std::string(spelling) +
                    "' (expected bool, string, int, uint, double, duration, timestamp, "
                    "ipaddress, list<T> or map<T>)");
}

std::string type_to_dsl(const Type& type) {
  if (type.kind == TypeKind::kBytes) {
    return "bytes";
  }
  std::string out;
  for (const auto& entry : kTypeNames) {
    if (entry.kind == type.kind) {
      out = entry.dsl;
      break;
    }
  }
  if (is_generic(type.kind)) {
    out += '<';
    out += type.generic.empty() ? std::string("any") : type_to_dsl(type.generic[0]);
    out += '>';
  }
  return out;
}

}  // namespace mcpgate::cel
