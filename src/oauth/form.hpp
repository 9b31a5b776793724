#pragma once
// application/x-www-form-urlencoded (query strings and form bodies) in both directions, with
// the limits and strictness the OAuth endpoints need:
//  * parameters keep their order and every occurrence, so a repeated parameter is visible
//    (RFC 6749 §3.1, §3.2: "parameters MUST NOT be included more than once");
//  * malformed %-escapes are an error, not passed through;
//  * the input size and the number of parameters are capped (ATTACKS row 11).
//
// Thread-safe (pure functions).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::oauth {

struct FormLimits {
  std::size_t max_bytes = 16 * 1024;  // the encoded text
  std::size_t max_params = 64;
  std::size_t max_value_bytes = 4096;  // any one decoded name or value
};

class Params {
 public:
  Params() = default;
  explicit Params(std::vector<std::pair<std::string, std::string>> items)
      : items_(std::move(items)) {}

  // Occurrences of `name`.
  std::size_t count(std::string_view name) const;
  bool has(std::string_view name) const { return count(name) > 0; }
  // The first value of `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  // The first value of `name`, or "" when absent.
  std::string value(std::string_view name) const { return get(name).value_or(std::string()); }
  // Every value of `name`, in order.
  std::vector<std::string> all(std::string_view name) const;
  // The first name that occurs more than once, ignoring the names in `repeatable`.
  std::optional<std::string> first_repeated(const std::vector<std::string_view>& repeatable = {}) const;

  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Parses "a=1&b=x+y&c=%2F". '+' is a space; "a" alone is a=""; empty pieces ("a=1&&b=2") are
// skipped. kInvalidArgument for a bad %-escape or a name/value with a NUL; kResourceExhausted
// over a limit.
Result<Params> parse_form(std::string_view text, const FormLimits& limits = {});

// The query of a request target ("/authorize?x=1" -> "x=1"; "" when none).
std::string_view query_of(std::string_view target);

// Strict %-decoding; with `plus_is_space` '+' becomes ' ' (form encoding).
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Percent-encodes everything but the RFC 3986 unreserved characters (safe for a query value).
std::string percent_encode(std::string_view text);

// Encodes pairs as a form / query string ("a=1&b=2").
std::string encode_form(const std::vector<std::pair<std::string, std::string>>& items);

// Appends query parameters to a URI that may already have a query (a registered redirect URI
// can), keeping what is there.
std::string append_query(std::string_view uri,
                         const std::vector<std::pair<std::string, std::string>>& items);

// True when a Content-Type header names `media_type` (parameters such as charset ignored;
// case-insensitive).
bool media_type_is(std::string_view content_type, std::string_view media_type);

}  // namespace mcpgate::oauth
