// Program: compile (parse + check + fold) and the tree-walking evaluator.
//
// Evaluation is a recursive switch over the checked tree (its height is bounded by the parser).
// Values are Val handles: scalars inline, strings and aggregates borrowed from the activation or
// the Program's constants. Only operations that build new strings or aggregates (concatenation,
// conversions to string, list literals with variable elements, map/filter) allocate, into a
// per-evaluation arena that dies with the call.
//
// Error semantics follow cel-spec: errors and unknowns (absent parameters, in partial evaluation)
// propagate through strict operations; && and || are commutative, so `false && error` is false and
// `true || error` is true whichever side fails; all/exists absorb errors the same way.
//
// Cost model (Limits::max_cost, OpenFGA's default budget is 100), in the spirit of cel-go's
// runtime cost tracking:
//   * constants, &&, ||, !, ?: cost 0;
//   * reading a parameter or comprehension variable, field selection, indexing: 1;
//   * every other operator and function call: 1, plus, where the work is linear in the input,
//     1 per 10 bytes or elements, rounded up: contains (receiver), matches (subject; and the
//     pattern when it is not a literal), string/bytes/list concatenation (result), `in` on a list,
//     size() of a string, string(bytes); equality and ordering of strings and bytes add 1 per
//     100 bytes of the shorter operand (a memcmp);
//   * list and map construction: 1 plus 1 per element; each comprehension iteration: 1.
// A simple comparison `x <= 50` costs 2.
// Exceeding the budget stops evaluation with kCostExceeded.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "cel/ast.hpp"
#include "cel/cel.hpp"
#include "cel/checker.hpp"

namespace mcpgate::cel {

struct Program::Impl {
  Ast ast;
  std::vector<ValuePtr> constants;
  std::vector<std::string> declared;    // every declared parameter, in sorted order
  std::vector<std::string> referenced;  // the declared parameters the expression reads
  std::vector<int> referenced_index;    // their indexes into `declared`
  Limits limits;
};

namespace {

constexpr std::int64_t kNanosPerSecond = 1000000000;

std::uint64_t per_ten(std::size_t n) {
  return (n + 9) / 10;
}

std::uint64_t text_compare_cost(const Val& a, const Val& b) {
  const bool text = (a.kind == Kind::kString || a.kind == Kind::kBytes) && a.kind == b.kind;
  return text ? std::min(a.len, b.len) / 100 : 0;
}

class Evaluator {
 public:
  Evaluator(const Val* params, std::uint64_t max_cost) : params_(params), max_cost_(max_cost) {}

  Val eval(const Node* n);

  bool cost_exceeded() const { return cost_exceeded_; }

  std::uint64_t cost() const { return cost_; }

  const std::string& message(const Val& error) const {
    return errors_[static_cast<std::size_t>(error.i)];
  }

 private:
  Val error(std::string message) {
    errors_.push_back(std::move(message));
    Val out;
    out.kind = Kind::kError;
    out.i = static_cast<std::int64_t>(errors_.size() - 1);
    return out;
  }

  Val no_overload(std::string_view op, const Val& a) {
    return error(std::string("no such overload: ") + std::string(op) + "(" + kind_name(a.kind)
                 + ")");
  }

  Val no_overload(std::string_view op, const Val& a, const Val& b) {
    return error(std::string("no such overload: ") + std::string(op) + "(" + kind_name(a.kind)
                 + ", " + kind_name(b.kind) + ")");
  }

  // Returns false (and the caller returns the error) once the budget is spent.
  bool charge(std::uint64_t amount) {
    cost_ += amount;
    if (cost_ > max_cost_) {
      cost_exceeded_ = true;
      return false;
    }
    return true;
  }

  Val cost_error() { return error("operation cancelled: actual cost limit exceeded"); }

  static bool bad(const Val& v) { return v.kind == Kind::kError || v.kind == Kind::kUnknown; }

  // Strict propagation: unknown wins over error (cel-go merges unknowns ahead of errors).
  static const Val* first_bad(const Val& a, const Val& b) {
    if (a.kind == Kind::kUnknown) {
      return &a;
    }
    if (b.kind == Kind::kUnknown) {
      return &b;
    }
    if (a.kind == Kind::kError) {
      return &a;
    }
    if (b.kind == Kind::kError) {
      return &b;
    }
    return nullptr;
  }

  Val new_string(std::string text, Kind kind = Kind::kString) {
    strings_.push_back(std::make_unique<std::string>(std::move(text)));
    return Val::str(*strings_.back(), kind);
  }

  ListData* new_list() {
    lists_.push_back(std::make_unique<ListData>());
    return lists_.back().get();
  }

  Val eval_logical(const Node* n, bool is_and);
  Val eval_call(const Node* n);
  Val eval_binary(Op op, const Val& a, const Val& b);
  Val eval_comprehension(const Node* n);
  Val arith(Op op, const Val& a, const Val& b);
  Val index(const Val& container, const Val& key);
  Val in(const Val& element, const Val& container);
  Val convert(Op op, const Val& v);
  Val accessor(Op op, const Val& v, const Val* tz);
  Val matches(const Node* n, const Val& text, const Val& pattern);

