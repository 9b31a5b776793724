#pragma once
// When a connector call may be sent again, and how long to wait first (issue 6 item 7). Pure
// functions: the runtime (runtime.cpp) applies them, the tests pin them down.
//
// The rule that matters: a request that may have reached the provider is repeated only when
// repeating it is harmless — GET/HEAD, a tool annotated idempotent, or a tool whose provider
// honours an Idempotency-Key (the same key goes out on every attempt). A POST that timed out
// may have sent the email already (Composio #3586), so it is never repeated.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "connectors/connector.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

struct RetryOptions {
  int max_attempts = 4;                          // first try included
  std::chrono::milliseconds base_delay{200};     // backoff: base · 2^(attempt-1), full jitter
  std::chrono::milliseconds max_delay{5000};     // ceiling of one backoff
  std::chrono::milliseconds retry_after_cap{30000};  // a longer Retry-After: give up, report it
  std::chrono::milliseconds deadline{60000};     // the whole call, retries and refresh included
};

// 408, 429 and 5xx: worth another try (when repeating is harmless).
bool is_retryable_status(int status);

// What the per-host breaker counts as a failure: the retryable statuses. Other 4xx are the
// caller's mistake, not the provider's trouble.
bool is_breaker_failure(int status);

// GET/HEAD, annotated idempotent, or Idempotency-Key support.
bool safe_to_repeat(const ToolDef& tool);

// True when the HTTP client's error proves no byte of the request reached the server: the name
// did not resolve or the connection was refused. Timeouts and resets after connecting are not.
bool never_reached_server(const Error& error);

// Retry-After: delta-seconds or an HTTP-date (IMF-fixdate), relative to `now_unix` seconds.
// nullopt when absent or unparsable; a date in the past is 0.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::int64_t now_unix);

// Full jitter: uniform in [0, min(max_delay, base · 2^(attempt-1))]. `attempt` is 1-based.
std::chrono::milliseconds backoff_delay(int attempt, const RetryOptions& options);

// How long before expiry a token is refreshed: max(60 s, min(10% of its lifetime, 15 min)).
// Unknown lifetime (0): 60 s.
std::int64_t refresh_margin_s(std::int64_t lifetime_s);

// Whether a token issued at `issued_at` expiring at `expires_at` is due for refresh at `now`
// (unix seconds), `jitter_s` extra seconds early (spreads the refreshes of many connections).
// expires_at 0 = no known expiry: never due (refresh after a 401 instead).
bool refresh_due(std::int64_t expires_at, std::int64_t issued_at, std::int64_t now,
                 std::int64_t jitter_s);

}  // namespace mcpgate::connectors
