#pragma once
// Structured logging: one JSON object per line on stderr, {"ts","level","event",...fields}.
// Callers pass chosen fields only; never pass tokens, codes, secrets, cookies or raw
// Authorization headers (fields named like them are redacted here as a second line of defence).

#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgate::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

struct Options {
  Level level = Level::kInfo;
  bool access_log = true;  // one line per HTTP request
};

// Installs the process logger (asynchronous, so request threads do not wait on stderr).
void init(const Options& options);
// Flushes and stops the background writer.
void shutdown();

bool enabled(Level level);
bool access_enabled();

void write(Level level, std::string_view event, nlohmann::json fields);
inline void debug(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
  if (enabled(Level::kDebug)) {
    write(Level::kDebug, event, std::move(fields));
  }
}
inline void info(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
  write(Level::kInfo, event, std::move(fields));
}
inline void warn(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
  write(Level::kWarn, event, std::move(fields));
}
inline void error(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
  write(Level::kError, event, std::move(fields));
}
// An access-log line ("event":"http_request").
void access(nlohmann::json fields);

// Parses "debug" | "info" | "warn" | "error" | "off".
bool parse_level(std::string_view text, Level& out);

// True for field names that must never carry a value into a log line.
bool is_secret_field(std::string_view name);

}  // namespace mcpgate::log
