// Types the core schemas do not use (integer, decimal, simple multi-valued strings), on a
// resource type of our own: the evaluator and the SQLite compilation of the same filters agree.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "scim/sql.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;

const ResourceType& device_type() {
  static const Schema kSchema = [] {
    Schema s;
    s.id = "urn:example:params:scim:schemas:Device";
    s.name = "Device";
    Attribute serial;
    serial.name = "serial";
    serial.case_exact = true;
    Attribute logins;
    logins.name = "loginCount";
    logins.type = AttrType::kInteger;
    Attribute score;
    score.name = "score";
    score.type = AttrType::kDecimal;
    Attribute tags;
    tags.name = "tags";
    tags.multi_valued = true;
    Attribute seen;
    seen.name = "lastSeen";
    seen.type = AttrType::kDateTime;
    seen.multi_valued = true;
    s.attributes = {serial, logins, score, tags, seen};
    return s;
  }();
  static const ResourceType kType = [] {
    ResourceType t;
    t.id = "Device";
    t.name = "Device";
    t.endpoint = "/Devices";
    t.core = &kSchema;
    return t;
  }();
  return kType;
}

json devices() {
  return json::parse(R"([
    {"id": "d1", "serial": "AB-1", "loginCount": 3, "score": 2.5, "tags": ["Red", "blue"],
     "lastSeen": ["2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"]},
    {"id": "d2", "serial": "ab-1", "loginCount": 9007199254740993, "score": -1, "tags": []},
    {"id": "d3", "serial": "C", "loginCount": 0, "score": 3, "tags": ["green"], "lastSeen": ["2023-01-01T00:00:00Z"]},
    {"id": "d4", "loginCount": "7", "score": "high", "tags": "red"}
  ])");
}

std::string eval_ids(const Filter& f) {
  std::string ids;
  for (const auto& d : devices()) {
    if (matches(f, d)) {
      ids += (ids.empty() ? "" : ",") + d["id"].get<std::string>();
    }
  }
  return ids;
}

std::string sqlite_ids(const SqlFilter& f) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "CREATE TABLE devices (id TEXT, doc TEXT)", nullptr, nullptr, nullptr);
  for (const auto& d : devices()) {
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO devices VALUES (?1, ?2)", -1, &insert, nullptr);
    const std::string id = d["id"];
    const std::string doc = d.dump();
    sqlite3_bind_text(insert, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 2, doc.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(insert);
    sqlite3_finalize(insert);
  }
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = "SELECT id FROM devices WHERE " + f.where + " ORDER BY id";
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql << sqlite3_errmsg(db);
  for (std::size_t i = 0; i < f.params.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    if (const auto* n = std::get_if<std::int64_t>(&f.params[i])) {
      sqlite3_bind_int64(stmt, at, *n);
    } else if (const auto* x = std::get_if<double>(&f.params[i])) {
      sqlite3_bind_double(stmt, at, *x);
    } else if (const auto* s = std::get_if<std::string>(&f.params[i])) {
      sqlite3_bind_text(stmt, at, s->c_str(), -1, SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_int(stmt, at, std::get<bool>(f.params[i]) ? 1 : 0);
    }
  }
  std::string ids;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ids += (ids.empty() ? "" : ",") + std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ids;
}

TEST(CustomSchemaTest, NumbersSimpleMultiValuedAndDateTimeArrays) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"loginCount gt 2", "d1,d2"},
      {"loginCount eq 9007199254740993", "d2"},
      {"loginCount eq 9007199254740992", ""},  // exact above 2^53
      {"loginCount le 0", "d3"},
      {"loginCount ge 2.5", "d1,d2"},
      {"loginCount ne 3", "d2,d3,d4"},
      {"score lt 0", "d2"},
      {"score eq 3", "d3"},
      {"score ge 2.5e0", "d1,d3"},
      {"score pr", "d1,d2,d3,d4"},
      {R"(tags eq "RED")", "d1,d4"},  // d4's bare string counts as one value, in SQL too
      {R"(tags co "e")", "d1,d3,d4"},
      {"tags pr", "d1,d3,d4"},
      {R"(serial eq "AB-1")", "d1"},
      {R"(serial sw "a")", "d2"},
      {R"(lastSeen gt "2024-03-01T00:00:00Z")", "d1"},
      {R"(lastSeen lt "2024-03-01T00:00:00Z" and not (lastSeen gt "2024-03-01T00:00:00Z"))", "d3"},
  };
  SqlMapping mapping;
  mapping.json_column = "doc";
  for (const auto& [text, expected] : cases) {
    auto f = compile_filter(text, device_type());
    ASSERT_TRUE(f.ok()) << text << ": " << f.error().message;
    auto sql = to_sql(*f, mapping);
    ASSERT_TRUE(sql.ok()) << text;
    EXPECT_EQ(eval_ids(*f), expected) << text;
    EXPECT_EQ(sqlite_ids(*sql), expected) << text << "\n  SQL: " << sql->where;
  }
  for (const char* bad : {R"(loginCount co "1")", R"(loginCount eq "3")", R"(score sw 1)", "tags eq 1"}) {
    auto f = compile_filter(bad, device_type());
    EXPECT_FALSE(f.ok()) << bad;
  }
}

}  // namespace
}  // namespace mcpgate::scim
