#include "scim/sql.hpp"

#include <optional>
#include <utility>

#include "core/ascii.hpp"
#include "scim/datetime.hpp"
#include "scim/error.hpp"
#include "scim/names.hpp"

namespace mcpgate::scim {

namespace {

// [A-Za-z_][A-Za-z0-9_]* with at most one qualifying dot.
bool is_sql_identifier(std::string_view s) {
  int dots = 0;
  bool at_start = true;
  for (const char c : s) {
    if (c == '.') {
      if (at_start || ++dots > 1) {
        return false;
      }
      at_start = true;
      continue;
    }
    if (!(ascii::is_alpha(c) || c == '_' || (!at_start && ascii::is_digit(c)))) {
      return false;
    }
    at_start = false;
  }
  return !at_start;
}

Status validate_mapping(const SqlMapping& m) {
  const auto bad = [](const std::string& what) {
    return make_error(ErrorCode::kInternal, "SQL mapping: '" + printable(what) + "' is not an identifier");
  };
  for (const auto& [key, column] : m.columns) {
    if (!is_sql_identifier(column.column)) {
      return bad(column.column);
    }
  }
  for (const auto& [key, table] : m.value_tables) {
    for (const std::string* id : {&table.table, &table.owner_column, &table.owner_key}) {
      if (!is_sql_identifier(*id)) {
        return bad(*id);
      }
    }
    for (const auto& [sub, column] : table.columns) {
      if (!is_sql_identifier(column.column) || column.column.find('.') != std::string::npos) {
        return bad(column.column);
      }
    }
  }
  if (!m.json_column.empty() && !is_sql_identifier(m.json_column)) {
    return bad(m.json_column);
  }
  if (m.first_parameter < 1) {
    return make_error(ErrorCode::kInternal, "SQL mapping: first_parameter must be at least 1");
  }
  return {};
}

std::string_view comparison_operator(CompareOp op) {
  switch (op) {
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    default:
      return "=";
  }
}

std::string coalesce_false(const std::string& predicate) { return "COALESCE((" + predicate + "), FALSE)"; }

struct SqlContext {
  bool negative = false;  // under an odd number of NOTs: a superset stand-in must be FALSE
  bool wrap = false;      // under some NOT: terms must never be NULL
};

// Where one scalar is read.
struct ValueSource {
  enum class Kind { kColumn, kSqliteJson, kPgJson };
  Kind kind = Kind::kColumn;
  std::string value;  // kColumn: the column; kSqliteJson: json_extract(…); kPgJson: the text (->>)
  std::string type;   // kSqliteJson: json_type(…); kPgJson: the jsonb value
  bool folded = false;
};

// The rows a multi-valued attribute's values come from inside an EXISTS.
struct ElementScope {
  enum class Kind { kTable, kJson };
  Kind kind = Kind::kJson;
  std::string alias;
  const SqlValueTable* table = nullptr;
};

class SqlCompiler {
 public:
  explicit SqlCompiler(const Filter& filter, const SqlMapping& mapping) : filter_(filter), m_(mapping) {}

  Result<std::string> node(NodeId id, SqlContext ctx, const ElementScope* scope) {
    const Node& n = filter_.nodes[id];
    switch (n.kind) {
      case NodeKind::kAnd:
      case NodeKind::kOr: {
        std::string out = "(";
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          if (i > 0) {
            out += n.kind == NodeKind::kAnd ? " AND " : " OR ";
          }
          MCPGATE_ASSIGN_OR_RETURN(const std::string child, node(n.children[i], ctx, scope));
          out += child;
        }
        return out + ")";
      }
      case NodeKind::kNot: {
        MCPGATE_ASSIGN_OR_RETURN(const std::string child, node(n.children[0], SqlContext{!ctx.negative, true}, scope));
        return "NOT (" + child + ")";
      }
      case NodeKind::kValuePath:
        return value_path(n, ctx);
      case NodeKind::kCompare:
        break;
    }
    if (scope == nullptr && !n.in_element && n.target.attr->multi_valued) {
      return multi_valued_term(n, ctx);
    }
    const auto source = scope != nullptr ? element_source(*scope, *n.target.sub) : row_source(n.target);
    if (!source) {
      return unmapped(n, ctx);
    }
    const std::string predicate = term(n, *source);
    if (n.negate) {
      return "NOT " + coalesce_false(predicate);
    }
    return ctx.wrap ? coalesce_false(predicate) : predicate;
  }

  std::vector<SqlValue> take_params() { return std::move(params_); }
  bool exact() const { return exact_; }

 private:
  std::string param(SqlValue v) {
    params_.push_back(std::move(v));
    const std::string number = std::to_string(m_.first_parameter + static_cast<int>(params_.size()) - 1);
    return (m_.dialect == SqlDialect::kSqlite ? "?" : "$") + number;
  }

