#pragma once
// Thin RAII layer over libpq for the PostgreSQL store: a connection with its own cache of
// server-side prepared statements, a statement handle whose API mirrors sqlite::Statement (so
// the two stores read alike), and a bounded pool of connections.
//
// Rules this layer enforces:
//  * Parameterized queries only: SQL is written with '?' placeholders, rewritten to $1..$n and
//    prepared once per connection (PQprepare); values travel separately (PQexecPrepared). Bytea
//    values (hashes, sealed keys) are sent in binary; every result comes back in binary.
//  * Errors are mapped from SQLSTATE (pg_error); a message carries PostgreSQL's primary message
//    only, never its DETAIL (which would quote key values such as hashes) nor the connection
//    string (which may hold a password).
//  * A Connection is used by one thread at a time (the pool hands it out exclusively).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

struct pg_conn;
struct pg_result;

namespace mcpgate::store::pg {

// Marks a bound value as BYTEA (sent in binary) rather than TEXT.
struct Blob {
  std::string_view bytes;
};

// SQL NULL.
struct Null {};

// `url` with the password of its userinfo and any password=... parameter replaced by "***":
// the only form in which a connection string may appear in a message or a log.
std::string redact_url(std::string_view url);

// True for the SQLSTATEs after which the whole transaction may simply be run again
// (serialization_failure 40001, deadlock_detected 40P01).
bool is_retryable_sqlstate(std::string_view sqlstate);

struct ResultDeleter {
  void operator()(pg_result* result) const;
};

using ResultPtr = std::unique_ptr<pg_result, ResultDeleter>;

class Connection;

class Statement {
 public:
  Statement(Connection& conn, std::string name, int params);

  Statement(Statement&&) noexcept = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() = default;

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

  // The first call executes the statement; true: a row is available; false: no more rows.
  Result<bool> step();
  // Executes a statement whose rows (if any) are not needed.
  Status run();
  // Rows inserted/updated/deleted by the execution (PQcmdTuples).
  std::int64_t changes() const;

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;

 private:
  Status execute();
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
  bool slot(int index);

  Connection* conn_;
  std::string name_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  std::optional<Error> bind_error_;
  ResultPtr result_;
  int row_ = -1;
};

struct ConnectOptions {
  std::string url;       // postgresql://... or postgres://... (libpq URI or key=value string)
  std::string password;  // overrides the URL's, when not empty (from a file or the environment)
  int statement_timeout_ms = 5000;
  int connect_timeout_s = 5;
  std::string schema;  // when set, the search_path (tests give each store its own schema)
  std::string application_name = "mcpgate";  // shown in pg_stat_activity
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const ConnectOptions& options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A statement for `sql` ('?' placeholders), prepared on the server on first use.
  Result<Statement> prepare(std::string_view sql);
  // A statement with numbered placeholders ($1, $2, ...), prepared as the unnamed statement
  // and not cached: for SQL whose shape comes from a request (a compiled SCIM filter), so the
  // cache cannot grow without bound. Valid until the next prepare_numbered on this connection.
  Result<Statement> prepare_numbered(std::string_view sql);
  // Runs one or more statements without parameters.
  Status exec(const char* sql);

  // The connection is gone (server restart, network); the pool drops it.
  bool broken() const;
  // Not idle: a transaction is open or failed (the pool rolls it back before reuse).
  bool in_transaction() const;
  // SQLSTATE of the last failed command ("" when the last command succeeded).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // LISTEN/NOTIFY support (postgres_listener.hpp). The socket to wait on for input, and the
  // payloads of the notifications received so far on `channel` (reads what the socket has;
  // kUnavailable when the connection is lost).
  int socket() const;
  Result<std::vector<std::string>> take_notifications(std::string_view channel);

 private:
  friend class Statement;
  explicit Connection(pg_conn* conn) : conn_(conn) {}

  // Runs a prepared statement; maps a failure.
  Result<ResultPtr> exec_prepared(const std::string& name,
                                  const std::vector<std::optional<std::string>>& values,
                                  const std::vector<int>& formats);
  Error fail(const pg_result* result, std::string_view what);

  struct SqlHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name

    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  struct Prepared {
    std::string name;
    int params = 0;
  };

  pg_conn* conn_;
  std::unordered_map<std::string, Prepared, SqlHash, std::equal_to<>> cache_;
  std::string last_sqlstate_;
};

struct PoolOptions {
  ConnectOptions connect;
  std::size_t size = 8;  // at most this many connections
  std::chrono::milliseconds acquire_timeout{5000};
  // After a failed connect, further attempts wait this long, doubling up to the maximum, so a
  // database that is down is not hammered by every request.
  std::chrono::milliseconds reconnect_backoff_min{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
};

// A bounded pool. acquire() blocks up to acquire_timeout for a free connection, opening new
// ones lazily up to `size`; kUnavailable when none frees up or the database cannot be reached.
// Broken connections are dropped on release and replaced on demand.
class Pool {
 public:
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}

    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    Connection& operator*() const { return *conn_; }

    Connection* operator->() const { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Opens one connection up front so a wrong URL or password fails at start-up.
  static Result<std::unique_ptr<Pool>> open(PoolOptions options);

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() = default;

  Result<Lease> acquire();
  const PoolOptions& options() const { return options_; }

 private:
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}

  void release(std::unique_ptr<Connection> conn);
  Result<std::unique_ptr<Connection>> connect();

  PoolOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + leased + being opened
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace mcpgate::store::pg
