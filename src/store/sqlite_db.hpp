#pragma once
// Thin RAII layer over the SQLite C API for the SQLite store: a connection with its own cache
// of prepared statements, and a statement handle that resets itself when it goes out of scope.
// A Connection is used by one thread at a time (the store's locking guarantees it); SQLite is
// opened in multi-thread mode (SQLITE_OPEN_NOMUTEX).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mcpgate::store::sqlite {

// Marks a bound value as a BLOB (hashes, sealed keys) rather than TEXT.
struct Blob {
  std::string_view bytes;
};

// SQL NULL.
struct Null {};

// Maps a SQLite result code to our error codes (constraint -> kAlreadyExists /
// kFailedPrecondition, busy/locked -> kUnavailable, ...). `what` names the operation; SQLite's
// message names tables/columns, never bound values.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  // `owned`: the statement is finalized with this handle (Connection::prepare_numbered);
  // otherwise the connection's cache keeps it and it is only reset.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned = false)
      : db_(db), stmt_(stmt), owned_(owned) {}

  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), owned_(other.owned_) {
    other.stmt_ = nullptr;
  }

  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Binds parameters 1..N in order.
  template <class... Args>
  Statement& bind(const Args&... args) {
    int index = 0;
    (bind_one(++index, args), ...);
    return *this;
  }

  // Binds one parameter by its 1-based index.
  template <class T>
  Statement& bind_at(int index, const T& value) {
    bind_one(index, value);
    return *this;
  }

  // true: a row is available; false: done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Status run();
  // Rows changed by the last run() (sqlite3_changes).
  std::int64_t changes() const;

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;

 private:
  void bind_one(int index, std::string_view text);

  void bind_one(int index, const std::string& text) { bind_one(index, std::string_view{text}); }

  void bind_one(int index, const char* text) { bind_one(index, std::string_view{text}); }

  void bind_one(int index, const Blob& blob);
  void bind_one(int index, std::int64_t value);
  void bind_one(int index, double value);

  void bind_one(int index, int value) { bind_one(index, static_cast<std::int64_t>(value)); }

  void bind_one(int index, bool value) {
    bind_one(index, static_cast<std::int64_t>(value ? 1 : 0));
  }

  void bind_one(int index, const std::optional<std::int64_t>& value);
  void bind_one(int index, Null /*null*/);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_ = false;
  int bind_error_ = 0;
};

struct ConnectionOptions {
  std::string path;
  bool read_only = false;  // PRAGMA query_only: a reader never writes by mistake
  int busy_timeout_ms = 5000;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const ConnectionOptions& options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A cached prepared statement for `sql` (prepared on first use).
  Result<Statement> prepare(std::string_view sql);
  // A statement with numbered placeholders (?1, ?2, ...) that is not cached: for SQL whose
  // shape comes from a request (a compiled SCIM filter), so the cache cannot grow without bound.
  Result<Statement> prepare_numbered(std::string_view sql);
  // Runs one or more statements without parameters.
  Status exec(const char* sql);

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  // Heterogeneous lookup: finding a statement does not copy its SQL text.
  struct SqlHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name

    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

}  // namespace mcpgate::store::sqlite