  const Val* params_;
  std::uint64_t max_cost_;
  std::uint64_t cost_ = 0;
  bool cost_exceeded_ = false;
  std::vector<std::string> errors_;
  std::vector<std::unique_ptr<std::string>> strings_;
  std::vector<std::unique_ptr<ListData>> lists_;
  std::vector<std::unique_ptr<MapData>> maps_;
  std::vector<std::unique_ptr<IpAddr>> ips_;
  std::array<Val, kMaxSlots> slots_{};
};

// --- equality and ordering ------------------------------------------------------------------

bool is_number(Kind k) {
  return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble;
}

// Exact numeric comparison across int, uint and double; returns -2 when unordered (NaN).
int compare_numbers(const Val& a, const Val& b) {
  auto as_long = [](const Val& v) -> long double {
    switch (v.kind) {
      case Kind::kInt:
        return static_cast<long double>(v.i);
      case Kind::kUint:
        return static_cast<long double>(v.u);
      default:
        return static_cast<long double>(v.d);
    }
  };
  if (a.kind == b.kind && a.kind == Kind::kInt) {
    return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  }
  if (a.kind == b.kind && a.kind == Kind::kUint) {
    return a.u < b.u ? -1 : (a.u > b.u ? 1 : 0);
  }
  // x86-64 long double holds every int64 and uint64 exactly, so this is exact.
  const long double x = as_long(a), y = as_long(b);
  if (std::isnan(x) || std::isnan(y)) {
    return -2;
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool values_equal(const Val& a, const Val& b);

const Val* map_find(const MapData& map, const Val& key) {
  if (key.kind == Kind::kString && !map.string_index.empty()) {
    auto it = map.string_index.find(key.view());
    return it == map.string_index.end() ? nullptr : &map.entries[it->second].second;
  }
  for (const auto& [k, v] : map.entries) {
    if (values_equal(k, key)) {
      return &v;
    }
  }
  return nullptr;
}

bool values_equal(const Val& a, const Val& b) {
  if (is_number(a.kind) && is_number(b.kind)) {
    return compare_numbers(a, b) == 0;
  }
  if (a.kind != b.kind) {
    return false;
  }
  switch (a.kind) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.b == b.b;
    case Kind::kString:
    case Kind::kBytes:
      return a.view() == b.view();
    case Kind::kDuration:
      return a.i == b.i;
    case Kind::kTimestamp:
      return a.i == b.i && a.nanos == b.nanos;
    case Kind::kIpAddress:
      return ip_equal(*a.ip, *b.ip);
    case Kind::kList: {
      if (a.list->items.size() != b.list->items.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.list->items.size(); ++i) {
        if (!values_equal(a.list->items[i], b.list->items[i])) {
          return false;
        }
      }
      return true;
    }
    case Kind::kMap: {
      if (a.map->entries.size() != b.map->entries.size()) {
        return false;
      }
      for (const auto& [k, v] : a.map->entries) {
        const Val* other = map_find(*b.map, k);
        if (other == nullptr || !values_equal(v, *other)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

// Ordering of two values of an orderable kind; `ok` false when no overload applies.
int compare_values(const Val& a, const Val& b, bool& ok) {
  ok = true;
  if (is_number(a.kind) && is_number(b.kind)) {
    return compare_numbers(a, b);
  }
  if (a.kind != b.kind) {
    ok = false;
    return 0;
  }
  switch (a.kind) {
    case Kind::kBool:
      return a.b == b.b ? 0 : (a.b ? 1 : -1);
    case Kind::kString:
    case Kind::kBytes: {
      const int c = a.view().compare(b.view());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kDuration:
      return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    case Kind::kTimestamp:
      if (a.i != b.i) {
        return a.i < b.i ? -1 : 1;
      }
      return a.nanos < b.nanos ? -1 : (a.nanos > b.nanos ? 1 : 0);
    default:
      ok = false;
      return 0;
  }
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

bool valid_utf8_bytes(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80             ? 0
                    : (c & 0xE0) == 0xC0 ? 1
                    : (c & 0xF0) == 0xE0 ? 2
                    : (c & 0xF8) == 0xF0 ? 3
                                         : 9;
    if (n == 9 || i + n >= s.size() + (n == 0 ? 1 : 0)) {
      if (n != 0) {
        return false;
      }
    }
    std::uint32_t cp = n == 0 ? c : (n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07);
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
        || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Go's strconv.FormatFloat(d, 'g', -1, 64), which cel-go uses for string(double).
std::string format_double(double d) {
  if (std::isnan(d)) {
    return "NaN";
  }
  if (std::isinf(d)) {
    return d > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string text(buf, sci.ptr);
  const auto e = text.find('e');
  const int exponent = std::atoi(text.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6) {  // Go's shortest 'g' switches to %e from 1e+06
    return text;
  }
  auto fixed = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

Result<Val> timestamp_checked(std::int64_t seconds, std::int64_t nanos) {
  seconds += nanos / kNanosPerSecond;
  nanos %= kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return make_error(ErrorCode::kInvalidArgument, "timestamp overflow");
  }
  return Val::timestamp(seconds, static_cast<std::uint32_t>(nanos));
}

// Time zone argument of the timestamp accessors: "UTC" or a fixed offset "[+-]HH:MM". Named IANA
// zones are not supported (no tz database dependency); they are a run-time error.
bool parse_zone(std::string_view tz, std::int64_t& offset) {
  if (tz == "UTC" || tz == "GMT" || tz == "Z" || tz == "Etc/UTC") {
    offset = 0;
    return true;
  }
  int sign = 1;
  if (!tz.empty() && (tz[0] == '+' || tz[0] == '-')) {
    sign = tz[0] == '-' ? -1 : 1;
    tz.remove_prefix(1);
  }
  if (tz.size() != 5 || tz[2] != ':') {
    return false;
  }
  for (std::size_t i : {0, 1, 3, 4}) {
    if (tz[i] < '0' || tz[i] > '9') {
      return false;
    }
  }
  const int h = (tz[0] - '0') * 10 + (tz[1] - '0');
  const int m = (tz[3] - '0') * 10 + (tz[4] - '0');
  if (h > 23 || m > 59) {
    return false;
  }
  offset = sign * (h * 3600 + m * 60);
  return true;
}

}  // namespace

// --- evaluator ---------------------------------------------------------------------------------

Val Evaluator::eval(const Node* n) {
  switch (n->op) {
    case Op::kConst:
      return n->literal->val();
    case Op::kParam:
      if (!charge(1)) {
        return cost_error();
      }
      return params_[n->slot];
    case Op::kIterVar:
      if (!charge(1)) {
        return cost_error();
      }
      return slots_[static_cast<std::size_t>(n->slot)];
    case Op::kAnd:
      return eval_logical(n, true);
    case Op::kOr:
      return eval_logical(n, false);
    case Op::kNot: {
      const Val v = eval(n->args[0]);
      if (bad(v)) {
        return v;
      }
      if (v.kind != Kind::kBool) {
        return no_overload("!_", v);
      }
      return Val::boolean(!v.b);
    }
    case Op::kTernary: {
      const Val c = eval(n->args[0]);
      if (bad(c)) {
        return c;
      }
      if (c.kind != Kind::kBool) {
        return no_overload("_?_:_", c);
      }
      return eval(n->args[c.b ? 1 : 2]);
    }
    case Op::kComprehension:
      return eval_comprehension(n);
    case Op::kMakeList: {
      if (!charge(1 + n->args.size())) {
        return cost_error();
      }
      ListData* list = new_list();
      list->items.reserve(n->args.size());
      for (const Node* item : n->args) {
        Val v = eval(item);
        if (bad(v)) {
          return v;
        }
        list->items.push_back(v);
      }
      return Val::of_list(list);
    }
    case Op::kMakeMap: {
      if (!charge(1 + n->args.size() / 2)) {
        return cost_error();
      }
      maps_.push_back(std::make_unique<MapData>());
      MapData* map = maps_.back().get();
      for (std::size_t i = 0; i < n->args.size(); i += 2) {
        const Val k = eval(n->args[i]);
        if (bad(k)) {
          return k;
        }
        const Val v = eval(n->args[i + 1]);
        if (bad(v)) {
          return v;
        }
        if (k.kind != Kind::kString && k.kind != Kind::kInt && k.kind != Kind::kUint
            && k.kind != Kind::kBool) {
          return error(std::string("unsupported key type: ") + kind_name(k.kind));
        }
        if (map_find(*map, k) != nullptr) {
          return error("Failed with repeated key");
        }
        map->entries.emplace_back(k, v);
      }
      map->build_index();
      return Val::of_map(map);
    }
    case Op::kSelect:
    case Op::kHas: {
      const Val m = eval(n->args[0]);
      if (bad(m)) {
        return m;
      }
      if (!charge(1)) {
        return cost_error();
      }
      if (m.kind != Kind::kMap) {
        return error(std::string("type '") + kind_name(m.kind)
                     + "' does not support field selection");
      }
      const Val* found = map_find(*m.map, Val::str(n->name));
      if (n->op == Op::kHas) {
        return Val::boolean(found != nullptr);
      }
      if (found == nullptr) {
        return error("no such key: " + n->name);
      }
      return *found;
    }
    default:
      return eval_call(n);
  }
}

Val Evaluator::eval_logical(const Node* n, bool is_and) {
  // The deciding value is false for && and true for ||.
  const Val a = eval(n->args[0]);
  if (a.kind == Kind::kBool && a.b != is_and) {
    return a;
  }
  if (cost_exceeded_) {
    return a;
  }
  const Val b = eval(n->args[1]);
  if (b.kind == Kind::kBool && b.b != is_and) {
    return b;
  }
  if (cost_exceeded_) {
    return b;
  }
  if (a.kind == Kind::kBool && b.kind == Kind::kBool) {
    return Val::boolean(is_and);
  }
  if (a.kind == Kind::kUnknown) {
    return a;
  }
  if (b.kind == Kind::kUnknown) {
    return b;
  }
  if (a.kind == Kind::kError) {
    return a;
  }
  if (b.kind == Kind::kError) {
    return b;
  }
  return no_overload(is_and ? "_&&_" : "_||_", a, b);
}

Val Evaluator::eval_comprehension(const Node* n) {
  const Val range = eval(n->args[0]);
  if (bad(range)) {
    return range;
  }
  if (range.kind != Kind::kList && range.kind != Kind::kMap) {
    return error(std::string("expression of type '") + kind_name(range.kind)
                 + "' cannot be the range of a comprehension");
  }
  const std::size_t count =
      range.kind == Kind::kList ? range.list->items.size() : range.map->entries.size();
  auto item = [&](std::size_t i) {
    return range.kind == Kind::kList ? range.list->items[i] : range.map->entries[i].first;
  };
  Val& var = slots_[static_cast<std::size_t>(n->slot)];
  const Node* body = n->args[1];
  switch (n->macro) {
    case Macro::kAll:
    case Macro::kExists: {
      const bool deciding = n->macro == Macro::kExists;  // exists stops at true, all at false
      Val pending;
      bool has_pending = false;
      for (std::size_t i = 0; i < count; ++i) {
        if (!charge(1)) {
          return cost_error();
        }
        var = item(i);
        const Val v = eval(body);
        if (cost_exceeded_) {
          return v;
        }
        if (v.kind == Kind::kBool) {
          if (v.b == deciding) {
            return v;
          }
          continue;
        }
        const Val failure = bad(v) ? v : no_overload(deciding ? "exists" : "all", v);
        if (!has_pending || (failure.kind == Kind::kUnknown && pending.kind != Kind::kUnknown)) {
          pending = failure;
          has_pending = true;
        }
      }
      return has_pending ? pending : Val::boolean(!deciding);
    }
    case Macro::kExistsOne: {
      std::size_t matches = 0;
      for (std::size_t i = 0; i < count; ++i) {
        if (!charge(1)) {
          return cost_error();
        }
        var = item(i);
        const Val v = eval(body);
        if (bad(v)) {
          return v;
        }
        if (v.kind != Kind::kBool) {
          return no_overload("exists_one", v);
        }
        matches += v.b ? 1 : 0;
      }
      return Val::boolean(matches == 1);
    }
    case Macro::kMap:
    case Macro::kMapFilter:
    case Macro::kFilter: {
      ListData* out = new_list();
      for (std::size_t i = 0; i < count; ++i) {
        if (!charge(1)) {
          return cost_error();
        }
        var = item(i);
        if (n->macro != Macro::kMap) {
          const Val keep = eval(body);
          if (bad(keep)) {
            return keep;
          }
          if (keep.kind != Kind::kBool) {
            return no_overload("filter", keep);
          }
          if (!keep.b) {
            continue;
          }
        }
        if (n->macro == Macro::kFilter) {
          out->items.push_back(var);
          continue;
        }
        const Val mapped = eval(n->macro == Macro::kMap ? body : n->args[2]);
        if (bad(mapped)) {
          return mapped;
        }
        out->items.push_back(mapped);
      }
      return Val::of_list(out);
    }
  }
  return error("unsupported macro");
}

Val Evaluator::eval_call(const Node* n) {
  const std::size_t argc = n->args.size();
  Val a = argc > 0 ? eval(n->args[0]) : Val{};
  if (argc > 0 && bad(a)) {
    // Strict: still report an unknown from a later argument ahead of this error.
    if (a.kind == Kind::kError && argc > 1) {
      const Val b = eval(n->args[1]);
      if (b.kind == Kind::kUnknown) {
        return b;
      }
    }
    return a;
  }
  if (argc == 1) {
    if (!charge(1)) {
      return cost_error();
    }
    switch (n->op) {
      case Op::kNeg:
        if (a.kind == Kind::kInt) {
          if (a.i == std::numeric_limits<std::int64_t>::min()) {
            return error("integer overflow");
          }
          return Val::integer(-a.i);
        }
        if (a.kind == Kind::kDouble) {
          return Val::dbl(-a.d);
        }
        return no_overload("-_", a);
      case Op::kSize:
        switch (a.kind) {
          case Kind::kString:
            if (!charge(per_ten(a.len))) {
              return cost_error();
            }
            return Val::integer(static_cast<std::int64_t>(code_points(a.view())));
          case Kind::kBytes:
            return Val::integer(static_cast<std::int64_t>(a.len));
          case Kind::kList:
            return Val::integer(static_cast<std::int64_t>(a.list->items.size()));
          case Kind::kMap:
            return Val::integer(static_cast<std::int64_t>(a.map->entries.size()));
          default:
            return no_overload("size", a);
        }
      case Op::kDyn:
        return a;
      case Op::kIpAddress: {
        if (a.kind != Kind::kString) {
          return no_overload("ipaddress", a);
        }
        auto ip = parse_ip(a.view());
        if (!ip) {
          return error(ip.error().message);
        }
        ips_.push_back(std::make_unique<IpAddr>(std::move(ip).value()));
        return Val::of_ip(ips_.back().get());
      }
      case Op::kGetFullYear:
      case Op::kGetMonth:
      case Op::kGetDate:
      case Op::kGetDayOfMonth:
      case Op::kGetDayOfWeek:
      case Op::kGetDayOfYear:
      case Op::kGetHours:
      case Op::kGetMinutes:
      case Op::kGetSeconds:
      case Op::kGetMilliseconds:
        return accessor(n->op, a, nullptr);
      default:
        return convert(n->op, a);
    }
  }
  const Val b = eval(n->args[1]);
  if (bad(b)) {
    return b;
  }
  if (!charge(1)) {
    return cost_error();
  }
  switch (n->op) {
    case Op::kMatches:
      return matches(n, a, b);
    case Op::kGetFullYear:
    case Op::kGetMonth:
    case Op::kGetDate:
    case Op::kGetDayOfMonth:
    case Op::kGetDayOfWeek:
    case Op::kGetDayOfYear:
    case Op::kGetHours:
    case Op::kGetMinutes:
    case Op::kGetSeconds:
    case Op::kGetMilliseconds:
      return accessor(n->op, a, &b);
    default:
      return eval_binary(n->op, a, b);
  }
}

Val Evaluator::eval_binary(Op op, const Val& a, const Val& b) {
  switch (op) {
    case Op::kEq:
    case Op::kNe: {
      if (!charge(text_compare_cost(a, b))) {
        return cost_error();
      }
      const bool eq = values_equal(a, b);
      return Val::boolean(op == Op::kEq ? eq : !eq);
    }
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      if (!charge(text_compare_cost(a, b))) {
        return cost_error();
      }
      bool ok = false;
      const int c = compare_values(a, b, ok);
      if (!ok) {
        return no_overload(op == Op::kLt   ? "_<_"
                           : op == Op::kLe ? "_<=_"
                           : op == Op::kGt ? "_>_"
                                           : "_>=_",
                           a,
                           b);
      }
      if (c == -2) {
        return Val::boolean(false);
      }
      switch (op) {
        case Op::kLt:
          return Val::boolean(c < 0);
        case Op::kLe:
          return Val::boolean(c <= 0);
        case Op::kGt:
          return Val::boolean(c > 0);
        default:
          return Val::boolean(c >= 0);
      }
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod:
      return arith(op, a, b);
    case Op::kIn:
      return in(a, b);
    case Op::kIndex:
      return index(a, b);
    case Op::kContains:
    case Op::kStartsWith:
    case Op::kEndsWith: {
      if (a.kind != Kind::kString || b.kind != Kind::kString) {
        return no_overload(op == Op::kContains     ? "contains"
                           : op == Op::kStartsWith ? "startsWith"
                                                   : "endsWith",
                           a,
                           b);
      }
      const std::string_view s = a.view(), t = b.view();
      if (op == Op::kContains) {
        if (!charge(per_ten(s.size()))) {
          return cost_error();
        }
        return Val::boolean(s.find(t) != std::string_view::npos);
      }
      if (op == Op::kStartsWith) {
        return Val::boolean(s.substr(0, t.size()) == t);
      }
      return Val::boolean(s.size() >= t.size() && s.substr(s.size() - t.size()) == t);
    }
    case Op::kInCidr: {
      if (a.kind != Kind::kIpAddress || b.kind != Kind::kString) {
        return no_overload("in_cidr", a, b);
      }
      auto in_network = ip_in_cidr(*a.ip, b.view());
      if (!in_network) {
        return error(in_network.error().message);
      }
      return Val::boolean(*in_network);
    }
    default:
      return error("unsupported operation");
  }
}

Val Evaluator::arith(Op op, const Val& a, const Val& b) {
  static constexpr std::string_view kNames[] = {"_+_", "_-_", "_*_", "_/_", "_%_"};
  const std::string_view name = kNames[static_cast<int>(op) - static_cast<int>(Op::kAdd)];
  if (a.kind == Kind::kInt && b.kind == Kind::kInt) {
    std::int64_t r = 0;
    switch (op) {
      case Op::kAdd:
        if (__builtin_add_overflow(a.i, b.i, &r)) {
          return error("integer overflow");
        }
        return Val::integer(r);
      case Op::kSub:
        if (__builtin_sub_overflow(a.i, b.i, &r)) {
          return error("integer overflow");
        }
        return Val::integer(r);
      case Op::kMul:
        if (__builtin_mul_overflow(a.i, b.i, &r)) {
          return error("integer overflow");
        }
        return Val::integer(r);
      case Op::kDiv:
        if (b.i == 0) {
          return error("division by zero");
        }
        if (a.i == std::numeric_limits<std::int64_t>::min() && b.i == -1) {
          return error("integer overflow");
        }
        return Val::integer(a.i / b.i);
      default:
        if (b.i == 0) {
          return error("modulus by zero");
        }
        if (a.i == std::numeric_limits<std::int64_t>::min() && b.i == -1) {
          return error("integer overflow");
        }
        return Val::integer(a.i % b.i);
    }
  }
  if (a.kind == Kind::kUint && b.kind == Kind::kUint) {
    std::uint64_t r = 0;
    switch (op) {
      case Op::kAdd:
        if (__builtin_add_overflow(a.u, b.u, &r)) {
          return error("unsigned integer overflow");
        }
        return Val::uinteger(r);
      case Op::kSub:
        if (__builtin_sub_overflow(a.u, b.u, &r)) {
          return error("unsigned integer overflow");
        }
        return Val::uinteger(r);
      case Op::kMul:
        if (__builtin_mul_overflow(a.u, b.u, &r)) {
          return error("unsigned integer overflow");
        }
        return Val::uinteger(r);
      case Op::kDiv:
        if (b.u == 0) {
          return error("division by zero");
        }
        return Val::uinteger(a.u / b.u);
      default:
        if (b.u == 0) {
          return error("modulus by zero");
        }
        return Val::uinteger(a.u % b.u);
    }
  }
  if (a.kind == Kind::kDouble && b.kind == Kind::kDouble && op != Op::kMod) {
    switch (op) {
      case Op::kAdd:
        return Val::dbl(a.d + b.d);
      case Op::kSub:
        return Val::dbl(a.d - b.d);
      case Op::kMul:
        return Val::dbl(a.d * b.d);
      default:
        return Val::dbl(a.d / b.d);  // IEEE: x/0 is ±Inf or NaN, as in CEL
    }
  }
  if (op == Op::kAdd && a.kind == b.kind && (a.kind == Kind::kString || a.kind == Kind::kBytes)) {
    if (!charge(per_ten(a.len + b.len))) {
      return cost_error();
    }
    std::string joined;
    joined.reserve(a.len + b.len);
    joined.append(a.view());
    joined.append(b.view());
    return new_string(std::move(joined), a.kind);
  }
  if (op == Op::kAdd && a.kind == Kind::kList && b.kind == Kind::kList) {
    if (!charge(per_ten(a.list->items.size() + b.list->items.size()))) {
      return cost_error();
    }
    ListData* out = new_list();
    out->items = a.list->items;
    out->items.insert(out->items.end(), b.list->items.begin(), b.list->items.end());
    return Val::of_list(out);
  }
  if ((op == Op::kAdd || op == Op::kSub) && a.kind == Kind::kDuration
      && b.kind == Kind::kDuration) {
    std::int64_t r = 0;
    if (op == Op::kAdd ? __builtin_add_overflow(a.i, b.i, &r)
                       : __builtin_sub_overflow(a.i, b.i, &r)) {
      return error("duration overflow");
    }
    return Val::duration(r);
  }
  if ((op == Op::kAdd
       && ((a.kind == Kind::kTimestamp && b.kind == Kind::kDuration)
           || (a.kind == Kind::kDuration && b.kind == Kind::kTimestamp)))
      || (op == Op::kSub && a.kind == Kind::kTimestamp && b.kind == Kind::kDuration)) {
    const Val& ts = a.kind == Kind::kTimestamp ? a : b;
    const Val& d = a.kind == Kind::kDuration ? a : b;
    const std::int64_t delta =
        op == Op::kSub ? -d.i : d.i;  // d.i > INT64_MIN for a parsed duration bound
    if (op == Op::kSub && d.i == std::numeric_limits<std::int64_t>::min()) {
      return error("timestamp overflow");
    }
    auto out = timestamp_checked(ts.i + delta / kNanosPerSecond,
                                 static_cast<std::int64_t>(ts.nanos) + delta % kNanosPerSecond);
    if (!out) {
      return error(out.error().message);
    }
    return *out;
  }
  if (op == Op::kSub && a.kind == Kind::kTimestamp && b.kind == Kind::kTimestamp) {
    const Int128 nanos = (static_cast<Int128>(a.i) - b.i) * kNanosPerSecond
                         + (static_cast<Int128>(a.nanos) - b.nanos);
    if (nanos > std::numeric_limits<std::int64_t>::max()
        || nanos < std::numeric_limits<std::int64_t>::min()) {
      return error("duration overflow");
    }
    return Val::duration(static_cast<std::int64_t>(nanos));
  }
  return no_overload(name, a, b);
}

Val Evaluator::index(const Val& container, const Val& key) {
  if (container.kind == Kind::kList) {
    std::int64_t i = 0;
    if (key.kind == Kind::kInt) {
      i = key.i;
    } else if (key.kind == Kind::kUint
               && key.u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      i = static_cast<std::int64_t>(key.u);
    } else if (key.kind == Kind::kDouble && std::trunc(key.d) == key.d
               && std::abs(key.d) < 9.2e18) {
      i = static_cast<std::int64_t>(key.d);
    } else {
      return no_overload("_[_]", container, key);
    }
    if (i < 0 || static_cast<std::uint64_t>(i) >= container.list->items.size()) {
      return error("index out of range: " + std::to_string(i));
    }
    return container.list->items[static_cast<std::size_t>(i)];
  }
  if (container.kind == Kind::kMap) {
    const Val* found = map_find(*container.map, key);
    if (found == nullptr) {
      if (key.kind == Kind::kString) {
        return error("no such key: " + std::string(key.view().substr(0, 64)));
      }
      return error("no such key");
    }
    return *found;
  }
  return no_overload("_[_]", container, key);
}

Val Evaluator::in(const Val& element, const Val& container) {
  if (container.kind == Kind::kList) {
    if (!charge(per_ten(container.list->items.size()))) {
      return cost_error();
    }
    for (const Val& item : container.list->items) {
      if (values_equal(item, element)) {
        return Val::boolean(true);
      }
    }
    return Val::boolean(false);
  }
  if (container.kind == Kind::kMap) {
    return Val::boolean(map_find(*container.map, element) != nullptr);
  }
  return no_overload("@in", element, container);
}

Val Evaluator::matches(const Node* n, const Val& text, const Val& pattern) {
  if (text.kind != Kind::kString || pattern.kind != Kind::kString) {
    return no_overload("matches", text, pattern);
  }
  if (!charge(per_ten(text.len))) {
    return cost_error();
  }
  const re2::StringPiece subject(text.s, text.len);
  if (n->regex) {
    return Val::boolean(re2::RE2::PartialMatch(subject, *n->regex));
  }
  // A pattern computed at run time: compile it for this call (bounded like literal patterns).
  if (!charge(per_ten(pattern.len))) {
    return cost_error();
  }
  auto regex = compile_regex(pattern.view());
  if (!regex) {
    return error(regex.error().message);
  }
  return Val::boolean(re2::RE2::PartialMatch(subject, **regex));
}

Val Evaluator::convert(Op op, const Val& v) {
  switch (op) {
    case Op::kToInt:
      switch (v.kind) {
        case Kind::kInt:
          return v;
        case Kind::kUint:
          if (v.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return error("integer overflow");
          }
          return Val::integer(static_cast<std::int64_t>(v.u));
        case Kind::kDouble:
          if (!(v.d > -9223372036854775808.0 && v.d < 9223372036854775808.0)) {
            return error("integer overflow");
          }
          return Val::integer(static_cast<std::int64_t>(v.d));
        case Kind::kString: {
          std::int64_t out = 0;
          const auto s = v.view();
          auto [ptr, ec] = std::from_chars(
              s.data() + (!s.empty() && s[0] == '+' ? 1 : 0), s.data() + s.size(), out);
          if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
            return error("cannot convert string '" + std::string(s.substr(0, 64)) + "' to int");
          }
          return Val::integer(out);
        }
        case Kind::kTimestamp:
          return Val::integer(v.i);
        default:
          return no_overload("int", v);
      }
    case Op::kToUint:
      switch (v.kind) {
        case Kind::kUint:
          return v;
        case Kind::kInt:
          if (v.i < 0) {
            return error("unsigned integer overflow");
          }
          return Val::uinteger(static_cast<std::uint64_t>(v.i));
        case Kind::kDouble:
          if (!(v.d > -1.0 && v.d < 18446744073709551616.0)) {
            return error("unsigned integer overflow");
          }
          return Val::uinteger(static_cast<std::uint64_t>(v.d));
        case Kind::kString: {
          std::uint64_t out = 0;
          const auto s = v.view();
          auto [ptr, ec] = std::from_chars(
              s.data() + (!s.empty() && s[0] == '+' ? 1 : 0), s.data() + s.size(), out);
          if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
            return error("cannot convert string '" + std::string(s.substr(0, 64)) + "' to uint");
          }
          return Val::uinteger(out);
        }
        default:
          return no_overload("uint", v);
      }
    case Op::kToDouble:
      switch (v.kind) {
        case Kind::kDouble:
          return v;
        case Kind::kInt:
          return Val::dbl(static_cast<double>(v.i));
        case Kind::kUint:
          return Val::dbl(static_cast<double>(v.u));
        case Kind::kString: {
          // Go's strconv.ParseFloat: decimal syntax plus inf/infinity/nan in any case.
          std::string s(v.view().substr(0, 512));
          std::string lower;
          for (char c : s) {
            lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
          }
          std::string_view body = lower;
          if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
            body.remove_prefix(1);
          }
          const bool special = body == "inf" || body == "infinity" || body == "nan";
          bool decimal = !body.empty() && v.len <= 512;
          std::size_t i = 0, digits = 0;
          while (decimal && i < body.size() && body[i] >= '0' && body[i] <= '9') {
            ++i;
            ++digits;
          }
          if (decimal && i < body.size() && body[i] == '.') {
            ++i;
            while (i < body.size() && body[i] >= '0' && body[i] <= '9') {
              ++i;
              ++digits;
            }
          }
          if (decimal && i < body.size() && body[i] == 'e') {
            ++i;
            if (i < body.size() && (body[i] == '+' || body[i] == '-')) {
              ++i;
            }
            const std::size_t start = i;
            while (i < body.size() && body[i] >= '0' && body[i] <= '9') {
              ++i;
            }
            decimal = i > start;
          }
          decimal = decimal && digits > 0 && i == body.size();
          if (!special && !decimal) {
            return error("cannot convert string to double");
          }
          return Val::dbl(std::strtod(s.c_str(), nullptr));
        }
        default:
          return no_overload("double", v);
      }
    case Op::kToString:
      switch (v.kind) {
        case Kind::kString:
          return v;
        case Kind::kBytes:
          if (!charge(per_ten(v.len))) {
            return cost_error();
          }
          if (!valid_utf8_bytes(v.view())) {
            return error("invalid UTF-8 in bytes, cannot convert to string");
          }
          return Val::str(v.view());
        case Kind::kBool:
          return Val::str(v.b ? "true" : "false");
        case Kind::kInt:
          return new_string(std::to_string(v.i));
        case Kind::kUint:
          return new_string(std::to_string(v.u));
        case Kind::kDouble:
          return new_string(format_double(v.d));
        case Kind::kDuration:
          return new_string(format_duration(v.i));
        case Kind::kTimestamp:
          return new_string(format_timestamp(v.i, v.nanos));
        default:
          return no_overload("string", v);
      }
    case Op::kToBytes:
      if (v.kind == Kind::kString || v.kind == Kind::kBytes) {
        return Val::str(v.view(), Kind::kBytes);
      }
      return no_overload("bytes", v);
    case Op::kToBool:
      if (v.kind == Kind::kBool) {
        return v;
      }
      if (v.kind == Kind::kString) {
        const auto s = v.view();
        if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
          return Val::boolean(true);
        }
        if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
          return Val::boolean(false);
        }
        return error("cannot convert string to bool");
      }
      return no_overload("bool", v);
    case Op::kToDuration:
      if (v.kind == Kind::kDuration) {
        return v;
      }
      if (v.kind == Kind::kString) {
        auto d = parse_duration(v.view());
        if (!d) {
          return error(d.error().message);
        }
        return Val::duration(*d);
      }
      return no_overload("duration", v);
    case Op::kToTimestamp: {
      if (v.kind == Kind::kTimestamp) {
        return v;
      }
      Result<Val> ts = make_error(ErrorCode::kInvalidArgument, "");
      if (v.kind == Kind::kString) {
        ts = parse_timestamp(v.view());
      } else if (v.kind == Kind::kInt) {
        ts = timestamp_checked(v.i, 0);
      } else {
        return no_overload("timestamp", v);
      }
      if (!ts) {
        return error(ts.error().message);
      }
      if (ts->i < kMinTimestampSeconds || ts->i > kMaxTimestampSeconds) {
        return error("timestamp overflow");
      }
      return *ts;
    }
    default:
      return error("unsupported operation");
  }
}

Val Evaluator::accessor(Op op, const Val& v, const Val* tz) {
  if (v.kind == Kind::kDuration && tz == nullptr) {
    switch (op) {
      case Op::kGetHours:
        return Val::integer(v.i / (3600 * kNanosPerSecond));
      case Op::kGetMinutes:
        return Val::integer(v.i / (60 * kNanosPerSecond));
      case Op::kGetSeconds:
        return Val::integer(v.i / kNanosPerSecond);
      case Op::kGetMilliseconds:
        return Val::integer(v.i / 1000000);
      default:
        return no_overload("accessor", v);
    }
  }
  if (v.kind != Kind::kTimestamp) {
    return no_overload("accessor", v);
  }
  std::int64_t offset = 0;
  if (tz != nullptr) {
    if (tz->kind != Kind::kString) {
      return no_overload("accessor", v, *tz);
    }
    if (!parse_zone(tz->view(), offset)) {
      return error("unsupported time zone '" + std::string(tz->view().substr(0, 64)) + "'");
    }
  }
  const std::int64_t local = v.i + offset;
  std::int64_t days = local / 86400;
  std::int64_t secs = local % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  switch (op) {
    case Op::kGetFullYear:
      return Val::integer(year);
    case Op::kGetMonth:
      return Val::integer(static_cast<std::int64_t>(month) - 1);
    case Op::kGetDate:
      return Val::integer(day);
    case Op::kGetDayOfMonth:
      return Val::integer(static_cast<std::int64_t>(day) - 1);
    case Op::kGetDayOfWeek:
      return Val::integer(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    case Op::kGetDayOfYear:
      return Val::integer(days - days_from_civil(year, 1, 1));
    case Op::kGetHours:
      return Val::integer(secs / 3600);
    case Op::kGetMinutes:
      return Val::integer(secs / 60 % 60);
    case Op::kGetSeconds:
      return Val::integer(secs % 60);
    case Op::kGetMilliseconds:
      return Val::integer(v.nanos / 1000000);
    default:
      return no_overload("accessor", v);
  }
}

// --- materialising folded constants --------------------------------------------------------

namespace {

ValuePtr materialize(const Val& v) {
  switch (v.kind) {
    case Kind::kString:
    case Kind::kBytes:
      return Value::make_string(std::string(v.view()), v.kind);
    case Kind::kIpAddress:
      return Value::make_ip(*v.ip);
    case Kind::kList: {
      std::vector<ValuePtr> items;
      items.reserve(v.list->items.size());
      for (const auto& item : v.list->items) {
        items.push_back(materialize(item));
      }
      return Value::make_list(std::move(items));
    }
    case Kind::kMap: {
      std::vector<std::pair<ValuePtr, ValuePtr>> entries;
      entries.reserve(v.map->entries.size());
      for (const auto& [key, value] : v.map->entries) {
        entries.emplace_back(materialize(key), materialize(value));
      }
      return Value::make_map(std::move(entries));
    }
    default:
      return Value::make_scalar(v);
  }
}

}  // namespace

// --- Program -------------------------------------------------------------------------------

Result<Program> Program::compile(std::string_view expression,
                                 const std::map<std::string, Type, std::less<>>& parameters,
                                 const Limits& limits) {
  auto ast = parse(expression, limits);
  if (!ast) {
    return ast.error();
  }
  auto impl = std::make_shared<Impl>();
  impl->ast = std::move(ast).value();
  impl->limits = limits;
  // Folding evaluates constant subtrees with an unlimited budget: they are bounded by the
  // expression size, and the cost of a constant is paid once here, not per evaluation.
  const FoldFn fold = [](const Node* node) -> Result<ValuePtr> {
    Evaluator evaluator(nullptr, std::numeric_limits<std::uint64_t>::max());
    const Val v = evaluator.eval(node);
    if (v.kind == Kind::kError) {
      return make_error(ErrorCode::kInvalidArgument, evaluator.message(v));
    }
    if (v.kind == Kind::kUnknown) {
      return make_error(ErrorCode::kInvalidArgument, "not constant");
    }
    return materialize(v);
  };
  Checker checker(expression, parameters, impl->constants, fold);
  if (!checker.check(impl->ast.root)) {
    return make_error(ErrorCode::kInvalidArgument, checker.error());
  }
  if (impl->ast.root->type.kind != CKind::kBool) {
    return make_error(ErrorCode::kInvalidArgument,
                      "expected a bool condition expression output, but got '"
                          + type_name(impl->ast.root->type) + "'");
  }
  int index = 0;
  for (const auto& [name, type] : parameters) {
    impl->declared.push_back(name);
    if (checker.referenced()[static_cast<std::size_t>(index)]) {
      impl->referenced.push_back(name);
      impl->referenced_index.push_back(index);
    }
    ++index;
  }
  return Program(std::move(impl));
}

const std::vector<std::string>& Program::referenced_parameters() const {
  return impl_->referenced;
}

namespace {

constexpr std::size_t kInlineParams = 16;

EvalResult run(const Program::Impl& impl, const Activation& activation, bool partial) {
  // Resolve the declared parameters by walking the two sorted maps side by side.
  std::array<Val, kInlineParams> inline_params;
  std::vector<Val> heap_params;
  Val* params = inline_params.data();
  if (impl.declared.size() > kInlineParams) {
    heap_params.resize(impl.declared.size());
    params = heap_params.data();
  }
  std::vector<std::string> missing;
  auto act = activation.begin();
  for (std::size_t i = 0; i < impl.declared.size(); ++i) {
    const std::string& name = impl.declared[i];
    while (act != activation.end() && act->first < name) {
      ++act;
    }
    if (act != activation.end() && act->first == name && act->second != nullptr) {
      params[i] = act->second->val();
    } else {
      params[i].kind = Kind::kUnknown;
      if (!partial) {
        missing.push_back(name);
      }
    }
  }
  Evaluator evaluator(params, impl.limits.max_cost);
  const Val result = evaluator.eval(impl.ast.root);
  if (evaluator.cost_exceeded()) {
    return EvalError{
        EvalErrorKind::kCostExceeded,
        "condition evaluation cost exceeded the limit of " + std::to_string(impl.limits.max_cost),
        {}};
  }
  if (result.kind == Kind::kError) {
    return EvalError{EvalErrorKind::kRuntime, evaluator.message(result), {}};
  }
  if (partial && result.kind == Kind::kUnknown) {
    for (std::size_t k = 0; k < impl.referenced_index.size(); ++k) {
      if (params[impl.referenced_index[k]].kind == Kind::kUnknown) {
        missing.push_back(impl.referenced[k]);
      }
    }
  }
  if (!missing.empty() || result.kind == Kind::kUnknown) {
    std::string list;
    for (const auto& name : missing) {
      list += list.empty() ? "" : ", ";
      list += name;
    }
    return EvalError{EvalErrorKind::kMissingParameter,
                     "missing context parameters: " + list,
                     std::move(missing)};
  }
  if (result.kind != Kind::kBool) {
    return EvalError{EvalErrorKind::kRuntime,
                     std::string("condition result is not a bool but ") + kind_name(result.kind),
                     {}};
  }
  return result.b;
}

}  // namespace

EvalResult Program::evaluate(const Activation& activation) const {
  return run(*impl_, activation, false);
}

EvalResult Program::evaluate_partial(const Activation& activation) const {
  return run(*impl_, activation, true);
}

}  // namespace mcpgate::cel
