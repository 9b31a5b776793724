#include "store/sqlite_db.hpp"

#include <climits>

#include <sqlite3.h>

namespace mcpgate::store::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: " + std::string(what) + ": " + sqlite3_errstr(rc);
  if (db != nullptr) {
    message += std::string(" (") + sqlite3_errmsg(db) + ")";
  }
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return make_error(ErrorCode::kAlreadyExists, std::move(message));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return make_error(ErrorCode::kFailedPrecondition, std::move(message));
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_TOOBIG:
      return make_error(ErrorCode::kInvalidArgument, std::move(message));
    default:
      break;
  }
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make_error(ErrorCode::kUnavailable, std::move(message));
    case SQLITE_CONSTRAINT:
      return make_error(ErrorCode::kFailedPrecondition, std::move(message));
    default:
      return make_error(ErrorCode::kInternal, std::move(message));
  }
}

Statement::~Statement() {
  if (stmt_ != nullptr && owned_) {
    sqlite3_finalize(stmt_);
  } else if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Statement::bind_one(int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    bind_error_ = SQLITE_TOOBIG;
    return;
  }
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    bind_error_ = rc;
  }
}

void Statement::bind_one(int index, const Blob& blob) {
  if (blob.bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    bind_error_ = SQLITE_TOOBIG;
    return;
  }
  // A zero-length blob must still be a BLOB, not NULL: give SQLite a non-null pointer.
  static const char zero_byte = 0;
  const char* data = blob.bytes.empty() ? &zero_byte : blob.bytes.data();
  const int rc =
      sqlite3_bind_blob(stmt_, index, data, static_cast<int>(blob.bytes.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    bind_error_ = rc;
  }
}

void Statement::bind_one(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) {
    bind_error_ = rc;
  }
}

void Statement::bind_one(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) {
    bind_error_ = rc;
  }
}

void Statement::bind_one(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind_one(index, *value);
  } else {
    bind_one(index, Null{});
  }
}

void Statement::bind_one(int index, Null /*null*/) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) {
    bind_error_ = rc;
  }
}

Result<bool> Statement::step() {
  if (bind_error_ != 0) {
    return sqlite_error(db_, bind_error_, "bind");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return sqlite_error(db_, sqlite3_extended_errcode(db_), "step");
}

Status Statement::run() {
  MCPGATE_ASSIGN_OR_RETURN(const bool row, step());
  (void)row;
  return {};
}

std::int64_t Statement::changes() const {
  return sqlite3_changes64(db_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::optional<std::int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return integer(column);
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return {reinterpret_cast<const char*>(data),
          static_cast<std::size_t>(size)};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

std::string Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionOptions& options) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
                    | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_URI;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db, rc, "open");
    sqlite3_close_v2(db);
    return error;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // Per-connection settings. journal_mode=WAL persists in the file; the others do not.
  MCPGATE_TRY(
      conn->exec("PRAGMA foreign_keys = ON;"
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA trusted_schema = OFF;"
                 "PRAGMA secure_delete = FAST;"
                 // Token lookups hit random index pages: an 8 MiB page cache per connection
                 // (default 2 MiB) keeps more of them off the pread path. (mmap_size was
                 // measured too and made /token refresh slower: docs/BENCHMARKS.md.)
                 "PRAGMA cache_size = -8192;"
                 "PRAGMA temp_store = MEMORY;"));
  if (options.read_only) {
    MCPGATE_TRY(conn->exec("PRAGMA query_only = ON;"));
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(
        db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return sqlite_error(db_, rc, "prepare");
    }
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Statement(db_, it->second);
}

Result<Statement> Connection::prepare_numbered(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(db_, rc, "prepare");
  }
  return Statement(db_, stmt, true);
}

Status Connection::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) {
    return sqlite_error(db_, sqlite3_extended_errcode(db_), "exec");
  }
  return {};
}

}  // namespace mcpgate::store::sqlite