  std::string fresh_alias() { return "scim_e" + std::to_string(++aliases_); }

  Result<std::string> unmapped(const Node& n, SqlContext ctx) {
    if (m_.unmapped == UnmappedAttributes::kError) {
      return scim_error(ScimType::kInvalidFilter,
                        "filtering on '" + printable(n.path.to_string()) + "' is not supported");
    }
    exact_ = false;
    return std::string(ctx.negative ? "1=0" : "1=1");
  }

  static std::vector<std::string> json_keys(const Resolved& r, bool with_sub) {
    std::vector<std::string> keys;
    if (r.in_extension) {
      keys.push_back(r.schema->id);
    }
    keys.push_back(r.attr->name);
    if (with_sub && r.sub != nullptr) {
      keys.push_back(r.sub->name);
    }
    return keys;
  }

  // A JSON value under `base` at `keys`.
  ValueSource json_source(const std::string& base, const std::vector<std::string>& keys) {
    ValueSource s;
    if (m_.dialect == SqlDialect::kSqlite) {
      std::string path = "$";
      for (const auto& k : keys) {
        path += ".\"" + k + "\"";
      }
      const std::string p = param(path);
      s.kind = ValueSource::Kind::kSqliteJson;
      s.value = "json_extract(" + base + ", " + p + ")";
      s.type = "json_type(" + base + ", " + p + ")";
    } else {
      std::string args;
      for (const auto& k : keys) {
        args += ", " + param(k) + "::text";
      }
      s.kind = ValueSource::Kind::kPgJson;
      s.value = "jsonb_extract_path_text(" + base + args + ")";
      s.type = "jsonb_extract_path(" + base + args + ")";
    }
    return s;
  }

  std::optional<ValueSource> row_source(const Resolved& target) {
    if (const auto it = m_.columns.find(target.key()); it != m_.columns.end()) {
      return ValueSource{ValueSource::Kind::kColumn, it->second.column, "", it->second.folded};
    }
    if (m_.json_column.empty()) {
      return std::nullopt;
    }
    return json_source(m_.json_column, json_keys(target, true));
  }

  std::optional<ValueSource> element_source(const ElementScope& scope, const Attribute& sub) {
    if (scope.kind == ElementScope::Kind::kTable) {
      const auto it = scope.table->columns.find(ascii::to_lower(sub.name));
      if (it == scope.table->columns.end()) {
        return std::nullopt;
      }
      return ValueSource{ValueSource::Kind::kColumn, scope.alias + "." + it->second.column, "", it->second.folded};
    }
    return json_source(scope.alias + ".value", {sub.name});
  }

  // The element itself (a value of a simple multi-valued attribute).
  ValueSource json_element(const std::string& alias) const {
    if (m_.dialect == SqlDialect::kSqlite) {
      return ValueSource{ValueSource::Kind::kSqliteJson, alias + ".value", alias + ".type", false};
    }
    return ValueSource{ValueSource::Kind::kPgJson, "(" + alias + ".value #>> '{}')", alias + ".value", false};
  }

  // FROM clause rows: the values of the JSON array at `keys`.
  std::string json_elements(const std::vector<std::string>& keys, const std::string& alias) {
    if (m_.dialect == SqlDialect::kSqlite) {
      std::string path = "$";
      for (const auto& k : keys) {
        path += ".\"" + k + "\"";
      }
      return "json_each(" + m_.json_column + ", " + param(path) + ") AS " + alias;
    }
    std::string args;
    for (const auto& k : keys) {
      args += ", " + param(k) + "::text";
    }
    const std::string array = "jsonb_extract_path(" + m_.json_column + args + ")";
    // A stored scalar or object counts as one value, as in the evaluator and SQLite's json_each.
    return "jsonb_array_elements(CASE WHEN jsonb_typeof(" + array + ") = 'array' THEN " + array + " WHEN " + array
           + " IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(" + array + ") END) AS " + alias + "(value)";
  }

  const SqlValueTable* value_table(const Resolved& target) const {
    Resolved attr_only = target;
    attr_only.sub = nullptr;
    const auto it = m_.value_tables.find(attr_only.key());
    return it == m_.value_tables.end() ? nullptr : &it->second;
  }

  std::string exists_in_table(const SqlValueTable& t, const std::string& alias, const std::string& where) const {
    return "EXISTS (SELECT 1 FROM " + t.table + " AS " + alias + " WHERE " + alias + "." + t.owner_column + " = "
           + t.owner_key + " AND " + where + ")";
  }

