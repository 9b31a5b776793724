#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <set>

#include "core/ascii.hpp"
#include "scim/datetime.hpp"
#include "scim/sql.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;
using testing::filter_bank;
using testing::indexed_mapping;
using testing::json_mapping;
using testing::test_users;

// An in-memory SQLite database with the test users: indexed columns, an emails table and the
// document in a JSON column.
class SqliteUsers {
 public:
  SqliteUsers() {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    exec(R"(CREATE TABLE users (id TEXT PRIMARY KEY, user_name TEXT, user_name_ci TEXT, external_id TEXT,
                                active INTEGER, last_modified TEXT, doc TEXT NOT NULL);
            CREATE TABLE user_emails (user_id TEXT, value TEXT, type TEXT, is_primary INTEGER);)");
    for (const auto& u : test_users()) {
      insert(u);
    }
  }
  ~SqliteUsers() { sqlite3_close(db_); }
  SqliteUsers(const SqliteUsers&) = delete;
  SqliteUsers& operator=(const SqliteUsers&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
  }

  void insert(const json& u) {
    const auto text = [&](const char* key) -> std::optional<std::string> {
      if (u.contains(key) && u[key].is_string()) {
        return u[key].get<std::string>();
      }
      return std::nullopt;
    };
    std::optional<std::string> last_modified;
    if (u.contains("meta") && u["meta"].contains("lastModified")) {
      last_modified = u["meta"]["lastModified"].get<std::string>();
    }
    std::optional<std::string> user_name_ci;
    if (auto n = text("userName")) {
      user_name_ci = ascii::to_lower(*n);
    }
    run("INSERT INTO users VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        {text("id"), text("userName"), user_name_ci, text("externalId"),
         u.contains("active") ? std::optional<std::string>(u["active"].get<bool>() ? "1" : "0") : std::nullopt,
         last_modified, u.dump()});
    if (u.contains("emails")) {
      for (const auto& e : u["emails"]) {
        run("INSERT INTO user_emails VALUES (?1, ?2, ?3, ?4)",
            {text("id"), e["value"].get<std::string>(), e.value("type", std::string()),
             e.contains("primary") ? std::optional<std::string>(e["primary"].get<bool>() ? "1" : "0") : std::nullopt});
      }
    }
  }

  // The ids the WHERE fragment selects, sorted.
  std::string select_ids(const SqlFilter& f) {
    const std::string sql = "SELECT id FROM users WHERE " + f.where + " ORDER BY id";
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return "prepare failed";
    }
    for (std::size_t i = 0; i < f.params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      const SqlValue& p = f.params[i];
      if (const auto* b = std::get_if<bool>(&p)) {
        sqlite3_bind_int(stmt, at, *b ? 1 : 0);
      } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
        sqlite3_bind_int64(stmt, at, *n);
      } else if (const auto* d = std::get_if<double>(&p)) {
        sqlite3_bind_double(stmt, at, *d);
      } else {
        const auto& s = std::get<std::string>(p);
        sqlite3_bind_text(stmt, at, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    std::string ids;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      ids += (ids.empty() ? "" : ",") + std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return ids;
  }

 private:
  void run(const char* sql, const std::vector<std::optional<std::string>>& values) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), SQLITE_OK);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i]) {
        sqlite3_bind_text(stmt, static_cast<int>(i) + 1, values[i]->c_str(), -1, SQLITE_TRANSIENT);
      }
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
  }

  sqlite3* db_ = nullptr;
};

void expect_sql_matches_evaluation(const SqlMapping& mapping) {
  SqliteUsers db;
  const json users = test_users();
  for (const auto& text : filter_bank()) {
    auto filter = compile_filter(text, user_resource_type());
    ASSERT_TRUE(filter.ok()) << text << ": " << filter.error().message;
    auto sql = to_sql(*filter, mapping);
    ASSERT_TRUE(sql.ok()) << text << ": " << sql.error().message;
    EXPECT_TRUE(sql->exact);
    EXPECT_EQ(db.select_ids(*sql), testing::matching_ids(text, users)) << text << "\n  SQL: " << sql->where;
  }
  db.exec("SELECT count(*) FROM users");  // the injection attempts dropped nothing
}

TEST(SqlTest, IndexedColumnsValueTablesAndJsonAgreeWithTheEvaluator) {
  expect_sql_matches_evaluation(indexed_mapping());
}

TEST(SqlTest, JsonOnlyMappingAgreesWithTheEvaluator) { expect_sql_matches_evaluation(json_mapping()); }

