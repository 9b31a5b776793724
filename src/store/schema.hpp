#pragma once
// The database schema as versioned migrations, shared by the SQLite and PostgreSQL backends.
//
// The SQL is written once for both: TEXT, BIGINT (unix seconds), INTEGER 0/1 for booleans,
// no SQLite-only syntax. The two spellings that differ are produced per dialect: binary
// columns (BLOB / BYTEA) and the revocation list's ever-increasing sequence (SQLite's
// AUTOINCREMENT never reuses a value, which the revoked_since() cursor relies on; PostgreSQL
// uses an identity column).
//
// Rules: never edit a released migration; append a new one. Each migration runs in its own
// transaction together with its row in schema_migrations.

#include <string>
#include <vector>

namespace mcpgate::store {

enum class Dialect { kSqlite, kPostgres };

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;  // one or more statements separated by ';'
};

// All migrations in version order, in the given dialect.
std::vector<Migration> migrations(Dialect dialect);

// Creates the bookkeeping table; safe to run on every start.
inline constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

}  // namespace mcpgate::store