  // A term on a multi-valued attribute outside a value filter: any value matches.
  Result<std::string> multi_valued_term(const Node& n, SqlContext ctx) {
    const Resolved& t = n.target;
    std::string exists;
    const SqlValueTable* table = value_table(t);
    const bool table_has_it = table != nullptr
                              && (t.sub != nullptr ? table->columns.count(ascii::to_lower(t.sub->name)) > 0
                                                   : t.attr->type == AttrType::kComplex && n.op == CompareOp::kPr);
    if (table_has_it) {
      const std::string alias = fresh_alias();
      std::string inner = "1=1";
      if (t.sub != nullptr) {
        const auto& column = table->columns.find(ascii::to_lower(t.sub->name))->second;
        inner = term(n, ValueSource{ValueSource::Kind::kColumn, alias + "." + column.column, "", column.folded});
      }
      exists = exists_in_table(*table, alias, inner);
    } else if (!m_.json_column.empty()) {
      const std::string alias = fresh_alias();
      const std::string from = json_elements(json_keys(t, false), alias);
      const ValueSource source = t.sub != nullptr ? json_source(alias + ".value", {t.sub->name}) : json_element(alias);
      exists = "EXISTS (SELECT 1 FROM " + from + " WHERE " + term(n, source) + ")";
    } else {
      return unmapped(n, ctx);
    }
    return n.negate ? "NOT " + exists : exists;
  }

  bool table_maps_all(const SqlValueTable& table, NodeId id) const {
    const Node& n = filter_.nodes[id];
    if (n.kind == NodeKind::kCompare) {
      return table.columns.count(ascii::to_lower(n.target.sub->name)) > 0;
    }
    for (const NodeId child : n.children) {
      if (!table_maps_all(table, child)) {
        return false;
      }
    }
    return true;
  }

  Result<std::string> value_path(const Node& n, SqlContext ctx) {
    const SqlContext inner_ctx{ctx.negative, false};
    if (!n.target.attr->multi_valued) {
      // name[givenName eq "x"]: the sub-attributes are columns or JSON of the row itself.
      return node(n.children[0], ctx, nullptr);
    }
    ElementScope scope;
    scope.alias = fresh_alias();
    const SqlValueTable* table = value_table(n.target);
    if (table != nullptr && table_maps_all(*table, n.children[0])) {
      scope.kind = ElementScope::Kind::kTable;
      scope.table = table;
      MCPGATE_ASSIGN_OR_RETURN(const std::string inner, node(n.children[0], inner_ctx, &scope));
      return exists_in_table(*table, scope.alias, inner);
    }
    if (m_.json_column.empty()) {
      return unmapped(n, ctx);
    }
    const std::string from = json_elements(json_keys(n.target, false), scope.alias);
    MCPGATE_ASSIGN_OR_RETURN(const std::string inner, node(n.children[0], inner_ctx, &scope));
    return "EXISTS (SELECT 1 FROM " + from + " WHERE " + inner + ")";
  }

  std::string present(const Attribute& leaf, const ValueSource& s) const {
    switch (s.kind) {
      case ValueSource::Kind::kColumn:
        if (leaf.is_string_like()) {
          return "(" + s.value + " IS NOT NULL AND " + s.value + " <> '')";
        }
        return s.value + " IS NOT NULL";
      case ValueSource::Kind::kSqliteJson:
        return "(" + s.type + " <> 'null' AND NOT (" + s.type + " = 'text' AND " + s.value + " = '') AND NOT ("
               + s.type + " IN ('object', 'array') AND " + s.value + " IN ('{}', '[]')))";
      case ValueSource::Kind::kPgJson:
        return "(jsonb_typeof(" + s.type + ") <> 'null' AND " + s.type + " NOT IN ('\"\"'::jsonb, '{}'::jsonb, '[]'::jsonb))";
    }
    return "1=0";
  }

  std::string string_term(const Node& n, const Attribute& leaf, const ValueSource& s) {
    std::string lhs = s.value;
    std::string guard;
    if (s.kind == ValueSource::Kind::kSqliteJson) {
      guard = s.type + " = 'text' AND ";
    } else if (s.kind == ValueSource::Kind::kPgJson) {
      guard = "jsonb_typeof(" + s.type + ") = 'string' AND ";
    }
    if (!leaf.case_exact && !s.folded) {
      lhs = "lower(" + lhs + ")";
    }
    const std::string& needle = n.value.text;
    const bool pg = m_.dialect == SqlDialect::kPostgres;
    switch (n.op) {
      case CompareOp::kCo:
      case CompareOp::kSw:
      case CompareOp::kEw: {
        if (!leaf.case_exact || pg) {
          // SQLite's LIKE ignores ASCII case; both sides are lower-cased here, so it agrees. In
          // PostgreSQL LIKE is case-sensitive, which is what caseExact wants.
          return "(" + guard + lhs + " LIKE " + param(like_pattern(n.op, needle)) + " ESCAPE '\\')";
        }
        if (needle.empty()) {
          return "(" + guard + lhs + " IS NOT NULL)";
        }
        const std::string p = param(needle);
        if (n.op == CompareOp::kCo) {
          return "(" + guard + "instr(" + lhs + ", " + p + ") > 0)";
        }
        if (n.op == CompareOp::kSw) {
          return "(" + guard + "substr(" + lhs + ", 1, length(" + p + ")) = " + p + ")";
        }
        return "(" + guard + "substr(" + lhs + ", -length(" + p + ")) = " + p + ")";
      }
      case CompareOp::kEq:
        return "(" + guard + lhs + " = " + param(needle) + ")";
      default:
        // Byte order, as the evaluator compares (PostgreSQL's default collation may not be).
        return "(" + guard + lhs + (pg ? " COLLATE \"C\" " : " ") + std::string(comparison_operator(n.op)) + " "
               + param(needle) + ")";
    }
  }

