#include "core/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>

namespace mcpgate::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<bool> g_access{true};
std::shared_ptr<spdlog::logger> g_logger;

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      break;
  }
  return "off";
}

spdlog::logger& logger() {
  if (!g_logger) {
    // Before init() (tools, tests): a synchronous stderr logger.
    static std::shared_ptr<spdlog::logger> fallback = [] {
      auto l = std::make_shared<spdlog::logger>("mcpgate",
                                                std::make_shared<spdlog::sinks::stderr_sink_mt>());
      l->set_pattern("%v");
      return l;
    }();
    return *fallback;
  }
  return *g_logger;
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void redact(nlohmann::json& fields) {
  if (!fields.is_object()) {
    return;
  }
  for (auto& [key, value] : fields.items()) {
    if (is_secret_field(key)) {
      value = "[redacted]";
    } else if (value.is_object()) {
      redact(value);
    }
  }
}

}  // namespace

void init(const Options& options) {
  g_level.store(static_cast<int>(options.level));
  g_access.store(options.access_log);
  if (!g_logger) {
    // A modest queue: pre-building 8192 slots cost ~18 % of start-up CPU (docs/BENCHMARKS.md).
    spdlog::init_thread_pool(1024, 1);
    g_logger = std::make_shared<spdlog::async_logger>(
        "mcpgate", std::make_shared<spdlog::sinks::stderr_sink_mt>(), spdlog::thread_pool(),
        spdlog::async_overflow_policy::block);
    g_logger->set_pattern("%v");
    g_logger->flush_on(spdlog::level::warn);
  }
}

void shutdown() {
  if (g_logger) {
    g_logger->flush();
  }
  spdlog::shutdown();
  g_logger.reset();
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

bool access_enabled() { return g_access.load() && enabled(Level::kInfo); }

void write(Level level, std::string_view event, nlohmann::json fields) {
  if (!enabled(level)) {
    return;
  }
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = timestamp();
  line["level"] = level_name(level);
  line["event"] = event;
  if (fields.is_object()) {
    redact(fields);
    for (auto& [key, value] : fields.items()) {
      line[key] = std::move(value);
    }
  }
  // Replace invalid UTF-8 rather than throw: log lines may quote peer-supplied text.
  logger().info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void access(nlohmann::json fields) {
  if (access_enabled()) {
    write(Level::kInfo, "http_request", std::move(fields));
  }
}

bool parse_level(std::string_view text, Level& out) {
  if (text == "debug") {
    out = Level::kDebug;
  } else if (text == "info") {
    out = Level::kInfo;
  } else if (text == "warn" || text == "warning") {
    out = Level::kWarn;
  } else if (text == "error") {
    out = Level::kError;
  } else if (text == "off") {
    out = Level::kOff;
  } else {
    return false;
  }
  return true;
}

bool is_secret_field(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kSecret[] = {"authorization", "cookie",   "set-cookie",
                                                 "token",         "password", "secret",
                                                 "code_verifier", "code",     "access_token",
                                                 "refresh_token", "client_secret", "api_key"};
  for (auto s : kSecret) {
    if (lower == s || (s.size() > 4 && lower.find(s) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

}  // namespace mcpgate::log
