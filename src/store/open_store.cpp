#include "store/open_store.hpp"

#include "store/postgres_connection.hpp"
#include "store/postgres_store.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::store {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

PostgresOptions postgres_options(const std::string& url, const OpenStoreOptions& options) {
  PostgresOptions o;
  o.url = url;
  o.password = options.password;
  o.pool_size = options.pool_size;
  o.statement_timeout_ms = options.statement_timeout_ms;
  o.acquire_timeout = options.acquire_timeout;
  return o;
}

}  // namespace

std::string redacted_store_url(std::string_view url) { return pg::redact_url(url); }

Result<StoreUrl> parse_store_url(std::string_view url) {
  if (url.empty()) {
    return StoreUrl{StoreKind::kSqlite, ""};
  }
  if (starts_with(url, "sqlite:")) {
    const std::string_view path = url.substr(7);
    if (path.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "store URL sqlite: needs a path");
    }
    return StoreUrl{StoreKind::kSqlite, std::string(path)};
  }
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return StoreUrl{StoreKind::kPostgres, std::string(url)};
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "store URL " + redacted_store_url(url)
                        + ": expected sqlite:PATH, postgresql://... or postgres://...");
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const OpenStoreOptions& options) {
  MCPGATE_ASSIGN_OR_RETURN(const StoreUrl parsed, parse_store_url(url));
  if (parsed.kind == StoreKind::kPostgres) {
    return open_postgres_data_dir(postgres_options(parsed.location, options), options.data_dir);
  }
  SqliteOptions tuning;
  tuning.path = parsed.location;
  return open_sqlite_data_dir(options.data_dir, tuning);
}

Result<int> migrate_store(std::string_view url, const OpenStoreOptions& options) {
  MCPGATE_ASSIGN_OR_RETURN(const StoreUrl parsed, parse_store_url(url));
  if (parsed.kind == StoreKind::kPostgres) {
    return migrate_postgres(postgres_options(parsed.location, options));
  }
  // Opening a SQLite store applies its migrations; the store itself is not needed.
  MCPGATE_ASSIGN_OR_RETURN(const auto opened, open_store(url, options));
  const auto all = migrations(Dialect::kSqlite);
  return all.empty() ? 0 : all.back().version;
}

}  // namespace mcpgate::store
