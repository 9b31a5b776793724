// Type checker: resolves identifiers, picks the operation for every call and computes static
// types, following the overloads of cel-go's standard library plus OpenFGA's ipaddress extension.
//
// Notable rules (cel-spec / cel-go):
//  * Arithmetic needs both operands of the same numeric type (no implicit int/double mixing).
//  * Ordering (< <= > >=) is defined across int, uint and double (cel-spec's cross-type numeric
//    comparisons); == and != need compatible types, except that anything may be compared with null
//    (the OpenFGA sample stores write `_duration != null`).
//  * `any` parameters are dyn: every operation accepts them and the evaluator checks at run time.
//  * Literal lists and maps, and duration()/timestamp()/ipaddress() of literal strings, are folded
//    to constants so evaluation does not rebuild them.
//  * The condition's result type must be exactly bool (OpenFGA rejects dyn results too).

#include "cel/checker.hpp"

#include <algorithm>
#include <cstring>

namespace mcpgate::cel {
namespace {

const CType& dyn_type() {
  static const CType kDyn = CType::of(CKind::kDyn);
  return kDyn;
}

bool is_numeric(CKind kind) {
  return kind == CKind::kInt || kind == CKind::kUint || kind == CKind::kDouble;
}

// Whether values of the two static types may meet in ==, `in`, list literals and ternaries.
bool compatible(const CType& a, const CType& b) {
  if (a.kind == CKind::kDyn || b.kind == CKind::kDyn) {
    return true;
  }
  if (a.kind != b.kind) {
    return false;
  }
  if (a.kind == CKind::kList) {
    return compatible(a.element(), b.element());
  }
  if (a.kind == CKind::kMap) {
    return compatible(a.key_type(), b.key_type()) && compatible(a.element(), b.element());
  }
  return true;
}

// The common type of two compatible types (dyn where they differ).
CType join(const CType& a, const CType& b) {
  if (a.kind == CKind::kNull) {
    return b;
  }
  if (b.kind == CKind::kNull) {
    return a;
  }
  if (!same_type(a, b)) {
    if (a.kind == CKind::kList && b.kind == CKind::kList) {
      return CType::list(join(a.element(), b.element()));
    }
    return dyn_type();
  }
  return a;
}

struct FunctionSpec {
  std::string_view name;
  Op op;
};

constexpr FunctionSpec kTimestampAccessors[] = {
    {"getFullYear", Op::kGetFullYear},
    {"getMonth", Op::kGetMonth},
    {"getDate", Op::kGetDate},
    {"getDayOfMonth", Op::kGetDayOfMonth},
    {"getDayOfWeek", Op::kGetDayOfWeek},
    {"getDayOfYear", Op::kGetDayOfYear},
    {"getHours", Op::kGetHours},
    {"getMinutes", Op::kGetMinutes},
    {"getSeconds", Op::kGetSeconds},
    {"getMilliseconds", Op::kGetMilliseconds},
};

}  // namespace

const CType& CType::element() const {
  return elem ? *elem : dyn_type();
}

const CType& CType::key_type() const {
  return key ? *key : dyn_type();
}

bool same_type(const CType& a, const CType& b) {
  if (a.kind != b.kind) {
    return false;
  }
  if (a.kind == CKind::kList) {
    return same_type(a.element(), b.element());
  }
  if (a.kind == CKind::kMap) {
    return same_type(a.key_type(), b.key_type()) && same_type(a.element(), b.element());
  }
  return true;
}

std::string type_name(const CType& type) {
  switch (type.kind) {
    case CKind::kDyn:
      return "dyn";
    case CKind::kNull:
      return "null_type";
    case CKind::kBool:
      return "bool";
    case CKind::kInt:
      return "int";
    case CKind::kUint:
      return "uint";
    case CKind::kDouble:
      return "double";
    case CKind::kString:
      return "string";
    case CKind::kBytes:
      return "bytes";
    case CKind::kDuration:
      return "google.protobuf.Duration";
    case CKind::kTimestamp:
      return "google.protobuf.Timestamp";
    case CKind::kIpAddress:
      return "IPAddress";
    case CKind::kList:
      return "list(" + type_name(type.element()) + ")";
    case CKind::kMap:
      return "map(" + type_name(type.key_type()) + ", " + type_name(type.element()) + ")";
  }
  return "?";
}

CType ctype_from(const Type& type) {
  switch (type.kind) {
    case TypeKind::kAny:
      return CType::of(CKind::kDyn);
    case TypeKind::kBool:
      return CType::of(CKind::kBool);
    case TypeKind::kString:
      return CType::of(CKind::kString);
    case TypeKind::kInt:
      return CType::of(CKind::kInt);
    case TypeKind::kUint:
      return CType::of(CKind::kUint);
    case TypeKind::kDouble:
      return CType::of(CKind::kDouble);
    case TypeKind::kBytes:
      return CType::of(CKind::kBytes);
    case TypeKind::kDuration:
      return CType::of(CKind::kDuration);
    case TypeKind::kTimestamp:
      return CType::of(CKind::kTimestamp);
    case TypeKind::kIpAddress:
      return CType::of(CKind::kIpAddress);
    case TypeKind::kList:
      return CType::list(type.generic.empty() ? CType{} : ctype_from(type.generic[0]));
    case TypeKind::kMap:
      return CType::map(CType::of(CKind::kString),
                        type.generic.empty() ? CType{} : ctype_from(type.generic[0]));
  }
  return CType{};
}

CType ctype_of_value(const Val& val) {
  switch (val.kind) {
    case Kind::kNull:
      return CType::of(CKind::kNull);
    case Kind::kBool:
      return CType::of(CKind::kBool);
    case Kind::kInt:
      return CType::of(CKind::kInt);
    case Kind::kUint:
      return CType::of(CKind::kUint);
    case Kind::kDouble:
      return CType::of(CKind::kDouble);
    case Kind::kString:
      return CType::of(CKind::kString);
    case Kind::kBytes:
      return CType::of(CKind::kBytes);
    case Kind::kDuration:
      return CType::of(CKind::kDuration);
    case Kind::kTimestamp:
      return CType::of(CKind::kTimestamp);
    case Kind::kIpAddress:
      return CType::of(CKind::kIpAddress);
    case Kind::kList: {
      CType elem = val.list->items.empty() ? CType{} : ctype_of_value(val.list->items[0]);
      for (const auto& item : val.list->items) {
        if (!same_type(elem, ctype_of_value(item))) {
          elem = CType{};
          break;
        }
      }
      return CType::list(elem);
    }
    case Kind::kMap: {
      CType key, value;
      bool first = true;
      for (const auto& [k, v] : val.map->entries) {
        CType kt = ctype_of_value(k), vt = ctype_of_value(v);
        if (first) {
          key = kt;
          value = vt;
          first = false;
        } else {
          if (!same_type(key, kt)) {
            key = CType{};
          }
          if (!same_type(value, vt)) {
            value = CType{};
          }
        }
      }
      return CType::map(key, value);
    }
    default:
      return CType{};
  }
}

Checker::Checker(std::string_view source,
                 const std::map<std::string, Type, std::less<>>& parameters,
                 std::vector<ValuePtr>& constants,
                 const FoldFn& fold)
    : source_(source), constants_(constants), fold_(fold) {
  for (const auto& [name, type] : parameters) {
    param_names_.push_back(name);
    param_types_.push_back(ctype_from(type));
  }
  referenced_.assign(param_names_.size(), false);
}

bool Checker::fail(const Node* node, std::string message) {
  if (error_.empty()) {
    error_ = source_location(source_, node->pos) + ": " + message;
  }
  return false;
}

bool Checker::no_overload(const Node* node, std::string_view name) {
  std::string args;
  for (const Node* arg : node->args) {
    if (!args.empty()) {
      args += ", ";
    }
    args += type_name(arg->type);
  }
  return fail(
      node,
      "found no matching overload for '" + std::string(name) + "' applied to '(" + args + ")'");
}

void Checker::make_const(Node* node, ValuePtr value) {
  node->type = ctype_of_value(value->val());
  node->kind = NodeKind::kLiteral;
  node->op = Op::kConst;
  node->args.clear();
  node->literal = value;
  constants_.push_back(std::move(value));
}

bool Checker::check(Node* node) {
  switch (node->kind) {
    case NodeKind::kLiteral:
      node->op = Op::kConst;
      node->type = ctype_of_value(node->literal->val());
      return true;
    case NodeKind::kIdent:
      return check_ident(node);
    case NodeKind::kSelect:
    case NodeKind::kHas: {
      if (!check(node->args[0])) {
        return false;
      }
      const CType& operand = node->args[0]->type;
      if (operand.kind != CKind::kMap && operand.kind != CKind::kDyn) {
        return fail(node, "type '" + type_name(operand) + "' does not support field selection");
      }
      if (operand.kind == CKind::kMap && operand.key_type().kind != CKind::kString
          && operand.key_type().kind != CKind::kDyn) {
        return fail(node, "type '" + type_name(operand) + "' does not support field selection");
      }
      node->op = node->kind == NodeKind::kHas ? Op::kHas : Op::kSelect;
      node->type = node->kind == NodeKind::kHas ? CType::of(CKind::kBool) : operand.element();
      if (node->kind == NodeKind::kHas) {
        node->type = CType::of(CKind::kBool);
      }
      return true;
    }
    case NodeKind::kList: {
      CType elem = CType::of(CKind::kNull);
      bool all_const = true;
      bool first = true;
      for (Node* item : node->args) {
        if (!check(item)) {
          return false;
        }
        all_const = all_const && item->op == Op::kConst;
        elem = first ? item->type
                     : (compatible(elem, item->type) ? join(elem, item->type) : dyn_type());
        first = false;
      }
      node->op = Op::kMakeList;
      node->type = CType::list(first ? CType{} : elem);
      if (all_const) {
        auto folded = fold_(node);
        if (!folded) {
          return fail(node, folded.error().message);
        }
        make_const(node, std::move(folded).value());
        node->type = CType::list(first ? CType{} : elem);
      }
      return true;
    }
    case NodeKind::kMap: {
      CType key, value;
      bool all_const = true;
      for (std::size_t i = 0; i < node->args.size(); i += 2) {
        Node* k = node->args[i];
        Node* v = node->args[i + 1];
        if (!check(k) || !check(v)) {
          return false;
        }
        const CKind kk = k->type.kind;
        if (kk != CKind::kString && kk != CKind::kInt && kk != CKind::kUint && kk != CKind::kBool
            && kk != CKind::kDyn) {
          return fail(k, "unsupported map key type '" + type_name(k->type) + "'");
        }
        all_const = all_const && k->op == Op::kConst && v->op == Op::kConst;
        key = i == 0 ? k->type : (same_type(key, k->type) ? key : dyn_type());
        value = i == 0 ? v->type : (same_type(value, v->type) ? value : dyn_type());
      }
      node->op = Op::kMakeMap;
      node->type = CType::map(key, value);
      if (all_const) {
        auto folded = fold_(node);
        if (!folded) {
          return fail(node, folded.error().message);
        }
        CType type = node->type;
        make_const(node, std::move(folded).value());
        node->type = type;
      }
      return true;
    }
    case NodeKind::kComprehension:
      return check_comprehension(node);
    case NodeKind::kCall:
      return check_call(node);
  }
  return fail(node, "unsupported expression");
}

bool Checker::check_ident(Node* node) {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    if (it->name == node->name) {
      node->op = Op::kIterVar;
      node->slot = it->slot;
      node->type = it->type;
      return true;
    }
  }
  for (std::size_t i = 0; i < param_names_.size(); ++i) {
    if (param_names_[i] == node->name) {
      node->op = Op::kParam;
      node->slot = static_cast<int>(i);
      node->type = param_types_[i];
      referenced_[i] = true;
      return true;
    }
  }
  return fail(node, "undeclared reference to '" + node->name + "'");
}

