// Binding: every attribute of a parsed filter resolved against a resource type, every operator
// checked against the attribute's type (RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary is
// invalidFilter; we also refuse co/sw/ew on non-string types and ordering on complex values),
// every literal typed. "ne" becomes a negated "eq" and "eq null"/"ne null" become (negated) "pr",
// so the evaluator and the SQL compiler each handle one form of each question.

#include <cstdint>

#include "core/ascii.hpp"
#include "scim/datetime.hpp"
#include "scim/error.hpp"
#include "scim/filter.hpp"
#include "scim/names.hpp"

namespace mcpgate::scim {

namespace {

// `'path'` for messages, built by appending: g++ 12 at -O3 reports a false -Wrestrict on
// `"'" + std::string&&` (it inlines the prepend as an overlapping memcpy; GCC bug 105329).
std::string quoted_path(const AttrPath& path) {
  std::string out = "'";
  out += printable(path.to_string());
  out += '\'';
  return out;
}

Error bind_error(const Node& node, const std::string& what) {
  return scim_error(ScimType::kInvalidFilter, "at offset " + std::to_string(node.offset) + ": " + what);
}

bool is_ordering(CompareOp op) {
  return op == CompareOp::kGt || op == CompareOp::kGe || op == CompareOp::kLt || op == CompareOp::kLe;
}

bool is_substring(CompareOp op) { return op == CompareOp::kCo || op == CompareOp::kSw || op == CompareOp::kEw; }

// The literal of `node`, typed for the leaf attribute `leaf`; rewrites ne and null comparisons.
Status bind_literal(Node& node, const Attribute& leaf) {
  const std::string name = node.path.to_string();
  if (node.op == CompareOp::kPr) {
    return {};
  }
  if (node.literal.is_null()) {
    if (node.op != CompareOp::kEq && node.op != CompareOp::kNe) {
      return bind_error(node, "null can only be compared with eq or ne");
    }
    node.negate = node.op == CompareOp::kEq;
    node.op = CompareOp::kPr;
    return {};
  }
  if (node.op == CompareOp::kNe) {
    node.op = CompareOp::kEq;
    node.negate = true;
  }
  const std::string op_name(compare_op_name(node.op));
  TypedValue& v = node.value;
  switch (leaf.type) {
    case AttrType::kComplex:
      return bind_error(node, "'" + name + "' is complex: compare one of its sub-attributes");
    case AttrType::kBoolean:
      if (node.op != CompareOp::kEq) {
        return bind_error(node, "'" + name + "' is boolean: only eq, ne and pr apply");
      }
      v.kind = TypedValue::Kind::kBoolean;
      if (node.literal.is_boolean()) {
        v.boolean = node.literal.get<bool>();
      } else if (node.literal.is_string() && ascii::iequals(node.literal.get_ref<const std::string&>(), "true")) {
        v.boolean = true;  // Entra ID sends booleans as strings
      } else if (node.literal.is_string() && ascii::iequals(node.literal.get_ref<const std::string&>(), "false")) {
        v.boolean = false;
      } else {
        return bind_error(node, "'" + name + "' is boolean: compare it with true or false");
      }
      return {};
    case AttrType::kInteger:
    case AttrType::kDecimal:
      if (is_substring(node.op)) {
        return bind_error(node, "'" + op_name + "' does not apply to the number '" + name + "'");
      }
      if (!node.literal.is_number()) {
        return bind_error(node, "'" + name + "' is a number: compare it with a number");
      }
      v.kind = TypedValue::Kind::kNumber;
      v.number = node.literal.get<double>();
      if (node.literal.is_number_integer()) {
        if (node.literal.is_number_unsigned()
            && node.literal.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
          return {};  // compared as a double
        }
        v.is_integer = true;
        v.integer = node.literal.get<std::int64_t>();
      }
      return {};
    case AttrType::kDateTime: {
      if (is_substring(node.op)) {
        return bind_error(node, "'" + op_name + "' does not apply to the dateTime '" + name + "'");
      }
      const auto instant =
          node.literal.is_string() ? parse_datetime(node.literal.get_ref<const std::string&>()) : std::nullopt;
      if (!instant) {
        return bind_error(node, "'" + name + "' is a dateTime: compare it with a string such as \"2024-01-31T12:00:00Z\"");
      }
      v.kind = TypedValue::Kind::kDateTime;
      v.integer = *instant;
      return {};
    }
    case AttrType::kBinary:
      if (is_ordering(node.op)) {
        return bind_error(node, "'" + op_name + "' does not apply to the binary '" + name + "'");
      }
      [[fallthrough]];
    case AttrType::kString:
    case AttrType::kReference:
      if (!node.literal.is_string()) {
        return bind_error(node, "'" + name + "' is a string: compare it with a string");
      }
      v.kind = TypedValue::Kind::kString;
      v.text = leaf.case_exact ? node.literal.get<std::string>() : ascii::to_lower(node.literal.get_ref<const std::string&>());
      return {};
  }
  return {};
}

// The leaf of a compare node once its target is known: a complex attribute compared with a
// value means its "value" sub-attribute (RFC 7644 §3.4.2.2: `emails co "example.com"`).
Status bind_leaf(Node& node) {
  const Attribute* leaf = node.target.leaf();
  if (leaf->type == AttrType::kComplex && node.op != CompareOp::kPr && node.target.sub == nullptr) {
    if (const Attribute* value = leaf->find_sub("value")) {
      node.target.sub = value;
      leaf = value;
    }
  }
  return bind_literal(node, *leaf);
}

class FilterBinder {
 public:
  FilterBinder(Filter& filter, const ResourceType& type) : filter_(filter), type_(type) {}

