// The compiled PostgreSQL WHERE fragments run on a real server: the same filter bank as the SQLite
// test, the same answers as the evaluator. Needs MCPGATE_TEST_PG_URL (scripts/pg-test-cluster
// start); skipped without it unless MCPGATE_REQUIRE_PG=1. Temporary tables only: nothing outlives
// the connection.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/ascii.hpp"
#include "scim/sql.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;

class PgUsers {
 public:
  explicit PgUsers(const char* url) : conn_(PQconnectdb(url)) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      ADD_FAILURE() << PQerrorMessage(conn_);
      return;
    }
    exec(R"(CREATE TEMP TABLE users (id text PRIMARY KEY, user_name_ci text, external_id text, active boolean,
                                     last_modified text, doc jsonb NOT NULL);
            CREATE TEMP TABLE user_emails (user_id text, value text, type text, is_primary boolean);)",
         {});
    for (const auto& u : testing::test_users()) {
      const auto text = [&](const json& v) -> std::optional<std::string> {
        if (v.is_string()) {
          return v.get<std::string>();
        }
        if (v.is_boolean()) {
          return std::string(v.get<bool>() ? "true" : "false");
        }
        return std::nullopt;
      };
      const json meta = u.value("meta", json::object());
      exec("INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6)",
           {text(u["id"]), ascii::to_lower(u["userName"].get<std::string>()), text(u.value("externalId", json())),
            text(u.value("active", json())), text(meta.value("lastModified", json())), u.dump()});
      for (const auto& e : u.value("emails", json::array())) {
        exec("INSERT INTO user_emails VALUES ($1, $2, $3, $4)",
             {text(u["id"]), text(e["value"]), text(e.value("type", json())), text(e.value("primary", json()))});
      }
    }
  }
  ~PgUsers() { PQfinish(conn_); }
  PgUsers(const PgUsers&) = delete;
  PgUsers& operator=(const PgUsers&) = delete;

  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }

  std::string select_ids(const SqlFilter& f) {
    std::vector<std::optional<std::string>> values;
    for (const auto& p : f.params) {
      if (const auto* b = std::get_if<bool>(&p)) {
        values.emplace_back(*b ? "true" : "false");
      } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
        values.emplace_back(std::to_string(*n));
      } else if (const auto* d = std::get_if<double>(&p)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        values.emplace_back(buf);
      } else {
        values.emplace_back(std::get<std::string>(p));
      }
    }
    PGresult* r = run("SELECT id FROM users WHERE " + f.where + " ORDER BY id", values);
    std::string ids;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      ids = std::string("error: ") + PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        ids += (ids.empty() ? "" : ",") + std::string(PQgetvalue(r, i, 0));
      }
    }
    PQclear(r);
    return ids;
  }

 private:
  PGresult* run(const std::string& sql, const std::vector<std::optional<std::string>>& values) {
    std::vector<const char*> pointers;
    for (const auto& v : values) {
      pointers.push_back(v ? v->c_str() : nullptr);
    }
    return PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, pointers.data(), nullptr,
                        nullptr, 0);
  }

  void exec(const std::string& sql, const std::vector<std::optional<std::string>>& values) {
    PGresult* r = values.empty() ? PQexec(conn_, sql.c_str()) : run(sql, values);
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK) << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
  }

  PGconn* conn_;
};

TEST(SqlPostgresTest, CompiledFiltersAgreeWithTheEvaluator) {
  const char* url = std::getenv("MCPGATE_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    const char* required = std::getenv("MCPGATE_REQUIRE_PG");
    if (required != nullptr && std::string(required) == "1") {
      FAIL() << "MCPGATE_REQUIRE_PG=1 but MCPGATE_TEST_PG_URL is unset";
    }
    GTEST_SKIP() << "MCPGATE_TEST_PG_URL is unset (scripts/pg-test-cluster start)";
  }
  PgUsers db(url);
  ASSERT_TRUE(db.ok());
  const json users = testing::test_users();
  for (const SqlMapping& mapping :
       {testing::indexed_mapping(SqlDialect::kPostgres), testing::json_mapping(SqlDialect::kPostgres)}) {
    for (const auto& text : testing::filter_bank()) {
      auto filter = compile_filter(text, user_resource_type());
      ASSERT_TRUE(filter.ok()) << text;
      auto sql = to_sql(*filter, mapping);
      ASSERT_TRUE(sql.ok()) << text;
      EXPECT_EQ(db.select_ids(*sql), testing::matching_ids(text, users)) << text << "\n  SQL: " << sql->where;
    }
  }
}

}  // namespace
}  // namespace mcpgate::scim