bool Checker::check_comprehension(Node* node) {
  if (!check(node->args[0])) {
    return false;
  }
  const CType& range = node->args[0]->type;
  CType var_type;
  if (range.kind == CKind::kList) {
    var_type = range.element();
  } else if (range.kind == CKind::kMap) {
    var_type = range.key_type();
  } else if (range.kind != CKind::kDyn) {
    return fail(
        node,
        "expression of type '" + type_name(range) + "' cannot be the range of a comprehension");
  }
  if (scopes_.size() >= kMaxSlots) {
    return fail(node, "comprehensions nest too deeply");
  }
  const int slot = static_cast<int>(scopes_.size());
  max_slots_ = std::max(max_slots_, slot + 1);
  scopes_.push_back(Scope{node->name, slot, var_type});
  node->slot = slot;
  bool ok = true;
  for (std::size_t i = 1; i < node->args.size() && ok; ++i) {
    ok = check(node->args[i]);
  }
  scopes_.pop_back();
  if (!ok) {
    return false;
  }
  auto need_bool = [&](const Node* arg) {
    return arg->type.kind == CKind::kBool || arg->type.kind == CKind::kDyn;
  };
  node->op = Op::kComprehension;
  switch (node->macro) {
    case Macro::kAll:
    case Macro::kExists:
    case Macro::kExistsOne:
      if (!need_bool(node->args[1])) {
        return fail(node->args[1],
                    "macro predicate must be bool, found '" + type_name(node->args[1]->type) + "'");
      }
      node->type = CType::of(CKind::kBool);
      return true;
    case Macro::kFilter:
      if (!need_bool(node->args[1])) {
        return fail(
            node->args[1],
            "filter predicate must be bool, found '" + type_name(node->args[1]->type) + "'");
      }
      node->type = CType::list(var_type);
      return true;
    case Macro::kMap:
      node->type = CType::list(node->args[1]->type);
      return true;
    case Macro::kMapFilter:
      if (!need_bool(node->args[1])) {
        return fail(node->args[1],
                    "map filter must be bool, found '" + type_name(node->args[1]->type) + "'");
      }
      node->type = CType::list(node->args[2]->type);
      return true;
  }
  return true;
}

