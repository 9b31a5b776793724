#include "store/postgres_connection.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <libpq-fe.h>

namespace mcpgate::store::pg {
namespace {

Error unavailable(std::string message) {
  return make_error(ErrorCode::kUnavailable, "postgres: " + std::move(message));
}

// The first line of libpq's message (its own messages end with a newline; some add hints).
std::string first_line(const char* message) {
  if (message == nullptr) {
    return "unknown error";
  }
  std::string_view text(message);
  const auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

ErrorCode code_for_sqlstate(std::string_view state) {
  if (state == "23505") {
    return ErrorCode::kAlreadyExists;  // unique_violation
  }
  if (state == "23503") {
    return ErrorCode::kFailedPrecondition;  // foreign_key_violation
  }
  if (state == "23502" || state == "23514" || state.substr(0, 2) == "22") {
    return ErrorCode::kInvalidArgument;  // not-null, check, data exceptions (bad UTF-8, ...)
  }
  if (is_retryable_sqlstate(state) || state == "57014" || state == "55P03"
      || state.substr(0, 2) == "08" || state.substr(0, 2) == "53" || state.substr(0, 3) == "57P") {
    // Busy, timed out, out of resources, or gone: the caller may retry later.
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInternal;
}

std::int64_t read_be(const char* data, int length) {
  std::uint64_t v = 0;
  for (int i = 0; i < length; ++i) {
    v = (v << 8) | static_cast<unsigned char>(data[i]);
  }
  // Sign-extend the 2- and 4-byte integers.
  if (length < 8 && length > 0) {
    const unsigned bits = static_cast<unsigned>(length) * 8U;
    const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
    if ((v & sign) != 0) {
      v |= ~((std::uint64_t{1} << bits) - 1);
    }
  }
  return static_cast<std::int64_t>(v);
}

// '?' placeholders to $1..$n, outside single-quoted literals.
std::string number_placeholders(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size() + 16);
  bool quoted = false;
  count = 0;
  for (const char ch : sql) {
    if (ch == '\'') {
      quoted = !quoted;
    }
    if (ch == '?' && !quoted) {
      out += '$';
      out += std::to_string(++count);
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  // userinfo: scheme://user:password@host
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto at = out.find('@', start);
    const auto slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // password=... as a URI query parameter or a key=value pair.
  std::size_t pos = 0;
  while ((pos = out.find("password=", pos)) != std::string::npos) {
    const auto value = pos + 9;
    auto end = out.find_first_of("& ", value);
    if (end == std::string::npos) {
      end = out.size();
    }
    out.replace(value, end - value, "***");
    pos = value + 3;
  }
  return out;
}

bool is_retryable_sqlstate(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

void ResultDeleter::operator()(pg_result* result) const { PQclear(result); }

// --- Statement ---------------------------------------------------------------------------------

Statement::Statement(Connection& conn, std::string name, int params)
    : conn_(&conn),
      name_(std::move(name)),
      values_(static_cast<std::size_t>(params)),
      formats_(static_cast<std::size_t>(params), 0) {}

bool Statement::slot(int index) {
  if (index < 1 || static_cast<std::size_t>(index) > values_.size()) {
    bind_error_ = make_error(ErrorCode::kInternal, "postgres: parameter index out of range");
    return false;
  }
  return true;
}

void Statement::bind_one(int index, std::string_view text) {
  if (!slot(index)) {
    return;
  }
  // Text parameters travel as C strings and PostgreSQL text cannot hold NUL: refuse rather
  // than silently truncate.
  if (text.find('\0') != std::string_view::npos) {
    bind_error_ = make_error(ErrorCode::kInvalidArgument, "postgres: text holds a NUL byte");
    return;
  }
  const auto i = static_cast<std::size_t>(index - 1);
  values_[i] = std::string(text);
  formats_[i] = 0;
}

void Statement::bind_one(int index, const Blob& blob) {
  if (!slot(index)) {
    return;
  }
  const auto i = static_cast<std::size_t>(index - 1);
  values_[i] = std::string(blob.bytes);
  formats_[i] = 1;
}

void Statement::bind_one(int index, std::int64_t value) {
  if (!slot(index)) {
    return;
  }
  const auto i = static_cast<std::size_t>(index - 1);
  values_[i] = std::to_string(value);
  formats_[i] = 0;
}

void Statement::bind_one(int index, double value) {
  if (!slot(index)) {
    return;
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", value);
  const auto i = static_cast<std::size_t>(index - 1);
  values_[i] = std::string(buf, static_cast<std::size_t>(n > 0 ? n : 0));
  formats_[i] = 0;
}

void Statement::bind_one(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind_one(index, *value);
  } else {
    bind_one(index, Null{});
  }
}

void Statement::bind_one(int index, Null /*null*/) {
  if (!slot(index)) {
    return;
  }
  const auto i = static_cast<std::size_t>(index - 1);
  values_[i].reset();
  formats_[i] = 0;
}

Status Statement::execute() {
  if (bind_error_) {
    return *bind_error_;
  }
  MCPGATE_ASSIGN_OR_RETURN(result_, conn_->exec_prepared(name_, values_, formats_));
  row_ = -1;
  return {};
}

Result<bool> Statement::step() {
  if (!result_) {
    MCPGATE_TRY(execute());
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

Status Statement::run() { return execute(); }

std::int64_t Statement::changes() const {
  if (!result_) {
    return 0;
  }
  const char* tuples = PQcmdTuples(result_.get());
  std::int64_t n = 0;
  std::from_chars(tuples, tuples + std::strlen(tuples), n);
  return n;
}

bool Statement::is_null(int column) const {
  return PQgetisnull(result_.get(), row_, column) != 0;
}

std::int64_t Statement::integer(int column) const {
  if (is_null(column)) {
    return 0;
  }
  return read_be(PQgetvalue(result_.get(), row_, column),
                 PQgetlength(result_.get(), row_, column));
}

std::optional<std::int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return integer(column);
}

std::string Statement::text(int column) const {
  if (is_null(column)) {
    return {};
  }
  return std::string(PQgetvalue(result_.get(), row_, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row_, column)));
}

std::string Statement::blob(int column) const { return text(column); }

// --- Connection --------------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const ConnectOptions& options) {
  const std::string timeout = std::to_string(options.connect_timeout_s);
  // dbname is expanded from the URL first; the keywords after it override what the URL says.
  std::vector<const char*> keys = {"dbname", "connect_timeout", "application_name"};
  std::vector<const char*> values = {
      options.url.c_str(), timeout.c_str(), options.application_name.c_str()};
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (raw == nullptr) {
    return unavailable("out of memory connecting");
  }
  std::unique_ptr<Connection> conn(new Connection(raw));
  // Server notices ("relation already exists, skipping") are not errors; libpq would print
  // them on stderr.
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    // libpq's message names host and user, never the password.
    return unavailable("cannot connect to " + redact_url(options.url) + ": "
                       + first_line(PQerrorMessage(raw)));
  }
  // Session settings: a runaway statement is cancelled instead of holding a pool slot (and its
  // locks) forever; UTC so nothing depends on the server's zone.
  std::string setup = "SET statement_timeout = " + std::to_string(options.statement_timeout_ms)
                      + "; SET idle_in_transaction_session_timeout = "
                      + std::to_string(options.statement_timeout_ms == 0
                                           ? 0
                                           : std::max(options.statement_timeout_ms * 4, 10000))
                      + "; SET TIME ZONE 'UTC'";
  if (!options.schema.empty()) {
    const bool plain = std::all_of(options.schema.begin(), options.schema.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    });
    if (!plain) {
      return make_error(ErrorCode::kInvalidArgument,
                        "postgres: schema name must be [a-z0-9_]+");
    }
    // Created by the store's opening, under its migration lock (two concurrent CREATE SCHEMA IF
    // NOT EXISTS can collide); a search_path naming a missing schema is fine until then.
    setup += "; SET search_path = " + options.schema;
  }
  MCPGATE_TRY(conn->exec(setup.c_str()));
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

int Connection::socket() const { return PQsocket(conn_); }

Result<std::vector<std::string>> Connection::take_notifications(std::string_view channel) {
  if (PQconsumeInput(conn_) == 0 || broken()) {
    return unavailable("listen: connection lost: " + first_line(PQerrorMessage(conn_)));
  }
  std::vector<std::string> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    if (n->relname != nullptr && channel == n->relname) {
      out.emplace_back(n->extra != nullptr ? n->extra : "");
    }
    PQfreemem(n);
  }
  return out;
}

bool Connection::in_transaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

Error Connection::fail(const pg_result* result, std::string_view what) {
  const char* state =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  if (broken() || result == nullptr) {
    return unavailable(std::string(what) + ": connection lost: "
                       + first_line(PQerrorMessage(conn_)));
  }
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = "postgres: " + std::string(what) + ": "
                        + (primary != nullptr ? primary : "error") + " (SQLSTATE "
                        + last_sqlstate_ + ")";
  return make_error(code_for_sqlstate(last_sqlstate_), std::move(message));
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    int params = 0;
    const std::string numbered = number_placeholders(sql, params);
    // Appended rather than "s" + to_string(): g++ 12 -O3 reports a false -Wrestrict there.
    std::string name = "s";
    name += std::to_string(cache_.size() + 1);
    ResultPtr res(PQprepare(conn_, name.c_str(), numbered.c_str(), 0, nullptr));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return fail(res.get(), "prepare");
    }
    it = cache_.emplace(std::string(sql), Prepared{std::move(name), params}).first;
  }
  return Statement(*this, it->second.name, it->second.params);
}

Result<Statement> Connection::prepare_numbered(std::string_view sql) {
  // The parameter count is the highest $N outside single-quoted literals.
  int params = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '\'') {
      quoted = !quoted;
    } else if (sql[i] == '$' && !quoted) {
      int n = 0;
      while (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9' && n < 100000) {
        n = n * 10 + (sql[++i] - '0');
      }
      params = std::max(params, n);
    }
  }
  const std::string text(sql);
  ResultPtr res(PQprepare(conn_, "", text.c_str(), 0, nullptr));
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    return fail(res.get(), "prepare");
  }
  return Statement(*this, "", params);
}

