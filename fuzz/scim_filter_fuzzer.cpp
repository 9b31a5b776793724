// Bytes -> scim::parse_filter, bind_filter, matches, to_sql. Input: a SCIM filter (RFC 7644
// §3.4.2.2). Beyond "no crash, no sanitizer report, no stack exhaustion":
//  * a parse error is invalidFilter and says why;
//  * the canonical rendering of a parsed filter parses again to the same rendering;
//  * a filter that binds to the User type compiles to SQL for both dialects and every mapping
//    (a JSON column makes every attribute reachable, so compilation never fails then);
//  * on SQLite, the rows the compiled WHERE selects are exactly the users the evaluator matches
//    (indexed columns + value table + JSON, and JSON only), and with the superset fallback the
//    selected rows include every match.

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "scim/error.hpp"
#include "scim/evaluate.hpp"
#include "scim/filter.hpp"
#include "scim/sql.hpp"

namespace {

using namespace mcpgate::scim;  // NOLINT(google-build-using-namespace)

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

const nlohmann::json& fuzz_users() {
  static const nlohmann::json kUsers = nlohmann::json::parse(R"([
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
     "id": "u1", "externalId": "ext-1", "userName": "bjensen", "active": true,
     "name": {"familyName": "Jensen", "givenName": "Barbara"}, "title": "Tour Guide",
     "userType": "Employee",
     "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}],
     "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "701984", "manager": {"value": "u3"}}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
     "id": "u2", "externalId": "EXT-2", "userName": "O'Malley_Tom%", "active": false,
     "name": {"familyName": "O'Malley"}, "title": "", "emails": [{"value": "tom@EXAMPLE.org", "type": "work"}],
     "meta": {"lastModified": "2011-05-13T06:42:34+02:00"}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
     "id": "u3", "userName": "JSmith", "x509Certificates": [{"value": "TUlJREFD"}], "emails": [],
     "name": {}, "meta": {"lastModified": "2013-01-01T00:00:00.5Z"}}
  ])");
  return kUsers;
}

class FuzzDb {
 public:
  FuzzDb() {
    sqlite3_open(":memory:", &db_);
    sqlite3_exec(db_,
                 "CREATE TABLE users (id TEXT PRIMARY KEY, user_name_ci TEXT, external_id TEXT, active INTEGER, "
                 "doc TEXT); CREATE TABLE user_emails (user_id TEXT, value TEXT, type TEXT, is_primary INTEGER);",
                 nullptr, nullptr, nullptr);
    for (const auto& u : fuzz_users()) {
      std::string user_name = u["userName"];
      for (auto& c : user_name) {
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      run("INSERT INTO users VALUES (?1, ?2, ?3, ?4, ?5)",
          {u["id"], user_name, u.value("externalId", nlohmann::json()),
           u.contains("active") ? nlohmann::json(u["active"].get<bool>() ? 1 : 0) : nlohmann::json(), u.dump()});
      for (const auto& e : u["emails"]) {
        run("INSERT INTO user_emails VALUES (?1, ?2, ?3, ?4)",
            {u["id"], e["value"], e.value("type", nlohmann::json()),
             e.contains("primary") ? nlohmann::json(e["primary"].get<bool>() ? 1 : 0) : nlohmann::json()});
      }
    }
  }

  std::vector<std::string> select(const SqlFilter& f) {
    const std::string sql = "SELECT id FROM users WHERE " + f.where + " ORDER BY id";
    sqlite3_stmt* stmt = nullptr;
    check(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    for (std::size_t i = 0; i < f.params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      if (const auto* b = std::get_if<bool>(&f.params[i])) {
        sqlite3_bind_int(stmt, at, *b ? 1 : 0);
      } else if (const auto* n = std::get_if<std::int64_t>(&f.params[i])) {
        sqlite3_bind_int64(stmt, at, *n);
      } else if (const auto* d = std::get_if<double>(&f.params[i])) {
        sqlite3_bind_double(stmt, at, *d);
      } else {
        const auto& s = std::get<std::string>(f.params[i]);
        sqlite3_bind_text(stmt, at, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    std::vector<std::string> ids;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));  // NOLINT
    }
    check(rc == SQLITE_DONE);
    sqlite3_finalize(stmt);
    return ids;
  }

 private:
  void run(const char* sql, const std::vector<nlohmann::json>& values) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      if (values[i].is_string()) {
        sqlite3_bind_text(stmt, at, values[i].get_ref<const std::string&>().c_str(), -1, SQLITE_TRANSIENT);
      } else if (values[i].is_number()) {
        sqlite3_bind_int(stmt, at, values[i].get<int>());
      }
    }
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
  }

  sqlite3* db_ = nullptr;
};

SqlMapping indexed(SqlDialect dialect) {
  SqlMapping m;
  m.dialect = dialect;
  m.columns["id"] = {"users.id", false};
  m.columns["username"] = {"user_name_ci", true};
  m.columns["externalid"] = {"external_id", false};
  m.columns["active"] = {"active", false};
  SqlValueTable emails;
  emails.table = "user_emails";
  emails.owner_column = "user_id";
  emails.owner_key = "users.id";
  emails.columns["value"] = {"value", false};
  emails.columns["type"] = {"type", false};
  emails.columns["primary"] = {"is_primary", false};
  m.value_tables["emails"] = emails;
  m.json_column = "doc";
  return m;
}

// SQLite's julianday() keeps milliseconds: instants closer than that are not compared exactly.
bool sub_millisecond_instant(const Filter& f) {
  for (const auto& n : f.nodes) {
    if (n.kind == NodeKind::kCompare && n.value.kind == TypedValue::Kind::kDateTime && n.value.integer % 1000 != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto parsed = parse_filter(input);
  if (!parsed) {
    check(scim_type_of(parsed.error()) == ScimType::kInvalidFilter);
    check(!scim_detail(parsed.error()).empty());
    return 0;
  }
  const std::string rendered = to_string(*parsed);
  auto again = parse_filter(rendered, FilterLimits{1 << 20, 64, 1 << 20});
  check(again.ok());
  check(to_string(*again) == rendered);

  Filter for_group = *parsed;
  (void)bind_filter(for_group, group_resource_type());
  Filter filter = std::move(*parsed);
  const auto bound = bind_filter(filter, user_resource_type());
  if (!bound) {
    check(scim_type_of(bound.error()) == ScimType::kInvalidFilter);
    return 0;
  }
  std::vector<std::string> expected;
  for (const auto& u : fuzz_users()) {
    if (matches(filter, u)) {
      expected.push_back(u["id"]);
    }
  }
  static FuzzDb db;
  const bool exact_instants = !sub_millisecond_instant(filter);
  SqlMapping json_only;
  json_only.json_column = "doc";
  for (const SqlMapping& m : {indexed(SqlDialect::kSqlite), json_only}) {
    auto sql = to_sql(filter, m);
    check(sql.ok() && sql->exact);
    if (exact_instants) {
      check(db.select(*sql) == expected);
    }
  }
  SqlMapping superset = indexed(SqlDialect::kSqlite);
  superset.json_column.clear();
  superset.unmapped = UnmappedAttributes::kSuperset;
  auto sql = to_sql(filter, superset);
  check(sql.ok());
  if (exact_instants) {
    const auto selected = db.select(*sql);
    for (const auto& id : expected) {
      check(std::find(selected.begin(), selected.end(), id) != selected.end());
    }
    if (sql->exact) {
      check(selected == expected);
    }
  }
  SqlMapping pg = indexed(SqlDialect::kPostgres);
  check(to_sql(filter, pg).ok());
  return 0;
}