bool Checker::check_call(Node* node) {
  const std::string& name = node->name;
  // Logical operators first: their operands are checked like any other, but the names are fixed.
  for (Node* arg : node->args) {
    if (!check(arg)) {
      return false;
    }
  }
  const auto argc = node->args.size();
  auto arg = [&](std::size_t i) -> const CType& {
    return node->args[i]->type;
  };
  auto kind = [&](std::size_t i) {
    return node->args[i]->type.kind;
  };
  auto is = [&](std::size_t i, CKind k) {
    return kind(i) == k || kind(i) == CKind::kDyn;
  };
  auto result = [&](Op op, CType type) {
    node->op = op;
    node->type = std::move(type);
    return true;
  };
  const CType kBool = CType::of(CKind::kBool);
  const CType kInt = CType::of(CKind::kInt);

  if (name == "_&&_" || name == "_||_") {
    if (!is(0, CKind::kBool) || !is(1, CKind::kBool)) {
      return no_overload(node, name);
    }
    return result(name == "_&&_" ? Op::kAnd : Op::kOr, kBool);
  }
  if (name == "!_") {
    if (!is(0, CKind::kBool)) {
      return no_overload(node, name);
    }
    return result(Op::kNot, kBool);
  }
  if (name == "_?_:_") {
    if (!is(0, CKind::kBool)) {
      return fail(node, "ternary condition must be bool, found '" + type_name(arg(0)) + "'");
    }
    if (!compatible(arg(1), arg(2)) && kind(1) != CKind::kNull && kind(2) != CKind::kNull) {
      return no_overload(node, name);
    }
    return result(Op::kTernary, join(arg(1), arg(2)));
  }
  if (name == "-_") {
    if (kind(0) == CKind::kInt || kind(0) == CKind::kDouble || kind(0) == CKind::kDyn) {
      return result(Op::kNeg, arg(0));
    }
    return no_overload(node, name);
  }
  if (name == "_==_" || name == "_!=_") {
    if (!compatible(arg(0), arg(1)) && kind(0) != CKind::kNull && kind(1) != CKind::kNull) {
      return no_overload(node, name);
    }
    return result(name == "_==_" ? Op::kEq : Op::kNe, kBool);
  }
  if (name == "_<_" || name == "_<=_" || name == "_>_" || name == "_>=_") {
    const Op op = name == "_<_"    ? Op::kLt
                  : name == "_<=_" ? Op::kLe
                  : name == "_>_"  ? Op::kGt
                                   : Op::kGe;
    const CKind a = kind(0), b = kind(1);
    auto orderable = [](CKind k) {
      return is_numeric(k) || k == CKind::kString || k == CKind::kBytes || k == CKind::kBool
             || k == CKind::kTimestamp || k == CKind::kDuration || k == CKind::kDyn;
    };
    if (!orderable(a) || !orderable(b)) {
      return no_overload(node, name);
    }
    if (a != CKind::kDyn && b != CKind::kDyn && a != b && !(is_numeric(a) && is_numeric(b))) {
      return no_overload(node, name);
    }
    return result(op, kBool);
  }
  if (name == "_+_" || name == "_-_" || name == "_*_" || name == "_/_" || name == "_%_") {
    const Op op = name == "_+_"   ? Op::kAdd
                  : name == "_-_" ? Op::kSub
                  : name == "_*_" ? Op::kMul
                  : name == "_/_" ? Op::kDiv
                                  : Op::kMod;
    const CKind a = kind(0), b = kind(1);
    if (a == CKind::kDyn || b == CKind::kDyn) {
      // The overload is only known at run time (timestamp - dyn may be a timestamp or a duration).
      return result(op, dyn_type());
    }
    if (a == b
        && (a == CKind::kInt || a == CKind::kUint || (a == CKind::kDouble && op != Op::kMod))) {
      return result(op, arg(0));
    }
    if (op == Op::kAdd) {
      if (a == b && (a == CKind::kString || a == CKind::kBytes || a == CKind::kDuration)) {
        return result(op, arg(0));
      }
      if (a == CKind::kList && b == CKind::kList) {
        return result(op, compatible(arg(0), arg(1)) ? join(arg(0), arg(1)) : CType::list(CType{}));
      }
      if ((a == CKind::kTimestamp && b == CKind::kDuration)
          || (a == CKind::kDuration && b == CKind::kTimestamp)) {
        return result(op, CType::of(CKind::kTimestamp));
      }
    }
    if (op == Op::kSub) {
      if (a == CKind::kTimestamp && b == CKind::kTimestamp) {
        return result(op, CType::of(CKind::kDuration));
      }
      if (a == CKind::kTimestamp && b == CKind::kDuration) {
        return result(op, CType::of(CKind::kTimestamp));
      }
      if (a == CKind::kDuration && b == CKind::kDuration) {
        return result(op, CType::of(CKind::kDuration));
      }
    }
    return no_overload(node, name);
  }
  if (name == "@in") {
    const CType& container = arg(1);
    if (container.kind == CKind::kDyn) {
      return result(Op::kIn, kBool);
    }
    if (container.kind == CKind::kList
        && (compatible(arg(0), container.element()) || kind(0) == CKind::kNull)) {
      return result(Op::kIn, kBool);
    }
    if (container.kind == CKind::kMap && compatible(arg(0), container.key_type())) {
      return result(Op::kIn, kBool);
    }
    return no_overload(node, "@in");
  }
  if (name == "_[_]") {
    const CType& container = arg(0);
    if (container.kind == CKind::kDyn) {
      return result(Op::kIndex, dyn_type());
    }
    if (container.kind == CKind::kList && (is(1, CKind::kInt) || kind(1) == CKind::kUint)) {
      return result(Op::kIndex, container.element());
    }
    if (container.kind == CKind::kMap && compatible(arg(1), container.key_type())) {
      return result(Op::kIndex, container.element());
    }
    return no_overload(node, "_[_]");
  }

  // Named functions, global (f(x)) or receiver style (x.f()).
  const bool recv = node->receiver_style;
  if (name == "size" && argc == 1) {
    const CKind k = kind(0);
    if (k == CKind::kString || k == CKind::kBytes || k == CKind::kList || k == CKind::kMap
        || k == CKind::kDyn) {
      return result(Op::kSize, kInt);
    }
    return no_overload(node, name);
  }
  if ((name == "contains" || name == "startsWith" || name == "endsWith") && recv && argc == 2) {
    if (!is(0, CKind::kString) || !is(1, CKind::kString)) {
      return no_overload(node, name);
    }
    return result(name == "contains"     ? Op::kContains
                  : name == "startsWith" ? Op::kStartsWith
                                         : Op::kEndsWith,
                  kBool);
  }
  if (name == "matches" && argc == 2) {
    if (!is(0, CKind::kString) || !is(1, CKind::kString)) {
      return no_overload(node, name);
    }
    Node* pattern = node->args[1];
    if (pattern->op == Op::kConst && pattern->literal->val().kind == Kind::kString) {
      auto regex = compile_regex(pattern->literal->val().view());
      if (!regex) {
        return fail(pattern, regex.error().message);
      }
      node->regex = std::move(regex).value();
    }
    return result(Op::kMatches, kBool);
  }
  if (name == "in_cidr" && recv && argc == 2) {
    if (!is(0, CKind::kIpAddress) || !is(1, CKind::kString)) {
      return no_overload(node, name);
    }
    return result(Op::kInCidr, kBool);
  }
  for (const auto& accessor : kTimestampAccessors) {
    if (name != accessor.name || !recv || argc < 1 || argc > 2) {
      continue;
    }
    const bool duration_ok = accessor.op == Op::kGetHours || accessor.op == Op::kGetMinutes
                             || accessor.op == Op::kGetSeconds
                             || accessor.op == Op::kGetMilliseconds;
    const bool receiver_ok = kind(0) == CKind::kTimestamp || kind(0) == CKind::kDyn
                             || (duration_ok && kind(0) == CKind::kDuration && argc == 1);
    if (!receiver_ok || (argc == 2 && !is(1, CKind::kString))) {
      return no_overload(node, name);
    }
    return result(accessor.op, kInt);
  }
  if (!recv && argc == 1) {
    const CKind k = kind(0);
    auto fold_if_const = [&]() -> bool {
      if (node->args[0]->op != Op::kConst) {
        return true;
      }
      auto folded = fold_(node);
      if (folded) {  // an invalid literal stays a run-time error, as in cel-go
        CType type = node->type;
        make_const(node, std::move(folded).value());
        node->type = type;
      }
      return true;
    };
    if (name == "int") {
      if (k == CKind::kInt || k == CKind::kUint || k == CKind::kDouble || k == CKind::kString
          || k == CKind::kTimestamp || k == CKind::kDyn) {
        return result(Op::kToInt, kInt);
      }
      return no_overload(node, name);
    }
    if (name == "uint") {
      if (is_numeric(k) || k == CKind::kString || k == CKind::kDyn) {
        return result(Op::kToUint, CType::of(CKind::kUint));
      }
      return no_overload(node, name);
    }
    if (name == "double") {
      if (is_numeric(k) || k == CKind::kString || k == CKind::kDyn) {
        return result(Op::kToDouble, CType::of(CKind::kDouble));
      }
      return no_overload(node, name);
    }
    if (name == "string") {
      if (is_numeric(k) || k == CKind::kString || k == CKind::kBytes || k == CKind::kBool
          || k == CKind::kTimestamp || k == CKind::kDuration || k == CKind::kDyn) {
        return result(Op::kToString, CType::of(CKind::kString));
      }
      return no_overload(node, name);
    }
    if (name == "bytes") {
      if (k == CKind::kString || k == CKind::kBytes || k == CKind::kDyn) {
        return result(Op::kToBytes, CType::of(CKind::kBytes));
      }
      return no_overload(node, name);
    }
    if (name == "bool") {
      if (k == CKind::kBool || k == CKind::kString || k == CKind::kDyn) {
        return result(Op::kToBool, kBool);
      }
      return no_overload(node, name);
    }
    if (name == "duration") {
      if (k == CKind::kString || k == CKind::kDuration || k == CKind::kDyn) {
        result(Op::kToDuration, CType::of(CKind::kDuration));
        return fold_if_const();
      }
      return no_overload(node, name);
    }
    if (name == "timestamp") {
      if (k == CKind::kString || k == CKind::kTimestamp || k == CKind::kInt || k == CKind::kDyn) {
        result(Op::kToTimestamp, CType::of(CKind::kTimestamp));
        return fold_if_const();
      }
      return no_overload(node, name);
    }
    if (name == "ipaddress") {
      if (k == CKind::kString || k == CKind::kDyn) {
        result(Op::kIpAddress, CType::of(CKind::kIpAddress));
        return fold_if_const();
      }
      return no_overload(node, name);
    }
    if (name == "dyn") {
      return result(Op::kDyn, dyn_type());
    }
  }
  return fail(node, "undeclared reference to '" + name + "' (in container '')");
}

Result<std::unique_ptr<re2::RE2>> compile_regex(std::string_view pattern) {
  if (pattern.size() > kMaxRegexBytes) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "regular expression is longer than " + std::to_string(kMaxRegexBytes) + " bytes");
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMem);
  auto regex =
      std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) {
    return make_error(ErrorCode::kInvalidArgument, "invalid regular expression: " + regex->error());
  }
  return regex;
}

}  // namespace mcpgate::cel