Status Connection::exec(const char* sql) {
  ResultPtr res(PQexec(conn_, sql));
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    // Name the command, not the text (a statement could in principle carry a value).
    std::string_view text(sql);
    return fail(res.get(), text.substr(0, std::min<std::size_t>(text.find(' '), 24)));
  }
  last_sqlstate_.clear();
  return {};
}

Result<ResultPtr> Connection::exec_prepared(const std::string& name,
                                            const std::vector<std::optional<std::string>>& values,
                                            const std::vector<int>& formats) {
  std::vector<const char*> ptrs(values.size(), nullptr);
  std::vector<int> lengths(values.size(), 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i]) {
      ptrs[i] = values[i]->data();
      lengths[i] = static_cast<int>(values[i]->size());
    }
  }
  ResultPtr res(PQexecPrepared(conn_,
                               name.c_str(),
                               static_cast<int>(values.size()),
                               ptrs.data(),
                               lengths.data(),
                               formats.data(),
                               /*resultFormat=*/1));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return fail(res.get(), "query");
  }
  last_sqlstate_.clear();
  return res;
}

// --- Pool --------------------------------------------------------------------------------------

Pool::Lease::~Lease() {
  if (conn_ && pool_ != nullptr) {
    pool_->release(std::move(conn_));
  }
}

