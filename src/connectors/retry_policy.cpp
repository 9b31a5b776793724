#include "connectors/retry_policy.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <string>

namespace mcpgate::connectors {

bool is_retryable_status(int status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool is_breaker_failure(int status) { return is_retryable_status(status); }

bool safe_to_repeat(const ToolDef& tool) {
  return tool.method == "GET" || tool.method == "HEAD" || tool.annotations.idempotent
         || tool.idempotency_key;
}

bool never_reached_server(const Error& error) {
  // The client reports both as kUnavailable with these stage names (http/client.cpp); anything
  // else under kUnavailable (reset, closed, malformed reply) may follow a sent request.
  if (error.code != ErrorCode::kUnavailable) {
    return false;
  }
  return error.message.rfind("cannot resolve ", 0) == 0
         || error.message.find(": connect failed: ") != std::string::npos;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::int64_t now_unix) {
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  while (!value.empty() && value.back() == ' ') {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return std::nullopt;
  }
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return std::nullopt;  // overflow: too far to wait for anyway
    }
    return std::chrono::seconds(seconds);
  }
  const std::string text(value);
  struct tm parts {};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  const std::int64_t at = timegm(&parts);
  return std::chrono::seconds(std::max<std::int64_t>(0, at - now_unix));
}

std::chrono::milliseconds backoff_delay(int attempt, const RetryOptions& options) {
  const int shift = std::clamp(attempt - 1, 0, 20);
  const std::int64_t ceiling =
      std::min<std::int64_t>(options.max_delay.count(), options.base_delay.count() << shift);
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(0, ceiling));
  return std::chrono::milliseconds(pick(rng));
}

std::int64_t refresh_margin_s(std::int64_t lifetime_s) {
  const std::int64_t tenth = lifetime_s > 0 ? lifetime_s / 10 : 0;
  return std::max<std::int64_t>(60, std::min<std::int64_t>(tenth, 15 * 60));
}

bool refresh_due(std::int64_t expires_at, std::int64_t issued_at, std::int64_t now,
                 std::int64_t jitter_s) {
  if (expires_at == 0) {
    return false;
  }
  const std::int64_t lifetime = issued_at > 0 && expires_at > issued_at ? expires_at - issued_at : 0;
  return expires_at - now < refresh_margin_s(lifetime) + jitter_s;
}

}  // namespace mcpgate::connectors
