#include "scim/evaluate.hpp"

#include <cstdint>
#include <vector>

#include "core/ascii.hpp"
#include "scim/datetime.hpp"

namespace mcpgate::scim {

namespace {

using JsonRefs = std::vector<const nlohmann::json*>;

// Values of `v` as a list: the elements of an array, else v itself.
void push_values(const nlohmann::json& v, JsonRefs& out) {
  if (v.is_array()) {
    for (const auto& e : v) {
      out.push_back(&e);
    }
  } else {
    out.push_back(&v);
  }
}

// The values a compare node looks at.
JsonRefs node_values(const Node& node, const nlohmann::json& resource, const nlohmann::json* element) {
  JsonRefs out;
  const Resolved& t = node.target;
  if (node.in_element) {
    if (element != nullptr) {
      if (const auto* v = find_member(*element, t.sub->name)) {
        push_values(*v, out);
      }
    }
    return out;
  }
  const nlohmann::json* container = attribute_container(resource, t);
  const nlohmann::json* v = container != nullptr ? find_member(*container, t.attr->name) : nullptr;
  if (v == nullptr) {
    return out;
  }
  if (t.sub == nullptr) {
    push_values(*v, out);
    return out;
  }
  JsonRefs parents;
  push_values(*v, parents);
  for (const auto* parent : parents) {
    if (const auto* s = find_member(*parent, t.sub->name)) {
      push_values(*s, out);
    }
  }
  return out;
}

int compare_numbers(const nlohmann::json& x, const TypedValue& v) {
  if (v.is_integer && x.is_number_integer()) {
    if (x.is_number_unsigned() && x.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return 1;
    }
    const std::int64_t a = x.get<std::int64_t>();
    return a < v.integer ? -1 : (a > v.integer ? 1 : 0);
  }
  const double a = x.get<double>();
  return a < v.number ? -1 : (a > v.number ? 1 : 0);
}

bool ordering_holds(CompareOp op, int cmp) {
  switch (op) {
    case CompareOp::kEq:
      return cmp == 0;
    case CompareOp::kGt:
      return cmp > 0;
    case CompareOp::kGe:
      return cmp >= 0;
    case CompareOp::kLt:
      return cmp < 0;
    case CompareOp::kLe:
      return cmp <= 0;
    default:
      return false;
  }
}

bool compare_one(const Node& node, const nlohmann::json& x) {
  const Attribute& leaf = *node.target.leaf();
  const TypedValue& v = node.value;
  switch (v.kind) {
    case TypedValue::Kind::kBoolean:
      if (x.is_boolean()) {
        return x.get<bool>() == v.boolean;
      }
      if (x.is_string()) {
        return ascii::iequals(x.get_ref<const std::string&>(), v.boolean ? "true" : "false");
      }
      return false;
    case TypedValue::Kind::kNumber:
      return x.is_number() && ordering_holds(node.op, compare_numbers(x, v));
    case TypedValue::Kind::kDateTime: {
      const auto instant = x.is_string() ? parse_datetime(x.get_ref<const std::string&>()) : std::nullopt;
      if (!instant) {
        return false;
      }
      return ordering_holds(node.op, *instant < v.integer ? -1 : (*instant > v.integer ? 1 : 0));
    }
    case TypedValue::Kind::kString: {
      if (!x.is_string()) {
        return false;
      }
      const std::string folded =
          leaf.case_exact ? x.get<std::string>() : ascii::to_lower(x.get_ref<const std::string&>());
      const std::string_view a = folded;
      const std::string_view b = v.text;
      switch (node.op) {
        case CompareOp::kCo:
          return a.find(b) != std::string_view::npos;
        case CompareOp::kSw:
          return a.substr(0, b.size()) == b;
        case CompareOp::kEw:
          return a.size() >= b.size() && a.substr(a.size() - b.size()) == b;
        default:
          return ordering_holds(node.op, a.compare(b) < 0 ? -1 : (a.compare(b) > 0 ? 1 : 0));
      }
    }
    case TypedValue::Kind::kNone:
      break;
  }
  return false;
}

bool eval_node(const Filter& filter, NodeId id, const nlohmann::json& resource, const nlohmann::json* element) {
  const Node& node = filter.nodes[id];
  switch (node.kind) {
    case NodeKind::kAnd:
      for (const NodeId child : node.children) {
        if (!eval_node(filter, child, resource, element)) {
          return false;
        }
      }
      return true;
    case NodeKind::kOr:
      for (const NodeId child : node.children) {
        if (eval_node(filter, child, resource, element)) {
          return true;
        }
      }
      return false;
    case NodeKind::kNot:
      return !eval_node(filter, node.children[0], resource, element);
    case NodeKind::kValuePath: {
      const nlohmann::json* container = attribute_container(resource, node.target);
      const nlohmann::json* v = container != nullptr ? find_member(*container, node.target.attr->name) : nullptr;
      if (v == nullptr) {
        return false;
      }
      JsonRefs values;
      push_values(*v, values);
      for (const auto* value : values) {
        if (value->is_object() && eval_node(filter, node.children[0], resource, value)) {
          return true;
        }
      }
      return false;
    }
    case NodeKind::kCompare:
      break;
  }
  bool any = false;
  for (const auto* x : node_values(node, resource, element)) {
    if (node.op == CompareOp::kPr ? is_present(*x) : compare_one(node, *x)) {
      any = true;
      break;
    }
  }
  return any != node.negate;
}

}  // namespace

bool is_present(const nlohmann::json& value) {
  if (value.is_null()) {
    return false;
  }
  if (value.is_string()) {
    return !value.get_ref<const std::string&>().empty();
  }
  if (value.is_array()) {
    // Nested arrays are not SCIM values; they count by size, so a hostile document can not make
    // this recurse deeply.
    for (const auto& e : value) {
      if (e.is_array() ? !e.empty() : is_present(e)) {
        return true;
      }
    }
    return false;
  }
  if (value.is_object()) {
    return !value.empty();
  }
  return true;
}

bool matches(const Filter& filter, const nlohmann::json& resource) {
  if (!filter.bound()) {
    return false;
  }
  return eval_node(filter, filter.root, resource, nullptr);
}

bool element_matches(const Filter& value_filter, const nlohmann::json& element) {
  if (!value_filter.bound() || !element.is_object()) {
    return false;
  }
  static const nlohmann::json kNoResource = nlohmann::json::object();
  return eval_node(value_filter, value_filter.root, kNoResource, &element);
}

}  // namespace mcpgate::scim