TEST(SqlTest, UnmappedAttributesAreAnErrorOrASuperset) {
  SqlMapping m = indexed_mapping();
  m.json_column.clear();
  auto filter = compile_filter(R"(userName eq "bjensen" and title pr)", user_resource_type());
  ASSERT_TRUE(filter.ok());
  auto sql = to_sql(*filter, m);
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(scim_type_of(sql.error()), ScimType::kInvalidFilter);
  EXPECT_EQ(scim_detail(sql.error()), "filtering on 'title' is not supported");

  m.unmapped = UnmappedAttributes::kSuperset;
  SqliteUsers db;
  const json users = test_users();
  for (const auto& text : filter_bank()) {
    auto f = compile_filter(text, user_resource_type());
    ASSERT_TRUE(f.ok());
    auto s = to_sql(*f, m);
    ASSERT_TRUE(s.ok()) << text;
    // The rows SQL selects include every match; post-filtering gives exactly the matches.
    const std::string selected = db.select_ids(*s);
    std::string post_filtered;
    for (const auto& u : users) {
      const std::string id = u["id"].get<std::string>();
      if (("," + selected + ",").find("," + id + ",") != std::string::npos && matches(*f, u)) {
        post_filtered += (post_filtered.empty() ? "" : ",") + id;
      }
    }
    EXPECT_EQ(post_filtered, testing::matching_ids(text, users)) << text << "\n  SQL: " << s->where;
    if (s->exact) {
      EXPECT_EQ(selected, post_filtered) << text;
    }
  }
}

TEST(SqlTest, ValuesAreAlwaysParameters) {
  auto filter = compile_filter(R"(userName eq "x' OR 1=1 --" and emails[value co "50%_off\\"])", user_resource_type());
  ASSERT_TRUE(filter.ok());
  auto sql = to_sql(*filter, indexed_mapping());
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(sql->where,
            "((user_name_ci = ?1) AND EXISTS (SELECT 1 FROM user_emails AS scim_e1 WHERE scim_e1.user_id = users.id AND "
            "(lower(scim_e1.value) LIKE ?2 ESCAPE '\\')))");
  ASSERT_EQ(sql->params.size(), 2U);
  EXPECT_EQ(std::get<std::string>(sql->params[0]), "x' or 1=1 --");
  EXPECT_EQ(std::get<std::string>(sql->params[1]), "%50\\%\\_off\\\\%");
}

TEST(SqlTest, PostgresDialect) {
  SqlMapping m = indexed_mapping();
  m.dialect = SqlDialect::kPostgres;
  m.first_parameter = 3;
  auto filter = compile_filter(
      R"(userName eq "A" and not (title co "b") and meta.created gt "2011-05-13T06:42:34+02:00" and emails[type eq "work"])",
      user_resource_type());
  ASSERT_TRUE(filter.ok());
  auto sql = to_sql(*filter, m);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(sql->where,
            "((user_name_ci = $3) AND NOT (COALESCE(((jsonb_typeof(jsonb_extract_path(doc, $4::text)) = 'string' AND "
            "lower(jsonb_extract_path_text(doc, $4::text)) LIKE $5 ESCAPE '\\')), FALSE)) AND "
            "(CASE WHEN jsonb_typeof(jsonb_extract_path(doc, $6::text, $7::text)) = 'string' THEN "
            "(jsonb_extract_path_text(doc, $6::text, $7::text))::timestamptz END > $8::timestamptz) AND "
            "EXISTS (SELECT 1 FROM user_emails AS scim_e1 WHERE scim_e1.user_id = users.id AND (lower(scim_e1.type) = $9)))");
  ASSERT_EQ(sql->params.size(), 7U);
  EXPECT_EQ(std::get<std::string>(sql->params[5]), "2011-05-13T04:42:34Z");
}

TEST(SqlTest, MappingIdentifiersAreChecked) {
  auto filter = compile_filter(R"(userName eq "x")", user_resource_type());
  ASSERT_TRUE(filter.ok());
  for (const char* bad : {"user_name; DROP TABLE users", "a.b.c", "1col", "", "name\"", "a..b", ".a", "a."}) {
    SqlMapping m;
    m.columns["username"] = {bad, true};
    EXPECT_FALSE(to_sql(*filter, m).ok()) << bad;
  }
  SqlMapping m = json_mapping();
  m.json_column = "doc)--";
  EXPECT_FALSE(to_sql(*filter, m).ok());
  Filter unbound;
  EXPECT_FALSE(to_sql(unbound, json_mapping()).ok());
}

TEST(SqlTest, LikePatternEscapesMetacharacters) {
  EXPECT_EQ(like_pattern(CompareOp::kCo, "a%b_c\\d"), "%a\\%b\\_c\\\\d%");
  EXPECT_EQ(like_pattern(CompareOp::kSw, "x"), "x%");
  EXPECT_EQ(like_pattern(CompareOp::kEw, "x"), "%x");
}

}  // namespace
}  // namespace mcpgate::scim
