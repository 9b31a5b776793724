#pragma once
// The pieces of the Prometheus text exposition format (version 0.0.4) that do not depend on a
// metric type: name rules, escaping, and number spelling. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mcpgate::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);

// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus' own use).
bool valid_label_name(std::string_view name);

// A label value as it is stored: invalid UTF-8 replaced by U+FFFD (a scraper rejects the whole
// page otherwise), then cut to at most `max_bytes` on a character boundary.
std::string sanitize_label_value(std::string_view value, std::size_t max_bytes);

// Appends `value` escaped for a label value: backslash, double quote and line feed.
void append_escaped_label_value(std::string& out, std::string_view value);

// Appends `help` escaped for a HELP line: backslash and line feed.
void append_escaped_help(std::string& out, std::string_view help);

// Appends a sample value: "+Inf", "-Inf", "NaN", or the shortest text that reads back as the
// same double (plain decimals for everyday magnitudes, so "0.0001" rather than "1e-04").
void append_value(std::string& out, double value);
void append_value(std::string& out, std::uint64_t value);

}  // namespace mcpgate::metrics