Result<std::unique_ptr<Pool>> Pool::open(PoolOptions options) {
  if (options.size == 0) {
    options.size = 1;
  }
  std::unique_ptr<Pool> pool(new Pool(std::move(options)));
  MCPGATE_ASSIGN_OR_RETURN(auto first, Connection::open(pool->options_.connect));
  pool->idle_.push_back(std::move(first));
  pool->open_ = 1;
  return pool;
}

Result<std::unique_ptr<Connection>> Pool::connect() {
  auto conn = Connection::open(options_.connect);
  std::lock_guard lock(mutex_);
  if (!conn) {
    --open_;
    backoff_ = std::clamp(backoff_ * 2, options_.reconnect_backoff_min,
                          options_.reconnect_backoff_max);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    cv_.notify_one();
    return conn.error();
  }
  backoff_ = std::chrono::milliseconds{0};
  return conn;
}

Result<Pool::Lease> Pool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  while (true) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.size) {
      if (std::chrono::steady_clock::now() < next_attempt_) {
        return unavailable("database unreachable (reconnecting with backoff)");
      }
      ++open_;
      lock.unlock();
      MCPGATE_ASSIGN_OR_RETURN(auto conn, connect());
      return Lease(this, std::move(conn));
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()
        && open_ >= options_.size) {
      return unavailable("no free connection in the pool within the acquire timeout");
    }
  }
}

void Pool::release(std::unique_ptr<Connection> conn) {
  // A transaction left open (a caller bailed out between BEGIN and COMMIT) is rolled back so
  // the next user starts clean; a connection that cannot even do that is dropped.
  if (!conn->broken() && conn->in_transaction()) {
    conn->exec("ROLLBACK").ignore_error();
  }
  const bool keep = !conn->broken() && !conn->in_transaction();
  {
    std::lock_guard lock(mutex_);
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  if (!keep) {
    conn.reset();  // PQfinish outside the lock
  }
  cv_.notify_one();
}

}  // namespace mcpgate::store::pg
