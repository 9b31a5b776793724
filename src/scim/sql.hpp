#pragma once
// A bound filter as a parameterized SQL WHERE fragment, for SQLite and PostgreSQL.
//
// Safety: every value from the filter travels as a bind parameter (SqlFilter::params, numbered
// placeholders ?N / $N, first_parameter on); LIKE patterns escape %, _ and \ and say ESCAPE '\'.
// Identifiers come only from the caller's SqlMapping (checked to be plain or qualified
// identifiers) and aliases the compiler makes up; JSON keys (schema names, never filter text) are
// bound too.
//
// Where values come from, per attribute (keys are Resolved::key(): "username", "name.givenname",
// "emails", "urn:…:enterprise:2.0:user:employeenumber"):
//  * columns: a single-valued attribute or sub-attribute in a column of the resource's row;
//    `folded` marks a column holding the lower-cased value of a caseExact=false attribute, so
//    equality can use a plain index (otherwise lower(column) is compared);
//  * value_tables: a multi-valued complex attribute kept one value per row in its own table
//    (emails, members): a filter on it becomes EXISTS (SELECT 1 FROM table WHERE owner = key AND
//    …), with all terms of a value filter on the same row;
//  * json_column: the whole resource document (canonical attribute names, as PATCH and
//    normalize_attribute_value write them; PostgreSQL: jsonb) for everything else.
// An attribute that is in none of them: UnmappedAttributes::kError gives invalidFilter naming it;
// kSuperset replaces the term by TRUE or FALSE so the WHERE selects a superset of the matches,
// sets exact=false, and the caller must run matches() on every row it reads (and page after
// that, not in SQL).
//
// Semantics equal matches() (two-valued logic: a comparison with a missing value is false, terms
// under NOT are wrapped in COALESCE(…, FALSE)) with these documented limits: string case folding
// is ASCII in SQLite and the evaluator but Unicode-aware in PostgreSQL's lower(); dateTime
// comparisons in SQLite go through julianday() (millisecond precision); stored booleans must be
// JSON booleans (not "True" strings) and dateTime values valid — normalize_attribute_value
// guarantees both.

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "scim/filter.hpp"

namespace mcpgate::scim {

enum class SqlDialect { kSqlite, kPostgres };

struct SqlColumn {
  std::string column;   // "user_name" or "u.user_name"
  bool folded = false;  // the column holds the value lower-cased (caseExact=false attributes)
};

struct SqlValueTable {
  std::string table;         // "scim_user_emails"
  std::string owner_column;  // its column that refers to the resource ("user_id")
  std::string owner_key;     // the resource's key in the outer query ("u.id")
  std::map<std::string, SqlColumn, std::less<>> columns;  // sub-attribute, lower case → column
};

enum class UnmappedAttributes { kError, kSuperset };

struct SqlMapping {
  SqlDialect dialect = SqlDialect::kSqlite;
  std::map<std::string, SqlColumn, std::less<>> columns;
  std::map<std::string, SqlValueTable, std::less<>> value_tables;
  std::string json_column;  // "" for none
  UnmappedAttributes unmapped = UnmappedAttributes::kError;
  int first_parameter = 1;  // the number of the first placeholder (?1 / $1)
};

// Booleans: bind as 0/1 in SQLite, as a boolean in PostgreSQL.
using SqlValue = std::variant<bool, std::int64_t, double, std::string>;

struct SqlFilter {
  std::string where;
  std::vector<SqlValue> params;  // params[i] is placeholder first_parameter + i
  bool exact = true;             // false: re-check every row with matches()
};

// Errors: invalidFilter (an unmapped attribute under kError; an unbound filter), kInternal for a
// mapping whose identifiers are not identifiers.
Result<SqlFilter> to_sql(const Filter& filter, const SqlMapping& mapping);

// The LIKE pattern for a substring operator: '\' escapes '\', '%' and '_'.
std::string like_pattern(CompareOp op, std::string_view needle);

}  // namespace mcpgate::scim