  // `outer`: the value path whose element the node is evaluated against, or nullptr.
  Status bind(NodeId id, const Resolved* outer) {
    Node& node = filter_.nodes[id];
    switch (node.kind) {
      case NodeKind::kAnd:
      case NodeKind::kOr:
      case NodeKind::kNot:
        for (const NodeId child : node.children) {
          MCPGATE_TRY(bind(child, outer));
        }
        return {};
      case NodeKind::kValuePath: {
        if (outer != nullptr) {
          return bind_error(node, "a value filter can not contain another value filter");
        }
        const auto resolved = resolve_path(type_, node.path);
        if (!resolved || resolved->attr == nullptr || resolved->sub != nullptr
            || resolved->attr->type != AttrType::kComplex) {
          return bind_error(node, quoted_path(node.path) + " is not a complex attribute of "
                                      + type_.name);
        }
        node.target = *resolved;
        const Resolved target = node.target;
        return bind(node.children[0], &target);
      }
      case NodeKind::kCompare:
        break;
    }
    if (outer != nullptr) {
      const Attribute* sub =
          node.path.urn.empty() && node.path.sub.empty() ? outer->attr->find_sub(node.path.name) : nullptr;
      if (sub == nullptr) {
        return bind_error(node, quoted_path(node.path) + " is not a sub-attribute of '"
                                    + outer->attr->name + "'");
      }
      node.target = *outer;
      node.target.sub = sub;
      node.in_element = true;
    } else {
      const auto resolved = resolve_path(type_, node.path);
      if (!resolved || resolved->attr == nullptr) {
        return bind_error(node, quoted_path(node.path) + " is not an attribute of " + type_.name);
      }
      node.target = *resolved;
    }
    return bind_leaf(node);
  }

 private:
  Filter& filter_;
  const ResourceType& type_;
};

}  // namespace

Status bind_filter(Filter& filter, const ResourceType& type) {
  if (filter.nodes.empty()) {
    return scim_error(ScimType::kInvalidFilter, "the filter is empty");
  }
  FilterBinder binder(filter, type);
  MCPGATE_TRY(binder.bind(filter.root, nullptr));
  filter.type = &type;
  return {};
}

Status bind_value_filter(Filter& filter, const ResourceType& type, const Resolved& outer) {
  if (filter.nodes.empty() || outer.attr == nullptr || outer.attr->type != AttrType::kComplex) {
    return scim_error(ScimType::kInvalidPath, "a value filter needs a complex attribute");
  }
  FilterBinder binder(filter, type);
  const Status st = binder.bind(filter.root, &outer);
  if (!st) {
    return scim_error(ScimType::kInvalidPath, std::string(scim_detail(st.error())));
  }
  filter.type = &type;
  return {};
}

Result<Filter> compile_filter(std::string_view text, const ResourceType& type, const FilterLimits& limits) {
  MCPGATE_ASSIGN_OR_RETURN(Filter filter, parse_filter(text, limits));
  MCPGATE_TRY(bind_filter(filter, type));
  return filter;
}

}  // namespace mcpgate::scim