  std::string number_param(const TypedValue& v) {
    return v.is_integer ? param(SqlValue(v.integer)) : param(SqlValue(v.number));
  }

  // The predicate of one compare node on one value source (NULL when the value is missing).
  std::string term(const Node& n, const ValueSource& s) {
    const Attribute& leaf = *n.target.leaf();
    if (n.op == CompareOp::kPr) {
      return present(leaf, s);
    }
    const std::string op(comparison_operator(n.op));
    const bool sqlite = m_.dialect == SqlDialect::kSqlite;
    switch (n.value.kind) {
      case TypedValue::Kind::kString:
        return string_term(n, leaf, s);
      case TypedValue::Kind::kBoolean:
        if (s.kind == ValueSource::Kind::kColumn) {
          return "(" + s.value + " = " + param(SqlValue(n.value.boolean)) + ")";
        }
        if (s.kind == ValueSource::Kind::kSqliteJson) {
          return "(" + s.type + " = " + param(std::string(n.value.boolean ? "true" : "false")) + ")";
        }
        return "(" + s.type + " = " + param(std::string(n.value.boolean ? "true" : "false")) + "::jsonb)";
      case TypedValue::Kind::kNumber:
        if (s.kind == ValueSource::Kind::kColumn) {
          return "(" + s.value + " " + op + " " + number_param(n.value) + ")";
        }
        if (s.kind == ValueSource::Kind::kSqliteJson) {
          return "(" + s.type + " IN ('integer', 'real') AND " + s.value + " " + op + " " + number_param(n.value) + ")";
        }
        return "(CASE WHEN jsonb_typeof(" + s.type + ") = 'number' THEN (" + s.value + ")::numeric END " + op + " "
               + number_param(n.value) + "::numeric)";
      case TypedValue::Kind::kDateTime: {
        const std::string p = param(format_datetime(n.value.integer));
        if (sqlite) {
          const std::string guard = s.kind == ValueSource::Kind::kSqliteJson ? s.type + " = 'text' AND " : "";
          return "(" + guard + "julianday(" + s.value + ") " + op + " julianday(" + p + "))";
        }
        if (s.kind == ValueSource::Kind::kColumn) {
          return "((" + s.value + ")::timestamptz " + op + " " + p + "::timestamptz)";
        }
        return "(CASE WHEN jsonb_typeof(" + s.type + ") = 'string' THEN (" + s.value + ")::timestamptz END " + op + " "
               + p + "::timestamptz)";
      }
      case TypedValue::Kind::kNone:
        break;
    }
    return "1=0";
  }

  const Filter& filter_;
  const SqlMapping& m_;
  std::vector<SqlValue> params_;
  int aliases_ = 0;
  bool exact_ = true;
};

}  // namespace

std::string like_pattern(CompareOp op, std::string_view needle) {
  std::string out;
  if (op == CompareOp::kCo || op == CompareOp::kEw) {
    out += '%';
  }
  for (const char c : needle) {
    if (c == '\\' || c == '%' || c == '_') {
      out += '\\';
    }
    out += c;
  }
  if (op == CompareOp::kCo || op == CompareOp::kSw) {
    out += '%';
  }
  return out;
}

Result<SqlFilter> to_sql(const Filter& filter, const SqlMapping& mapping) {
  if (!filter.bound()) {
    return scim_error(ScimType::kInvalidFilter, "the filter is not bound to a resource type");
  }
  MCPGATE_TRY(validate_mapping(mapping));
  SqlCompiler compiler(filter, mapping);
  MCPGATE_ASSIGN_OR_RETURN(std::string where, compiler.node(filter.root, SqlContext{}, nullptr));
  SqlFilter out;
  out.where = std::move(where);
  out.params = compiler.take_params();
  out.exact = compiler.exact();
  return out;
}

}  // namespace mcpgate::scim
